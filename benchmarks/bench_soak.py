"""Soak (issue 15): a real ``sarabun serve`` answering signed LINE text events from many distinct
users at a steady rate for minutes, against the local LINE API stand-in (tests/lineapi.py).

    python benchmarks/bench_soak.py [--index var/index] [--events 20000] [--seconds 600]
                                    [--users 5000] [--drain 180] [--conversations [--turn-gap 10]]

Events go out open-loop at ``events / seconds`` per second (each POST in its own sender thread,
so a slow answer does not slow the senders), the questions rotating through
benchmarks/evalsets/eval.jsonl and the users through ``users`` distinct ids. With
``--conversations`` each user instead holds one conversation of ``events / users`` turns, about
``turn-gap`` seconds apart: the sessions of benchmarks/evalsets/followups.jsonl in turn (a first
question, then follow-ups such as "แล้วข้อ 3 ล่ะ" or "มาตราถัดไป"), starting at a session of its
own. Reported:

- resident memory (VmRSS) of the server process at the start, every minute and at the end, and
  its peak (VmHWM);
- time-to-reply p50/p95: webhook POST sent -> reply (by reply token) or push (by user) accepted
  by the stand-in;
- events sent vs answered, each exactly once (replies counted per reply token; repeats the
  stand-in refused are counted too), and errors (non-200 webhook answers, failed POSTs);
- a table of the first minute (baseline) beside the last minute and the whole run;
- with ``--conversations``, per kind of turn, how many replies state the session's expected
  wording (as benchmarks/bench_followups.py checks it), beside the same count for the same
  conversations answered in this process one after another (the reference): equal counts mean
  the follow-ups were answered in their conversation's context under load.
"""

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_serve import signed_body, start_server, text_event  # noqa: E402
from index.thai_text import compact  # noqa: E402
from tests.lineapi import FakeLineAPI  # noqa: E402

QUESTIONS = [json.loads(line)["q"] for line in
             (ROOT / "benchmarks/evalsets/eval.jsonl").read_text("utf-8").splitlines() if line.strip()]
