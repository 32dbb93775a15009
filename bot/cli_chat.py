"""``sarabun ask``, ``define``, ``chat``, ``telegram`` and ``serve``: answering questions on the
console and running the chat front ends."""

import argparse
import json
import sys

from index.embedders import limit_process_threads
from index.settings import IndexSettings
from index.store import current_version

from .cli_admin import open_state
from .cli_index import cmd_build, open_published


def cmd_ask(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun ask``: answer the arguments, or each line of stdin."""
    from retrieval.answer import ask

    from .render_text import render_answer

    retriever = open_published(args.index)
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


def cmd_define(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun define``: the term's definition in every document that defines it."""
    from retrieval.answer import define

    from .render_text import render_answer

    answer = define(open_published(args.index), " ".join(args.term))
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print(render_answer(answer, passages=True))
    return 0


def cmd_chat(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun chat``: the dialogue on the console until /quit or end of input."""
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


def cmd_telegram(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun telegram``: the Telegram bot with long polling."""
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
    run_polling(bot_settings, dialogue, _admin(args, settings, dialogue))
    return 0


def cmd_serve(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun serve``: the chat webhooks, the web console and /healthz over HTTP."""
    from .serve import create_app
    from .server import Limits, run
    from .settings import BotSettings, SettingsError

    bot_settings = BotSettings()
    limit_process_threads(bot_settings.embed_threads)  # before the model loads
    dialogue = _dialogue(args, settings)
    try:
        app = create_app(bot_settings, dialogue, _admin(args, settings, dialogue))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run(app, args.host, args.port, Limits(bot_settings.request_header_seconds,
                                          bot_settings.request_body_seconds,
                                          bot_settings.max_connections))
    return 0


def _dialogue(args: argparse.Namespace, settings: IndexSettings):  # -> Dialogue
    """The dialogue core over the published index (switching to newly published versions),
    built from the documents on first run."""
    from retrieval.live import LiveRetriever

    from .dialogue import Dialogue

    if current_version(args.index) is None:
        print(f"ยังไม่มีดัชนี กำลังสร้างจาก {args.docs} …", file=sys.stderr)
        cmd_build(argparse.Namespace(docs=args.docs, index=args.index, strict=False), settings)
    return Dialogue(LiveRetriever(args.index), state=open_state())


def _admin(args: argparse.Namespace, settings: IndexSettings, dialogue):  # -> Admin
    """Admin operations on the same documents, index and embedder as the dialogue."""
    from .admin import Admin

    return Admin(args.docs, args.index, dialogue.retriever.embedder, int(settings.max_file_mb * 1e6),
                 dialogue.db)
