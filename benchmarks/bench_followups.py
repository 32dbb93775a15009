"""Scripted chat sessions through the dialogue core that `sarabun chat`, Telegram and LINE share.

    python benchmarks/bench_followups.py [--index DIR] [-v] [FILE]

FILE (default benchmarks/evalsets/followups.jsonl) holds sessions {"id", "turns": [{"user",
"kind", "expect"}]}. A turn is right when:
- first / topic / next_section / previous_section / list_item: the answer text states every
  ``expect`` string (compared without spaces, Thai digits as Arabic);
- another: an answer whose first source differs from the previous turn's;
- no_context / decline: no answer from any document (a notice, or a decline).
Prints the share of right turns per kind and over all follow-up turns (every turn but "first").
"""

import argparse
import json
from collections import Counter
from pathlib import Path

import index  # noqa: F401  (sets offline environment)
from bot.dialogue import Dialogue
from index.settings import IndexSettings
from index.store import load_index
from index.thai_text import compact
from retrieval.search import open_retriever

DEFAULT = Path(__file__).parent / "evalsets" / "followups.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--index", type=Path, default=IndexSettings().index_dir)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every wrong turn")
    args = ap.parse_args()
    sessions = [json.loads(x) for x in args.file.read_text("utf-8").splitlines() if x.strip()]
    dialogue = Dialogue(open_retriever(load_index(args.index)))
    right, total = Counter(), Counter()
    for session in sessions:
        previous = None
        for turn in session["turns"]:
            reply = dialogue.reply(session["id"], turn["user"])
            answer = None if isinstance(reply, str) else reply.answer
            kind = turn["kind"]
            if kind in ("no_context", "decline"):
                ok = answer is None or answer.abstained
            elif kind == "another":
                ok = bool(answer and not answer.abstained and answer.citations and previous
                          and previous.citations
                          and answer.citations[0].chunk_id != previous.citations[0].chunk_id)
            else:
                text = compact(answer.answer) if answer and not answer.abstained else ""
                ok = bool(text) and all(compact(e) in text for e in turn["expect"])
            total[kind] += 1
            right[kind] += ok
            if args.verbose and not ok:
                shown = reply if isinstance(reply, str) else (answer.answer[:160] if answer else "")
                print(f"✗ {session['id']} [{kind}] {turn['user']}\n"
                      f"    expect {turn['expect']}\n    got {shown!r}")
            if answer is not None and not answer.abstained:
                previous = answer
    for kind in sorted(total):
        print(f"{kind:<17} {right[kind]:>3}/{total[kind]:<3} {right[kind] / total[kind]:.3f}")
    follow = [k for k in total if k != "first"]
    n, ok = sum(total[k] for k in follow), sum(right[k] for k in follow)
    print(f"{'follow-up turns':<17} {ok:>3}/{n:<3} {ok / n:.3f}")


if __name__ == "__main__":
    main()
