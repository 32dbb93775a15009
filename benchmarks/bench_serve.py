"""Serving under CPU contention and floods, through the real LINE webhook of a real
``sarabun serve`` process (signed events in, replies out to the local LINE API stand-in).

    python benchmarks/bench_serve.py [--index var/index] [--seconds 20] [--concurrency 8]
                                     [--embed-threads 1] [--skip-build] [--skip-flood]

1. Answering alone: ``concurrency`` senders, each posting a question and waiting for its reply,
   for ``seconds``; throughput (replies/s) and time-to-reply p50/p95.
2. The same with ``sarabun index build`` of the shipped corpus (into a fresh directory, so it
   embeds everything) running beside the server.
3. ``/healthz`` latency p95 while one user floods 200 ``/quiz`` through the webhook.

The server uses ``--embed-threads`` threads per answer (``SARABUN_EMBED_THREADS``; 0 = no cap,
every core, as before issue 16).
"""

import argparse
import base64
import hashlib
import hmac
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.lineapi import ACCESS_TOKEN, FakeLineAPI  # noqa: E402

SECRET = "bench-channel-secret"
QUESTIONS = [json.loads(line)["q"] for line in
             (ROOT / "benchmarks/evalsets/calibration.jsonl").read_text("utf-8").splitlines()
             if line.strip() and json.loads(line).get("in_scope")][:40]
_ids = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed_body(events: list[dict]) -> tuple[bytes, dict]:
    body = json.dumps({"destination": "Ubot", "events": events}).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    return body, {"X-Line-Signature": base64.b64encode(digest).decode(),
                  "content-type": "application/json"}


def text_event(text: str, user: str) -> tuple[dict, str]:
    n = next(_ids)
    token = f"bench-{n}"
    return {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user}, "webhookEventId": f"01BENCH{n:08d}",
            "deliveryContext": {"isRedelivery": False}, "replyToken": token,
            "message": {"type": "text", "id": str(n), "quoteToken": "q", "text": text}}, token


class Replies:
    """Reply tokens the stand-in has answered, with arrival times."""

    def __init__(self, api: FakeLineAPI) -> None:
        self.api = api

    def wait(self, token: str, timeout: float = 120.0) -> float | None:
        deadline = time.monotonic() + timeout
        with self.api._lock:
            while True:
                for (_path, body), at in zip(self.api.calls, self.api.times, strict=True):
                    if body.get("replyToken") == token:
                        return at
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.api._lock.wait(left)


def load(url: str, replies: Replies, seconds: float, concurrency: int) -> dict:
    """Closed loop: each sender posts a question, waits for its reply, repeats."""
    latencies: list[float] = []
    lost = 0
    stop = time.monotonic() + seconds

    def sender(i: int) -> None:
        nonlocal lost
        with httpx.Client(timeout=60) as client:
            for n in itertools.count():
                if time.monotonic() >= stop:
                    return
                # a new user each time: the per-user rate limit (default) does not apply
                event, token = text_event(QUESTIONS[(i * 7 + n) % len(QUESTIONS)], f"Ubench{i}x{n}")
                body, headers = signed_body([event])
                sent = time.monotonic()
                client.post(f"{url}/line/webhook", content=body, headers=headers).raise_for_status()
                arrived = replies.wait(token)
                if arrived is None:
                    lost += 1
                else:
                    latencies.append(arrived - sent)

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(sender, range(concurrency)))
    elapsed = time.monotonic() - started
    latencies.sort()
    return {"replies": len(latencies), "lost": lost, "seconds": round(elapsed, 1),
            "per_s": round(len(latencies) / elapsed, 2),
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3)}


POLLER = """
import json, sys, time, httpx
url, seconds = sys.argv[1], float(sys.argv[2])
out = []
with httpx.Client(timeout=10) as client:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        t = time.monotonic()
        client.get(url + "/healthz")
        out.append(time.monotonic() - t)
        time.sleep(0.02)
print(json.dumps(out))
"""


