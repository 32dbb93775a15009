"""Web console server time: p50/p95 per page with the shipped corpus and a question log of
100,000 rows.

    python benchmarks/bench_web.py [--index DIR] [--rows N] [--rounds N]

The log is written to a fresh SQLite database in a temporary directory: the questions of
``benchmarks/evalsets/calibration.jsonl`` (off-scope ones declined) spread over 90 days, plus
2,000 👎 votes citing real passages. Each page is requested in-process through the real
``sarabun serve`` app (Starlette TestClient, so no network in the figure) after one warm-up.
The quiz pages are not in the budget: their time is quiz generation (``retrieval.quiz``).
"""

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import index  # noqa: F401  (sets the offline environment)
from index.settings import IndexSettings

QUESTIONS = Path(__file__).parent / "evalsets" / "calibration.jsonl"
DAYS = 90
PAGES = ["/admin/documents", "/admin/documents?q=ดิจิทัล&kind=act", "/admin/versions",
         "/admin/versions/progress", "/admin/questions", "/admin/questions?from={start90}&to={today}",
         "/admin/live", "/admin/live/state?chat=-100200"]


def seed(db, rows: int, chunk_ids: list[str]) -> None:
    """``rows`` questions over the last ``DAYS`` days and 2,000 👎 votes."""
    from sqlalchemy import text

    questions = [json.loads(line) for line in QUESTIONS.read_text("utf-8").splitlines() if line.strip()]
    rng = random.Random(7)
    now = time.time()
    batch = []
    with db.tx() as conn:
        for i in range(rows):
            q = rng.choice(questions)
            declined = int(not q.get("in_scope", True) or rng.random() < 0.05)
            batch.append({"at": now - rng.random() * DAYS * 86400, "q": q["q"], "a": declined,
                          "c": "" if declined else " ".join(rng.sample(chunk_ids, 3))})
            if len(batch) == 5000 or i == rows - 1:
                conn.execute(text("INSERT INTO questions (at, platform, user_id, question, abstained, "
                                  "chunk_ids) VALUES (:at, 'telegram', 'u', :q, :a, :c)"), batch)
                batch = []
        conn.execute(text("INSERT INTO feedback (at, platform, user_id, chat_id, question, chunk_ids, "
                          "helpful, turn_ref) VALUES (:at, 'line', :u, 'c', :q, :c, 0, :r)"),
                     [{"at": now - rng.random() * DAYS * 86400, "u": f"u{i}", "r": f"r{i}",
                       "q": rng.choice(questions)["q"], "c": " ".join(rng.sample(chunk_ids, 3))}
                      for i in range(2000)])


def main() -> int:
    from starlette.testclient import TestClient

    from bot.admin import Admin
    from bot.dialogue import Dialogue
    from bot.serve import create_app
    from bot.settings import BotSettings
    from bot.state import open_database
    from bot.web.auth import issue_link
    from bot.web.insights import thai_today
    from retrieval.live import LiveRetriever

    settings = IndexSettings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=settings.index_dir)
    parser.add_argument("--docs", type=Path, default=settings.docs_dir)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sarabun-bench-web-") as tmp:
        index_dir = Path(tmp) / "index"
        shutil.copytree(args.index, index_dir, symlinks=True)
        bot_settings = BotSettings(data_db=Path(tmp) / "data.sqlite3", telegram_token="",
                                   line_channel_secret="", line_channel_access_token="")
        db = open_database(bot_settings.state_url)
        dialogue = Dialogue(LiveRetriever(index_dir), state=db)
        chunk_ids = [c.chunk_id for c in dialogue.retriever.index.chunks]
        started = time.perf_counter()
        seed(db, args.rows, chunk_ids)
        published = dialogue.retriever.index
        print(f"seeded {args.rows:,} questions and 2,000 votes in {time.perf_counter() - started:.1f} s; "
              f"index {published.version} ({len(published.documents)} documents, {len(chunk_ids)} passages)")
        admin = Admin(args.docs, index_dir, dialogue.retriever.embedder, 10**7, db)
        with TestClient(create_app(bot_settings, dialogue, admin)) as client:
            page = client.get(issue_link(db, "admin", "bench", "http://testserver"))
            token = page.text.split('name="token" value="')[1].split('"')[0]
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            assert client.post("/admin/signin", data={"token": token, "csrf": csrf}).status_code == 200
            today = thai_today()
            start90 = today.fromordinal(today.toordinal() - DAYS + 1)
            fill = {"today": today.isoformat(), "start90": start90.isoformat()}
            print(f"{'page':<48} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8}")
            worst = 0.0
            for path in (p.format(**fill) for p in PAGES):
                t = time.perf_counter()
                assert client.get(path).status_code == 200, path  # warm-up (keys the log once)
                first = (time.perf_counter() - t) * 1000
                samples = []
                for _ in range(args.rounds):
                    t = time.perf_counter()
                    client.get(path)
                    samples.append((time.perf_counter() - t) * 1000)
                p50, p95 = statistics.median(samples), statistics.quantiles(samples, n=20)[18]
                worst = max(worst, p95)
                print(f"{path:<48} {first:>9.1f} {p50:>8.1f} {p95:>8.1f}", flush=True)
            t = time.perf_counter()
            size = len(client.get(f"/admin/questions.csv?from={fill['start90']}&to={fill['today']}").content)
            print(f"CSV export of the 90 days: {size / 1e6:.1f} MB in {time.perf_counter() - t:.2f} s")
            print(f"worst p95: {worst:.1f} ms (budget 200 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
