"""Soak (issue 15): a real ``sarabun serve`` answering signed LINE text events from many distinct
users at a steady rate for minutes, against the local LINE API stand-in (tests/lineapi.py).

    python benchmarks/bench_soak.py [--index var/index] [--events 20000] [--seconds 600]
                                    [--users 5000] [--drain 180]

Events go out open-loop at ``events / seconds`` per second (each POST in its own sender thread,
so a slow answer does not slow the senders), the questions rotating through
benchmarks/evalsets/eval.jsonl and the users through ``users`` distinct ids. Reported:

- resident memory (VmRSS) of the server process at the start, every minute and at the end, and
  its peak (VmHWM);
- time-to-reply p50/p95: webhook POST sent -> reply (by reply token) or push (by user) accepted
  by the stand-in;
- events sent vs answered, each exactly once (replies counted per reply token; repeats the
  stand-in refused are counted too), and errors (non-200 webhook answers, failed POSTs);
- a table of the first minute (baseline) beside the last minute and the whole run.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_serve import signed_body, start_server, text_event  # noqa: E402
from tests.lineapi import FakeLineAPI  # noqa: E402

QUESTIONS = [json.loads(line)["q"] for line in
             (ROOT / "benchmarks/evalsets/eval.jsonl").read_text("utf-8").splitlines() if line.strip()]


@dataclass
class Sent:
    """One webhook event: who sent it, its reply token, when, and how the webhook answered."""

    user: str
    token: str
    at: float
    status: int | str = 0


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


def send_all(url: str, soak: Soak, events: int, seconds: float, users: int, pid: int) -> float:
    """Post ``events`` events at a steady rate over ``seconds``; sample RSS every minute.
    Returns the monotonic start time."""
    local = threading.local()

    def post(i: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30)
        event, token = text_event(QUESTIONS[i % len(QUESTIONS)], f"U{i % users:032x}")
        body, headers = signed_body([event])
        record = Sent(f"U{i % users:032x}", token, time.monotonic())
        with soak.lock:
            soak.sent.append(record)
        try:
            record.status = local.client.post(f"{url}/line/webhook", content=body,
                                              headers=headers).status_code
        except httpx.HTTPError as exc:
            record.status = type(exc).__name__

    start = time.monotonic()
    soak.memory.append((0.0, rss_kb(pid)))
    next_sample = start + 60
    with ThreadPoolExecutor(32) as pool:
        for i in range(events):
            due = start + i * seconds / events
            while (now := time.monotonic()) < due:
                if now >= next_sample:
                    soak.memory.append((now - start, rss_kb(pid)))
                    next_sample += 60
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
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    soak = Soak()
    with FakeLineAPI().running() as api:
        server, url = start_server(api, args.index, tmp)
        try:
            ready_kb = rss_kb(server.pid)
            # warm-up outside the figures: the first answers load the model and the index
            send_all(url, Soak(), 10, 5, 10, server.pid)
            api.wait_for("reply", 10, timeout=120)
            with api._lock:
                api.calls.clear()
                api.times.clear()
            print(f"{args.events} events over {args.seconds:.0f} s "
                  f"({args.events / args.seconds:.1f}/s), {args.users} users, {len(QUESTIONS)} "
                  f"questions; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; "
                  f"server RSS ready {ready_kb / 1024:.0f} MB, after warm-up "
                  f"{rss_kb(server.pid) / 1024:.0f} MB", flush=True)
            start = send_all(url, soak, args.events, args.seconds, args.users, server.pid)
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
          f"answered == sent: {whole['answered'] == whole['sent']}")
    return 0 if whole["answered"] == whole["sent"] and not twice else 1


if __name__ == "__main__":
    sys.exit(main())
