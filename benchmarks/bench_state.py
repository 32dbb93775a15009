"""State database cost per incoming message, on SQLite and PostgreSQL, with several processes
(replicas) and threads writing at once.

One "message" does what a replica does for a LINE text event: the delivery de-duplication, the
rate-limit count, the chat's latest turn, saving the new turn (an answer with 3 citations) and the
question log row. Reports messages/s and p50/p95 of the whole per-message state work.

    python benchmarks/bench_state.py --processes 4 --threads 4 --messages 300
    python benchmarks/bench_state.py --postgres-temp ...   # a throwaway server (tests/postgres.py)
    python benchmarks/bench_state.py --url postgresql://user:pw@host/db ...
"""

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.dialogue import Turn
from bot.ratelimit import RateLimiter
from bot.state import TurnStore, first_delivery, open_database, record_question, sqlite_url
from retrieval.answer import Answer, Citation


def _answer() -> Answer:
    text = "ข้อความมาตราที่อ้างอิง " * 40
    return Answer("คำถาม", False, "คำตอบสั้น ๆ จากเอกสาร " * 5,
                  [Citation(i, "doc", "พ.ร.บ.", "https://example.go.th", i, f"มาตรา {i}", text, 0.5,
                            f"doc#{i}") for i in range(1, 4)])


def _worker(url: str, proc: int, threads: int, messages: int, out) -> None:
    db = open_database(url)
    turns = TurnStore(db, Turn)
    limiter = RateLimiter(db, 10**9, 60)
    answer = _answer()
    times: list[float] = []
    lock = threading.Lock()

    def run(t: int) -> None:
        mine = []
        for i in range(messages):
            chat = f"U{proc}-{t}-{i % 50}"  # 50 chats per thread, revisited
            start = time.perf_counter()
            first_delivery(db, "line", f"{proc}-{t}-{i}")
            limiter.allow(chat)
            turns.last(chat)
            turn = Turn(f"r{proc}-{t}-{i}", chat, "มาตรา 6 ว่าอย่างไร", 0, answer)
            turns.save(turn)
            record_question(db, "line", chat, turn)
            mine.append(time.perf_counter() - start)
        with lock:
            times.extend(mine)

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="")
    p.add_argument("--postgres-temp", action="store_true")
    p.add_argument("--processes", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--messages", type=int, default=300, help="per thread")
    args = p.parse_args()
    server = None
    if args.postgres_temp:
        from tests.postgres import start_postgres

        server = start_postgres()
        url = server.new_database()
    else:
        url = args.url or sqlite_url(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    open_database(url).close()  # create and migrate once, before the clock starts
    try:
        out = multiprocessing.get_context("spawn").Queue()
        procs = [multiprocessing.get_context("spawn").Process(
            target=_worker, args=(url, n, args.threads, args.messages, out)) for n in range(args.processes)]
        start = time.perf_counter()
        for proc in procs:
            proc.start()
        times = [t for _ in procs for t in out.get()]
        wall = time.perf_counter() - start
        for proc in procs:
            proc.join()
    finally:
        if server:
            server.stop()
    times.sort()
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"{backend}: {args.processes} processes x {args.threads} threads x {args.messages} messages = "
          f"{len(times)} in {wall:.1f} s (start-up included): {len(times) / wall:.0f} messages/s; "
          f"state work per message p50 {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {times[int(0.95 * len(times))] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