def poll_healthz(url: str, seconds: float) -> subprocess.Popen:
    """GET /healthz every 20 ms for ``seconds`` from a separate process, so that this process's
    own threads (senders, the LINE stand-in) do not add to the measured latency."""
    return subprocess.Popen([sys.executable, "-c", POLLER, url, str(seconds)], stdout=subprocess.PIPE)


def latencies(poller: subprocess.Popen) -> list[float]:
    return sorted(json.loads(poller.communicate()[0]))


def p95_ms(values: list[float]) -> float:
    return round(1000 * values[int(0.95 * (len(values) - 1))], 1)


def quiz_flood(url: str, api: FakeLineAPI, count: int = 200, seconds: float = 15.0) -> dict:
    """``count`` /quiz from one user as fast as 20 connections send them (the default rate limit
    applies), while /healthz is polled every 20 ms for ``seconds``; before that 5 s of polling
    without the flood, for the machine's baseline."""
    idle = latencies(poll_healthz(url, 5))

    def send(_: int) -> None:
        event, _token = text_event("/quiz", "Uflood")
        body, headers = signed_body([event])
        httpx.post(f"{url}/line/webhook", content=body, headers=headers, timeout=60)

    poller = poll_healthz(url, seconds)
    before = len(api.calls)
    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(send, range(count)))
    flood_seconds = time.monotonic() - started
    health = latencies(poller)
    return {"healthz_p95_ms_before_flood": p95_ms(idle), "quiz_sent": count,
            "flood_seconds": round(flood_seconds, 1), "bot_messages": len(api.calls) - before,
            "healthz_checks": len(health),
            "healthz_p50_ms": round(1000 * statistics.median(health), 1),
            "healthz_p95_ms": p95_ms(health), "healthz_max_ms": round(1000 * health[-1], 1)}


def start_server(api: FakeLineAPI, index: Path, tmp: Path, extra_env: dict[str, str] | None = None
                 ) -> tuple[subprocess.Popen, str]:
    """``sarabun serve`` on a free port, configured for the stand-in, once /healthz answers 200
    (RuntimeError with the end of its log when it does not start)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SARABUN_LINE_CHANNEL_SECRET": SECRET,
           "SARABUN_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN, "SARABUN_LINE_API_URL": api.url,
           "SARABUN_TELEGRAM_TOKEN": "", "SARABUN_DATA_DB": str(tmp / "data.sqlite3"), **(extra_env or {})}
    with open(tmp / "serve.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port),
                                   "--index", str(index.resolve())], env=env, cwd=tmp, stderr=log)
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError((tmp / "serve.log").read_text()[-2000:])
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=ROOT / "var/index")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--embed-threads", type=int, default=1)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--skip-flood", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    with FakeLineAPI().running() as api:
        try:
            server, url = start_server(api, args.index, tmp,
                                       {"SARABUN_EMBED_THREADS": str(args.embed_threads)})
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
        try:
            replies = Replies(api)
            load(url, replies, 3, args.concurrency)  # warm-up
            print(f"embed threads per answer: {args.embed_threads or 'all cores'}; "
                  f"{args.concurrency} senders; {os.cpu_count()} cores; load average "
                  f"{os.getloadavg()[0]:.1f} (other work on the machine)")
            alone = load(url, replies, args.seconds, args.concurrency)
            print("alone         ", json.dumps(alone))
            if not args.skip_build:
                build = subprocess.Popen(
                    [sys.executable, "-m", "bot", "index", "build", "--docs", str(ROOT / "docs_source"),
                     "--index", str(tmp / "index")], env=os.environ, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
                time.sleep(8)  # past loading the model, into parsing and embedding
                beside = load(url, replies, args.seconds, args.concurrency)
                running = build.poll() is None
                build.kill()
                build.wait()
                print("beside a build", json.dumps(beside), "(build still running at the end:",
                      f"{running})")
                print(f"with a build / alone = {beside['per_s'] / alone['per_s']:.0%}")
            if not args.skip_flood:
                print("quiz flood    ", json.dumps(quiz_flood(url, api)))
        finally:
            server.terminate()
            server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
