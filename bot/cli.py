"""The ``sarabun`` command line: its arguments and entry point; the subcommands live in
cli_index (index, eval), cli_chat (ask, define, chat, telegram, serve) and cli_admin (report, db,
web-link, quiz)."""

import argparse
import logging
import os
import sys
from pathlib import Path

import index  # noqa: F401  (sets the offline environment before any model library loads)
from index.embedders import EmbedderError
from index.settings import IndexSettings
from index.store import IndexUnavailable

from .cli_admin import cmd_db_status, cmd_db_upgrade, cmd_quiz, cmd_report, cmd_web_link
from .cli_chat import cmd_ask, cmd_chat, cmd_define, cmd_serve, cmd_telegram
from .cli_index import cmd_build, cmd_eval, cmd_rollback, cmd_status, cmd_verify


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
    b.set_defaults(run=cmd_build)
    s = idx.add_parser("status", help="show the published index")
    s.add_argument("--index", type=Path, default=settings.index_dir)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_status)
    r = idx.add_parser("rollback", help="publish the previous index version")
    r.add_argument("--index", type=Path, default=settings.index_dir)
    r.set_defaults(run=cmd_rollback)
    vf = idx.add_parser("verify", help="check the published version's checksums and counts")
    vf.add_argument("--index", type=Path, default=settings.index_dir)
    vf.set_defaults(run=cmd_verify)

    a = sub.add_parser("ask", help="answer questions (arguments or one per line on stdin)")
    a.add_argument("--index", type=Path, default=settings.index_dir)
    a.add_argument("--json", action="store_true", help="one JSON object per line")
    a.add_argument("-k", type=int, default=3, help="number of citations")
    a.add_argument("question", nargs="*")
    a.set_defaults(run=cmd_ask)

    c = sub.add_parser("chat", help="interactive console chat")
    c.add_argument("--index", type=Path, default=settings.index_dir)
    c.add_argument("--docs", type=Path, default=settings.docs_dir)
    c.set_defaults(run=cmd_chat)

    t = sub.add_parser("telegram", help="run the Telegram bot with long polling")
    t.add_argument("--index", type=Path, default=settings.index_dir)
    t.add_argument("--docs", type=Path, default=settings.docs_dir)
    t.set_defaults(run=cmd_telegram)

    v = sub.add_parser("serve", help="serve chat webhooks (Telegram, LINE) and /healthz")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8080)
    v.add_argument("--index", type=Path, default=settings.index_dir)
    v.add_argument("--docs", type=Path, default=settings.docs_dir)
    v.set_defaults(run=cmd_serve)

    d = sub.add_parser("define", help="definitions of a term in every document, cited")
    d.add_argument("--index", type=Path, default=settings.index_dir)
    d.add_argument("--json", action="store_true", help="one JSON object, shaped like ask --json")
    d.add_argument("term", nargs="+")
    d.set_defaults(run=cmd_define)

    q = sub.add_parser("quiz", help="multiple-choice questions generated from the documents")
    q.add_argument("--index", type=Path, default=settings.index_dir)
    q.add_argument("--count", type=int, default=10)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--topic", default="", help="only questions from passages about this topic")
    q.add_argument("--json", action="store_true", help="one JSON object a line")
    q.set_defaults(run=cmd_quiz)

    rp = sub.add_parser("report", help="most asked and unanswered questions, 👎 feedback")
    rp.add_argument("--since", help="YYYY-MM-DD (default: 7 days ago)")
    rp.add_argument("--json", action="store_true")
    rp.add_argument("--index", type=Path, default=settings.index_dir)
    rp.set_defaults(run=cmd_report)

    db = sub.add_parser("db", help="the state database (SARABUN_DATABASE_URL or SARABUN_DATA_DB)")
    db_sub = db.add_subparsers()
    du = db_sub.add_parser("upgrade", help="apply pending schema migrations")
    du.set_defaults(run=cmd_db_upgrade)
    ds = db_sub.add_parser("status", help="applied and pending schema migrations")
    ds.set_defaults(run=cmd_db_status)

    w = sub.add_parser("web-link", help="print a one-time sign-in link to the web console (/admin)")
    w.add_argument("--role", choices=("admin", "trainer"), default="admin")
    w.add_argument("--who", default="", help="identity for the audit log (default: cli:<login name>)")
    w.add_argument("--base-url", default="", help="default: SARABUN_PUBLIC_URL, else http://127.0.0.1:8080")
    w.set_defaults(run=cmd_web_link)

    e = sub.add_parser("eval", help="retrieval quality: BM25, dense and shipped side by side")
    e.add_argument("file", type=Path)
    e.add_argument("--index", type=Path, default=settings.index_dir)
    e.add_argument("--split", choices=("all", "tune", "heldout"), default="all",
                   help="only the questions of this half of the set")
    e.add_argument("--shipped-only", action="store_true", help="skip the BM25/dense/RRF baselines")
    e.set_defaults(run=cmd_eval)
    return p