SESSIONS = [json.loads(line)["turns"] for line in
            (ROOT / "benchmarks/evalsets/followups.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
CHECKED = ("first", "topic", "next_section", "previous_section", "list_item")  # have wording


@dataclass
class Planned:
    """One event to send: the user, the text and, for a conversation's turn, its kind and the
    wording its answer should state."""

    user: str
    text: str
    kind: str = ""
    expect: tuple[str, ...] = ()


@dataclass
class Sent:
    """One webhook event: what was sent, its reply token, when, and how the webhook answered."""

    turn: Planned
    token: str
    at: float
    status: int | str = 0

    @property
    def user(self) -> str:
        return self.turn.user


@dataclass
class Soak:
    sent: list[Sent] = field(default_factory=list)
    memory: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, RSS kB)
    lock: threading.Lock = field(default_factory=threading.Lock)


def rss_kb(pid: int, key: str = "VmRSS") -> int:
    """Resident memory of ``pid`` in kB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def user_id(n: int) -> str:
    """A LINE-shaped user id ("U" and 32 hex digits) for user number ``n``."""
    return f"U{n:032x}"


def question_plan(events: int, users: int, first_user: int = 0) -> list[Planned]:
    """``events`` questions rotating through eval.jsonl, the users rotating through ``users``
    ids from ``first_user`` on."""
    return [Planned(user_id(first_user + i % users), QUESTIONS[i % len(QUESTIONS)])
            for i in range(events)]


def conversation_plan(users: int, turns: int, gap: float, rate: float) -> list[Planned]:
    """Each of ``users`` holds a conversation of ``turns`` turns: the follow-up sessions one
    after another, from session ``user % sessions`` on. Users go in blocks of ``gap * rate``, a
    block's members taking turn 1, then turn 2, ..., so at ``rate`` events/s a user's turns come
    about ``gap`` seconds apart (time to read the answer; a follow-up needs the turn before it)."""
    scripts = []
    for u in range(users):
        script = itertools.chain.from_iterable(SESSIONS[(u + k) % len(SESSIONS)]
                                               for k in itertools.count())
        scripts.append([Planned(user_id(u), t["user"], t["kind"], tuple(t["expect"]))
                        for t in itertools.islice(script, turns)])
    block = max(1, round(gap * rate))
    return [script[j] for start in range(0, users, block)
            for j in range(turns) for script in scripts[start:start + block]]


def send_all(urls: list[str], soak: Soak, plan: list[Planned], seconds: float,
             pids: list[int]) -> float:
    """Post the planned events at a steady rate over ``seconds``, one event per webhook request,
    to ``urls`` in turn (round-robin); sample the summed RSS of ``pids`` every minute.
    Returns the monotonic start time."""
    local = threading.local()

    def post(i: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30)
        event, token = text_event(plan[i].text, plan[i].user)
        body, headers = signed_body([event])
        record = Sent(plan[i], token, time.monotonic())
        with soak.lock:
            soak.sent.append(record)
        try:
            record.status = local.client.post(f"{urls[i % len(urls)]}/line/webhook", content=body,
                                              headers=headers).status_code
        except httpx.HTTPError as exc:
            record.status = type(exc).__name__

    start = time.monotonic()
    soak.memory.append((0.0, sum(map(rss_kb, pids))))
    next_sample = start + 60
    with ThreadPoolExecutor(32) as pool:
        for i in range(len(plan)):
            due = start + i * seconds / len(plan)
            while (now := time.monotonic()) < due:
                if now >= next_sample:
                    soak.memory.append((now - start, sum(map(rss_kb, pids))))
                    next_sample += 60
                    print(f"  {(now - start) / 60:.0f} min: {len(soak.sent)} sent, RSS "
                          f"{soak.memory[-1][1] / 1024:.0f} MB, load average "
                          f"{os.getloadavg()[0]:.1f}", flush=True)
                time.sleep(min(due - now, 0.05))
            pool.submit(post, i)
    return start


def answer_times(api: FakeLineAPI) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Arrival times of accepted replies by reply token and of pushes by recipient."""
    replies: dict[str, list[float]] = defaultdict(list)
    pushes: dict[str, list[float]] = defaultdict(list)
    with api._lock:
        for (path, body), at in zip(api.calls, api.times, strict=True):
            if path.endswith("/reply"):
                replies[body.get("replyToken", "")].append(at)
            elif path.endswith("/push"):
                pushes[body.get("to", "")].append(at)
    return replies, pushes


def latencies(soak: Soak, api: FakeLineAPI) -> tuple[dict[str, float], int]:
    """Time-to-reply per answered reply token (a push answers its user's oldest unanswered
    event) and the number of events answered more than once."""
    replies, pushes = answer_times(api)
    out: dict[str, float] = {}
    unanswered: dict[str, list[Sent]] = defaultdict(list)
    for s in sorted(soak.sent, key=lambda s: s.at):
        if replies.get(s.token):
            out[s.token] = replies[s.token][0] - s.at
        else:
            unanswered[s.user].append(s)
    for user, times in pushes.items():
        for s, at in zip(unanswered.get(user, []), sorted(times), strict=False):
            out[s.token] = at - s.at
    twice = sum(len(v) > 1 for v in replies.values())
    return out, twice


def _strings(value: object) -> list[str]:
    """Every string inside a JSON value (the texts of a LINE message, wherever they sit)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for v in value for s in _strings(v)] if isinstance(value, list) else []


def states(messages: list, expect: tuple[str, ...]) -> bool:
    """Whether LINE messages (JSON) state every expected string, compared as
    benchmarks/bench_followups.py does (no spaces, Arabic digits)."""
    text = compact(" ".join(_strings(messages)))
    return bool(text) and all(compact(e) in text for e in expect)


def in_context(soak: Soak, api: FakeLineAPI) -> tuple[Counter, Counter]:
    """Per kind of conversation turn: replies that state every expected string, and turns
    checked."""
    with api._lock:
        bodies = {body.get("replyToken"): body for path, body in api.calls if path.endswith("/reply")}
    right, total = Counter(), Counter()
    for s in soak.sent:
        if s.turn.kind in CHECKED:
            total[s.turn.kind] += 1
            right[s.turn.kind] += states(bodies.get(s.token, {}).get("messages", []), s.turn.expect)
    return right, total


def reference_in_context(plan: list[Planned], index: Path) -> Counter:
    """The same check on the same conversations answered one after another in this process,
    through the dialogue core and rendered as LINE messages, as the server would with nothing
    lost or mixed up between turns: right replies per kind, over all users (users with the same
    script are answered once and counted as many times)."""
    from bot.dialogue import Dialogue
    from bot.render_line import reply_messages
    from index.store import load_index
    from retrieval.search import open_retriever

    scripts: dict[str, list[Planned]] = defaultdict(list)
    for turn in plan:
        scripts[turn.user].append(turn)
    users = Counter(tuple(t.text for t in script) for script in scripts.values())
    dialogue = Dialogue(open_retriever(load_index(index)))
    right: Counter = Counter()
    done: set[tuple[str, ...]] = set()
    for n, script in enumerate(scripts.values()):
        key = tuple(t.text for t in script)
        if key in done:
            continue
        done.add(key)
        for turn in script:
            messages = [m.to_dict() for m in reply_messages(dialogue.reply(f"ref{n}", turn.text))]
            if turn.kind in CHECKED:
                right[turn.kind] += users[key] * states(messages, turn.expect)
    return right


def summary(rows: list[Sent], took: dict[str, float]) -> dict[str, object]:
    values = sorted(took[s.token] for s in rows if s.token in took)
    pick = (lambda q: round(values[int(q * (len(values) - 1))], 2)) if values else (lambda q: None)
    return {"sent": len(rows), "answered": len(values),
            "errors": sum(s.status != 200 for s in rows),
            "p50_s": round(statistics.median(values), 2) if values else None, "p95_s": pick(0.95),
            "max_s": pick(1.0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=ROOT / "var/index")
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--drain", type=float, default=180.0,
                        help="after the last event, wait at most this long for the answers")
    parser.add_argument("--conversations", action="store_true",
                        help="each user holds one conversation of events/users turns (follow-ups)")
    parser.add_argument("--turn-gap", type=float, default=10.0,
                        help="with --conversations: seconds between a user's turns")
    args = parser.parse_args()
    rate = args.events / args.seconds
    if args.conversations:
        plan = conversation_plan(args.users, max(1, args.events // args.users), args.turn_gap, rate)
    else:
        plan = question_plan(args.events, args.users)
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    soak = Soak()
    with FakeLineAPI().running() as api:
        server, url = start_server(api, args.index, tmp)
        try:
            ready_kb = rss_kb(server.pid)
            # warm-up outside the figures: the first answers load the model and the index
            send_all([url], Soak(), question_plan(10, 10, args.users), 5, [server.pid])
            api.wait_for("reply", 10, timeout=120)
            with api._lock:
                api.calls.clear()
                api.times.clear()
            what = (f"conversations of {len(plan) // args.users} turns ~{args.turn_gap:.0f} s apart "
                    f"from {len(SESSIONS)} follow-up sessions" if args.conversations
                    else f"{len(QUESTIONS)} questions")
            print(f"{len(plan)} events over {args.seconds:.0f} s ({len(plan) / args.seconds:.1f}/s), "
                  f"{len({t.user for t in plan})} users, {what}; {os.cpu_count()} cores; "
                  f"load average {os.getloadavg()[0]:.1f}; server RSS ready {ready_kb / 1024:.0f} MB, "
                  f"after warm-up {rss_kb(server.pid) / 1024:.0f} MB", flush=True)
            start = send_all([url], soak, plan, args.seconds, [server.pid])
            sending_ended = time.monotonic() - start
            deadline = time.monotonic() + args.drain
            while time.monotonic() < deadline:
                if len(latencies(soak, api)[0]) >= len(soak.sent):
                    break
                time.sleep(1)
            end = time.monotonic() - start
            soak.memory.append((end, rss_kb(server.pid)))
            peak_kb = rss_kb(server.pid, "VmHWM")
            took, twice = latencies(soak, api)
            right, checked = in_context(soak, api)
            alive = server.poll() is None
        finally:
            server.terminate()
            server.wait(30)
    first = [s for s in soak.sent if s.at - start < 60]
    last = [s for s in soak.sent if s.at - start >= sending_ended - 60]
    whole = summary(soak.sent, took)
    columns = {"first minute (baseline)": summary(first, took),
               "last minute": summary(last, took), "whole run": whole}
    mem_first = next((kb for t, kb in soak.memory if t >= 60), soak.memory[-1][1])
    print(f"sending took {sending_ended:.0f} s; answers drained by {end:.0f} s; "
          f"server alive at the end: {alive}")
    print("RSS (MB) by minute:", ", ".join(f"{t / 60:.1f} min {kb / 1024:.0f}"
                                           for t, kb in soak.memory))
    print(f"{'':14}" + "".join(f"{name:>26}" for name in columns))
    for key in ("sent", "answered", "errors", "p50_s", "p95_s", "max_s"):
        print(f"{key:14}" + "".join(f"{c[key]!s:>26}" for c in columns.values()))
    print(f"{'RSS MB':14}{mem_first / 1024:>26.0f}{soak.memory[-1][1] / 1024:>26.0f}"
          f"{'peak ' + str(round(peak_kb / 1024)):>26}")
    print(f"answered twice: {twice}; repeats refused by the stand-in: {api.repeats}; "
          f"answered == sent: {whole['answered'] == whole['sent']}; "
          f"load average at the end {os.getloadavg()[0]:.1f}")
    if checked:
        print("replies stating the expected wording, by kind of turn:",
              ", ".join(f"{k} {right[k]}/{checked[k]}" for k in CHECKED if checked[k]))
        follow = [k for k in checked if k != "first"]
        print(f"follow-up turns in context: {sum(right[k] for k in follow)}/"
              f"{sum(checked[k] for k in follow)}")
        expected = reference_in_context(plan, args.index)
        print("the same conversations in-process, one after another (reference): "
              + ", ".join(f"{k} {expected[k]}/{checked[k]}" for k in CHECKED if checked[k])
              + f"; follow-up turns {sum(expected[k] for k in follow)}/{sum(checked[k] for k in follow)}")
    return 0 if whole["answered"] == whole["sent"] and not twice else 1


if __name__ == "__main__":
    sys.exit(main())
