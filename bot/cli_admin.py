"""``sarabun report``, ``db``, ``web-link`` and ``quiz``: the operator's commands over the state
database and the trainer's printed quiz."""

import argparse
import json
import os
import sys
import time

from index.settings import IndexSettings
from index.store import current_version, load_index

from .cli_index import open_published


def open_state(upgrade: bool | None = True):  # -> Database
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


def cmd_quiz(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun quiz``: multiple-choice questions from the documents, with answers and sources."""
    from retrieval.quiz import generate_quiz

    from .messages import CHOICE_LABELS
    from .render_text import citation_line

    questions = generate_quiz(open_published(args.index), args.count, args.seed, args.topic)
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


def cmd_report(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun report``: most asked and unanswered questions and 👎 feedback since a date."""
    from .report import build_report, parse_since, render_report

    try:
        since = parse_since(args.since) if args.since else time.time() - 7 * 86400
    except ValueError:
        print(f"error: --since expects YYYY-MM-DD, got {args.since!r}", file=sys.stderr)
        return 2
    published = load_index(args.index) if current_version(args.index) else None
    report = build_report(open_state(), since, published)
    print(json.dumps(report.to_json(), ensure_ascii=False) if args.json else render_report(report))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun db upgrade``: apply the pending schema migrations."""
    from .state import upgrade

    done = upgrade(open_state(upgrade=None))
    for m in done:
        print(f"applied {m.component} {m.version:04d} {m.name}: {m.description}")
    print("database schema is up to date" + (f" ({len(done)} applied)" if done else ""))
    return 0


def cmd_db_status(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun db status``: applied and pending migrations; exit 1 while any is pending."""
    from .state import all_migrations, applied

    db = open_state(upgrade=None)
    done = applied(db)
    print(f"database: {db.safe_url}")
    for m in all_migrations():
        state = "applied" if (m.component, m.version) in done else "PENDING"
        print(f"  {state:8} {m.component} {m.version:04d} {m.name}")
    return 0 if all((m.component, m.version) in done for m in all_migrations()) else 1


def cmd_web_link(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun web-link``: print a one-time sign-in link to the web console."""
    from .web.auth import LINK_SECONDS, issue_link
    from .web.settings import WebSettings

    base = args.base_url or WebSettings().public_url or "http://127.0.0.1:8080"
    who = args.who or f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or os.getuid()}"
    print(issue_link(open_state(), args.role, who, base))
    print(f"(one sign-in, within {LINK_SECONDS / 60:.0f} minutes)", file=sys.stderr)
    return 0
