// Sarabun console: confirmations, print button, build progress and the projector view.
// Served from the package (no CDN); data is written with textContent only, never as HTML.
"use strict";

document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

document.addEventListener("click", (event) => {
  if (event.target.matches && event.target.matches("[data-print]")) window.print();
});

function poll(url, seconds, render) {
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) render(await response.json());
      else if (response.status === 401) signedOut();
    } catch (_) { /* offline for a moment: try again at the next tick */ }
    setTimeout(tick, seconds * 1000);
  };
  tick();
}

function signedOut() {
  const status = document.getElementById("status") || document.getElementById("build-state");
  if (status) status.textContent = "หมดเวลาเข้าสู่ระบบแล้ว กรุณาส่ง /web ถึงบอตเพื่อขอลิงก์ใหม่";
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const build = document.getElementById("build");
if (build) {
  poll(build.dataset.progress, 2, (state) => {
    // A build ended: show the page again (by GET, so a form is never sent twice) with its outcome.
    if (String(state.last) !== build.dataset.last) window.location.assign(build.dataset.after);
    const line = document.getElementById("build-state");
    line.textContent = state.text;
    line.className = state.running ? "running" : { true: "ok", false: "bad" }[state.ok] || "";
    const bar = document.getElementById("build-bar");
    bar.hidden = !state.running;
    bar.value = state.percent;
    const waiting = document.getElementById("build-waiting");
    waiting.hidden = !state.waiting.length;
    waiting.replaceChildren(...state.waiting.map((w) => el("li", "", "รอคิว: " + w)));
  });
}

const projector = document.getElementById("projector");
if (projector) {
  poll(projector.dataset.state, 1.5, (state) => {
    document.getElementById("status").textContent = state.status;
    document.getElementById("question").textContent = state.question || "รอคำถามถัดไป…";
    const bars = document.getElementById("bars");
    bars.replaceChildren(...state.choices.map((choice) => {
      const row = el("div", "bar-row" + (choice.correct ? " correct" : ""));
      row.dataset.count = choice.count;
      row.append(el("span", "bar-label", choice.label + ". " + choice.text));
      const track = el("div", "bar-track");
      const fill = el("div", "bar-fill");
      fill.style.width = (state.answers ? (100 * choice.count / state.answers) : 0) + "%";
      track.append(fill);
      row.append(track, el("span", "bar-count", String(choice.count)));
      return row;
    }));
    const reveal = document.getElementById("reveal");
    reveal.hidden = !state.revealed;
    reveal.textContent = state.revealed ? state.reveal : "";
    document.getElementById("leaderboard").replaceChildren(
      ...state.leaderboard.map((row) => el("li", "", row.name + " — " + row.points + " คะแนน")));
  });
}
