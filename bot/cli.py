"""The ``sarabun`` command line."""

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

import index  # noqa: F401  (sets the offline environment before any model library loads)
from index.build import BuildReport, build_index
from index.embedders import EmbedderError, limit_process_threads
from index.settings import IndexSettings
from index.store import IndexUnavailable, current_version, load_index, read_manifest, rollback

log = logging.getLogger("sarabun")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sarabun`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = IndexSettings()
    parser = _parser(settings)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args, settings) or 0)
    except (IndexUnavailable, EmbedderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _parser(settings: IndexSettings) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sarabun", description="Thai policy-document advisor")
    sub = p.add_subparsers()

    idx = sub.add_parser("index", help="build, inspect or roll back the index").add_subparsers()
    b = idx.add_parser("build", help="index the documents directory (incremental)")
    b.add_argument("--docs", type=Path, default=settings.docs_dir)
    b.add_argument("--index", type=Path, default=settings.index_dir)
    b.add_argument("--strict", action="store_true", help="any skipped file fails the build")
    b.set_defaults(run=_cmd_build)
    s = idx.add_parser("status", help="show the published index")
    s.add_argument("--index", type=Path, default=settings.index_dir)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_cmd_status)
    r = idx.add_parser("rollback", help="publish the previous index version")
    r.add_argument("--index", type=Path, default=settings.index_dir)
    r.set_defaults(run=_cmd_rollback)
    vf = idx.add_parser("verify", help="check the published version's checksums and counts")
    vf.add_argument("--index", type=Path, default=settings.index_dir)
    vf.set_defaults(run=_cmd_verify)

    a = sub.add_parser("ask", help="answer questions (arguments or one per line on stdin)")
    a.add_argument("--index", type=Path, default=settings.index_dir)
    a.add_argument("--json", action="store_true", help="one JSON object per line")
    a.add_argument("-k", type=int, default=3, help="number of citations")
    a.add_argument("question", nargs="*")
    a.set_defaults(run=_cmd_ask)

    c = sub.add_parser("chat", help="interactive console chat")
    c.add_argument("--index", type=Path, default=settings.index_dir)
    c.add_argument("--docs", type=Path, default=settings.docs_dir)
    c.set_defaults(run=_cmd_chat)

    t = sub.add_parser("telegram", help="run the Telegram bot with long polling")
    t.add_argument("--index", type=Path, default=settings.index_dir)
    t.add_argument("--docs", type=Path, default=settings.docs_dir)
    t.set_defaults(run=_cmd_telegram)

    v = sub.add_parser("serve", help="serve chat webhooks (Telegram, LINE) and /healthz")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8080)
    v.add_argument("--index", type=Path, default=settings.index_dir)
    v.add_argument("--docs", type=Path, default=settings.docs_dir)
    v.set_defaults(run=_cmd_serve)

    d = sub.add_parser("define", help="definitions of a term in every document, cited")
    d.add_argument("--index", type=Path, default=settings.index_dir)
    d.add_argument("--json", action="store_true", help="one JSON object, shaped like ask --json")
    d.add_argument("term", nargs="+")
    d.set_defaults(run=_cmd_define)

    q = sub.add_parser("quiz", help="multiple-choice questions generated from the documents")
    q.add_argument("--index", type=Path, default=settings.index_dir)
    q.add_argument("--count", type=int, default=10)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--topic", default="", help="only questions from passages about this topic")
    q.add_argument("--json", action="store_true", help="one JSON object a line")
    q.set_defaults(run=_cmd_quiz)

    rp = sub.add_parser("report", help="most asked and unanswered questions, 👎 feedback")
    rp.add_argument("--since", help="YYYY-MM-DD (default: 7 days ago)")
    rp.add_argument("--json", action="store_true")
    rp.add_argument("--index", type=Path, default=settings.index_dir)
    rp.set_defaults(run=_cmd_report)

    db = sub.add_parser("db", help="the state database (SARABUN_DATABASE_URL or SARABUN_DATA_DB)")
    db_sub = db.add_subparsers()
    du = db_sub.add_parser("upgrade", help="apply pending schema migrations")
    du.set_defaults(run=_cmd_db_upgrade)
    ds = db_sub.add_parser("status", help="applied and pending schema migrations")
    ds.set_defaults(run=_cmd_db_status)

    w = sub.add_parser("web-link", help="print a one-time sign-in link to the web console (/admin)")
    w.add_argument("--role", choices=("admin", "trainer"), default="admin")
    w.add_argument("--who", default="", help="identity for the audit log (default: cli:<login name>)")
    w.add_argument("--base-url", default="", help="default: SARABUN_PUBLIC_URL, else http://127.0.0.1:8080")
    w.set_defaults(run=_cmd_web_link)

    e = sub.add_parser("eval", help="retrieval quality: BM25, dense and shipped side by side")
    e.add_argument("file", type=Path)
    e.add_argument("--index", type=Path, default=settings.index_dir)
    e.add_argument("--split", choices=("all", "tune", "heldout"), default="all",
                   help="only the questions of this half of the set")
    e.add_argument("--shipped-only", action="store_true", help="skip the BM25/dense/RRF baselines")
    e.set_defaults(run=_cmd_eval)
    return p


def run_build(docs: Path, index_dir: Path, settings: IndexSettings, strict: bool = False
              ) -> BuildReport:
    """Build with a progress bar on stderr."""
    from tqdm import tqdm

    bar: tqdm | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        return build_index(docs, index_dir, settings.embedder, int(settings.max_file_mb * 1e6),
                           strict=strict, progress=progress)
    finally:
        if bar is not None:
            bar.close()


def _cmd_build(args: argparse.Namespace, settings: IndexSettings) -> int:
    lower_priority(settings.build_nice)
    report = run_build(args.docs, args.index, settings, args.strict)
    for name, reason in report.skipped:
        print(f"skipped {name}: {reason}")
    print(f"added {len(report.added)}, changed {len(report.changed)}, removed "
          f"{len(report.removed)}, unchanged {len(report.unchanged)}, skipped "
          f"{len(report.skipped)}; {report.chunks} chunks ({report.embedded} embedded) in "
          f"{report.seconds:.1f} s")
    if args.strict and report.skipped:
        print("strict: nothing published because files were skipped", file=sys.stderr)
        return 1
    print(f"published version {report.version}" if report.published
          else f"nothing changed; version {report.version} stays published")
    return 0


def lower_priority(nice: int) -> None:
    """Let serving processes on the same machine go first: a build is batch work."""
    if nice > 0:
        try:
            os.nice(nice)
        except OSError as exc:  # not permitted here: build at normal priority
            log.warning("could not lower the build's priority: %s", exc)


def _cmd_status(args: argparse.Namespace, settings: IndexSettings) -> int:
    manifest = read_manifest(args.index)
    if manifest is None:
        print(f"no index in {args.index}: run 'sarabun index build'", file=sys.stderr)
        return 1
    status = {
        "version": manifest["version"],
        "created": manifest["created"],
        "embedder": manifest["embedder"],
        "dim": manifest["dim"],
        "documents": len(manifest["documents"]),
        "chunks": manifest["chunks"],
        "previous": manifest.get("previous"),
    }
    if args.json:
        print(json.dumps({**status, "document_list": manifest["documents"]}, ensure_ascii=False))
        return 0
    for key, value in status.items():
        print(f"{key:10} {value}")
    for doc in manifest["documents"]:
        print(f"  {doc['doc_id']:<60} {doc['chunks']:>4} chunks  {doc['date'] or '-'}")
    return 0


def _cmd_rollback(args: argparse.Namespace, settings: IndexSettings) -> int:
    before = current_version(args.index)
    print(f"rolled back from {before} to {rollback(args.index)}")
    return 0


def _cmd_verify(args: argparse.Namespace, settings: IndexSettings) -> int:
    """Exit 0 when the published version is intact; damage exits 1 through IndexUnavailable."""
    published = load_index(args.index)  # verifies checksums and counts
    files = len(published.manifest.get("files", {}))
    if not files:
        print(f"version {published.version} has no checksums (built before they existed): "
              "rebuild it with 'sarabun index build'", file=sys.stderr)
        return 1
    print(f"version {published.version} verified: {files} files, {len(published.chunks)} chunks")
    return 0


def _open(index_dir: Path):  # -> Retriever
    from retrieval.search import open_retriever

    return open_retriever(load_index(index_dir))


def _cmd_ask(args: argparse.Namespace, settings: IndexSettings) -> int:
    from retrieval.answer import ask

    from .render_text import render_answer

    retriever = _open(args.index)
    questions = [" ".join(args.question)] if args.question else sys.stdin
    for line in questions:
        question = line.strip()
        if not question:
            continue
        answer = ask(retriever, question, k=args.k)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            print(render_answer(answer, passages=True) + "\n", flush=True)
    return 0


def _dialogue(args: argparse.Namespace, settings: IndexSettings):  # -> Dialogue
    """The dialogue core over the published index (switching to newly published versions),
    built from the documents on first run."""
    from retrieval.live import LiveRetriever

    from .dialogue import Dialogue

    if current_version(args.index) is None:
        print(f"ยังไม่มีดัชนี กำลังสร้างจาก {args.docs} …", file=sys.stderr)
        _cmd_build(argparse.Namespace(docs=args.docs, index=args.index, strict=False), settings)
    return Dialogue(LiveRetriever(args.index), state=_state())


def _state(upgrade: bool | None = True):  # -> Database
    """The state database of the settings, upgraded when they allow (``upgrade`` None: as it is,
    for ``sarabun db``); a clear error and exit when it cannot be opened."""
    from .settings import BotSettings
    from .state import DatabaseError, open_database

    bot_settings = BotSettings()
    try:
        return open_database(bot_settings.state_url, bot_settings.database_auto_upgrade
                             if upgrade else upgrade)
    except DatabaseError as exc:
        raise SystemExit(f"error: {exc}") from exc


def _admin(args: argparse.Namespace, settings: IndexSettings, bot_settings, dialogue):  # -> Admin
    """Admin operations on the same documents, index and embedder as the dialogue."""
    from .admin import Admin

    return Admin(args.docs, args.index, dialogue.retriever.embedder, int(settings.max_file_mb * 1e6),
                 dialogue.db)


def _cmd_telegram(args: argparse.Namespace, settings: IndexSettings) -> int:
    from .settings import BotSettings
    from .telegram import TokenError, check_token, run_polling

    bot_settings = BotSettings()
    try:
        check_token(bot_settings.telegram_token)  # before the index loads: fail fast
    except TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    limit_process_threads(bot_settings.embed_threads)  # before the model loads
    dialogue = _dialogue(args, settings)
    run_polling(bot_settings, dialogue, _admin(args, settings, bot_settings, dialogue))
    return 0


def _cmd_serve(args: argparse.Namespace, settings: IndexSettings) -> int:
    from .serve import create_app
    from .server import Limits, run
    from .settings import BotSettings, SettingsError

    bot_settings = BotSettings()
    limit_process_threads(bot_settings.embed_threads)  # before the model loads
    dialogue = _dialogue(args, settings)
    try:
        app = create_app(bot_settings, dialogue, _admin(args, settings, bot_settings, dialogue))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run(app, args.host, args.port, Limits(bot_settings.request_header_seconds,
                                          bot_settings.request_body_seconds,
                                          bot_settings.max_connections))
    return 0


def _cmd_define(args: argparse.Namespace, settings: IndexSettings) -> int:
    from retrieval.answer import define

    from .render_text import render_answer

    answer = define(_open(args.index), " ".join(args.term))
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print(render_answer(answer, passages=True))
    return 0


def _cmd_quiz(args: argparse.Namespace, settings: IndexSettings) -> int:
    from retrieval.quiz import generate_quiz

    from .messages import CHOICE_LABELS
    from .render_text import citation_line

    questions = generate_quiz(_open(args.index), args.count, args.seed, args.topic)
    if not questions:
        print("ไม่พบเนื้อหาที่ใช้สร้างคำถามได้", file=sys.stderr)
        return 1
    for n, q in enumerate(questions, 1):
        if args.json:
            print(json.dumps(q.to_json(), ensure_ascii=False))
            continue
        print(f"{n}. {q.question}")
        for i, choice in enumerate(q.choices):
            print(f"   {CHOICE_LABELS[i]}. {choice}")
        print(f"   เฉลย: {CHOICE_LABELS[q.answer]} — {citation_line(q.citation)}\n")
    return 0


def _cmd_report(args: argparse.Namespace, settings: IndexSettings) -> int:
    from .report import build_report, parse_since, render_report

    try:
        since = parse_since(args.since) if args.since else time.time() - 7 * 86400
    except ValueError:
        print(f"error: --since expects YYYY-MM-DD, got {args.since!r}", file=sys.stderr)
        return 2
    published = load_index(args.index) if current_version(args.index) else None
    report = build_report(_state(), since, published)
    print(json.dumps(report.to_json(), ensure_ascii=False) if args.json else render_report(report))
    return 0


def _cmd_db_upgrade(args: argparse.Namespace, settings: IndexSettings) -> int:
    from .state import upgrade

    done = upgrade(_state(upgrade=None))
    for m in done:
        print(f"applied {m.component} {m.version:04d} {m.name}: {m.description}")
    print("database schema is up to date" + (f" ({len(done)} applied)" if done else ""))
    return 0


def _cmd_db_status(args: argparse.Namespace, settings: IndexSettings) -> int:
    from .state import all_migrations, applied

    db = _state(upgrade=None)
    done = applied(db)
    print(f"database: {db.safe_url}")
    for m in all_migrations():
        state = "applied" if (m.component, m.version) in done else "PENDING"
        print(f"  {state:8} {m.component} {m.version:04d} {m.name}")
    return 0 if all((m.component, m.version) in done for m in all_migrations()) else 1


def _cmd_web_link(args: argparse.Namespace, settings: IndexSettings) -> int:
    from .web.auth import LINK_SECONDS, issue_link
    from .web.settings import WebSettings

    base = args.base_url or WebSettings().public_url or "http://127.0.0.1:8080"
    who = args.who or f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or os.getuid()}"
    print(issue_link(_state(), args.role, who, base))
    print(f"(one sign-in, within {LINK_SECONDS / 60:.0f} minutes)", file=sys.stderr)
    return 0


def _cmd_chat(args: argparse.Namespace, settings: IndexSettings) -> int:
    from .dialogue import WELCOME
    from .render_text import render_answer

    dialogue = _dialogue(args, settings)
    print(WELCOME + "\n(พิมพ์ /quit เพื่อออก)")
    while True:
        try:
            line = input("คุณ> ")
        except EOFError:
            return 0
        if line.strip() in ("/quit", "/exit"):
            return 0
        reply = dialogue.reply("console", line)
        print(render_answer(reply if isinstance(reply, str) else reply.answer) + "\n", flush=True)


def _cmd_eval(args: argparse.Namespace, settings: IndexSettings) -> int:
    import tempfile

    from retrieval.answer import ask
    from retrieval.evaluate import HEADER, Outcome, groups, read_jsonl, read_squad, score
    from retrieval.query import parse_query

    if args.file.suffix == ".json":
        questions, pool = read_squad(args.file)
        tmp = tempfile.TemporaryDirectory(prefix="sarabun-eval-")
        docs, index_dir = Path(tmp.name) / "docs", Path(tmp.name) / "index"
        docs.mkdir()
        for doc_id, text in pool.items():
            (docs / f"{doc_id}.txt").write_text(text, "utf-8")
        print(f"indexing the {len(pool)} paragraphs of {args.file.name} …", file=sys.stderr)
        run_build(docs, index_dir, settings)
    else:
        questions, index_dir = read_jsonl(args.file), args.index
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    retriever = _open(index_dir)
    kinds = {d.path: d.kind for d in retriever.index.documents.values()}

    def method(name: str):
        def run(q):
            hits = retriever.search(parse_query(q.text), k=10, method=name)
            return Outcome(False, [(h.chunk.doc_id, h.chunk.text) for h in hits])
        return run

    def shipped(q):
        answer = ask(retriever, q.text, k=10)
        return Outcome(answer.abstained, [(c.doc_id, c.text) for c in answer.citations], answer.answer)

    runs = [("shipped", shipped)] + ([] if args.shipped_only else [
        ("bm25", method("bm25")), ("dense (e5)", method("dense")), ("rrf k=60", method("rrf"))])
    started = time.perf_counter()
    outcomes = {name: {q.qid: run(q) for q in questions} for name, run in runs}
    print(f"{args.file.name}: {len(questions)} questions, index {retriever.index.version}")
    for split in sorted({q.split for q in questions}):
        part = [q for q in questions if q.split == split]
        print(f"\n== {split or 'all questions'} ({len(part)}) ==")
        print(f"{'group':<10} {'method':<12}{HEADER}")
        for group, members in sorted(groups(part, lambda d: kinds.get(d, "?")).items()):
            for name, _ in runs:
                s = score(members, lambda q, name=name: outcomes[name][q.qid])
                print(f"{group:<10} {name:<12}{s.row()}", flush=True)
    log.info("eval took %.1f s", time.perf_counter() - started)
    return 0
