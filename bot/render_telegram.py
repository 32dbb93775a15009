"""Render answers as Telegram HTML messages (≤ 4096 characters each) with inline buttons."""

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from retrieval.answer import Answer, Citation
from retrieval.quiz import QuizQuestion

from .actions import FEEDBACK, MORE, PASSAGE, QUIZ_ANSWER, QUIZ_REVEAL, TERMS, Action
from .dialogue import Turn
from .messages import BUTTON_MORE, BUTTON_PASSAGE, BUTTON_REVEAL, BUTTON_SOURCE, CHOICE_LABELS
from .render_text import citation_line, clip, decline_lines, excerpt, utf16_len
from .training import QuizRound

MAX_MESSAGE = 4096  # Telegram's limit, counted in UTF-16 code units
MIN_QUOTE = 300  # the least of a cited passage an answer message shows
MAX_QUOTE = 3500  # the most of a passage one quote shows, so that it fits a message with its heading
SOURCES = "แหล่งอ้างอิง"


def answer_messages(answer: Answer) -> list[str]:
    """The answer, then numbered sources with each passage in an expandable block quote."""
    if answer.abstained:
        return pack([escape("\n".join(decline_lines(answer)))])
    blocks = [escape(answer.answer), f"<b>{SOURCES}</b>"]
    # Each passage gets its share of one message (a cited section may be long); the button
    # "ข้อความต้นฉบับ [n]" shows it whole.
    room = MAX_MESSAGE - utf16_len("\n\n".join(blocks)) - 2 * len(answer.citations)
    share = max(MIN_QUOTE, room // max(1, len(answer.citations)))
    blocks += [_citation_block(c, share) for c in answer.citations]
    return pack(blocks)


def passage_messages(citation: Citation) -> list[str]:
    """The full passage of one citation ("ข้อความต้นฉบับ")."""
    head = f"<b>[{citation.rank}] {_heading(citation_line(citation))}</b>"
    return pack([head, *(_quote(p) for p in citation.text.split("\n\n")), *_link(citation)])


def answer_keyboard(turn: Turn) -> InlineKeyboardMarkup | None:
    """Buttons under an answer; callback data names the turn (state stays server-side)."""
    if turn.answer.abstained:
        return None
    passages = [InlineKeyboardButton(f"{BUTTON_PASSAGE} [{c.rank}]",
                                     callback_data=Action(PASSAGE, turn.ref, str(i)).encode())
                for i, c in enumerate(turn.answer.citations)]
    actions = [InlineKeyboardButton(BUTTON_MORE, callback_data=Action(MORE, turn.ref).encode()),
               InlineKeyboardButton("👍", callback_data=Action(FEEDBACK, turn.ref, "1").encode()),
               InlineKeyboardButton("👎", callback_data=Action(FEEDBACK, turn.ref, "0").encode())]
    return InlineKeyboardMarkup([passages, actions] if passages else [actions])


def pack(blocks: list[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join HTML blocks into as few messages as fit ``limit``; a message never ends inside a
    block, so tags stay balanced. A block longer than ``limit`` must not occur (see _quote)."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}\n\n{block}" if current else block
        if utf16_len(joined) <= limit:
            current = joined
        else:
            messages.append(current)
            current = block
    if current:
        messages.append(current)
    return [m for m in messages if m]


def _citation_block(c: Citation, max_len: int = MAX_MESSAGE) -> str:
    """A citation's heading, link and passage, within ``max_len`` UTF-16 units when the passage
    can be shortened to fit (never below ``MIN_QUOTE``)."""
    head = "\n".join([f"[{c.rank}] {_heading(citation_line(c))}", *_link(c)])
    room = max_len - utf16_len(head) - len("\n<blockquote expandable></blockquote>") - 2
    room = min(MAX_QUOTE, max(MIN_QUOTE, room))
    return "\n".join([head, _quote(excerpt(c, room), expandable=True, max_len=room)])


def _link(c: Citation) -> list[str]:
    if c.source.startswith(("http://", "https://")):
        return [f'<a href="{escape(c.source, quote=True)}">{BUTTON_SOURCE}</a>']
    return []


def _quote(text: str, expandable: bool = False, max_len: int = MAX_QUOTE) -> str:
    """A block quote of ``text``, cut so that its escaped form stays within ``max_len`` and the
    quote always fits one message with its heading."""
    quoted = escape(text)
    while utf16_len(quoted) > max_len:
        text = text[: len(text) * 9 // 10]
        quoted = escape(text) + " …"
    tag = "blockquote expandable" if expandable else "blockquote"
    return f"<{tag}>{quoted}</blockquote>"


def _heading(text: str, max_chars: int = 300) -> str:
    """Escaped one-line heading; document titles come from admins and may be long."""
    return escape(clip(text, max_chars))


def quiz_message(q: QuizQuestion) -> str:
    """A quiz question with its lettered choices."""
    choices = "\n".join(f"{CHOICE_LABELS[i]}. {escape(c)}" for i, c in enumerate(q.choices))
    return f"<b>คำถาม</b> {escape(q.question)}\n\n{choices}"


def quiz_keyboard(quiz_round: QuizRound, group: bool) -> InlineKeyboardMarkup:
    """One button per choice; in groups also "เฉลย" for the trainer."""
    rows = [[InlineKeyboardButton(CHOICE_LABELS[i], callback_data=Action(QUIZ_ANSWER, quiz_round.ref,
                                                                         str(i)).encode())
             for i in range(len(quiz_round.question.choices))]]
    if group:
        rows.append([InlineKeyboardButton(BUTTON_REVEAL,
                                          callback_data=Action(QUIZ_REVEAL, quiz_round.ref).encode())])
    return InlineKeyboardMarkup(rows)


def reveal_message(quiz_round: QuizRound) -> str:
    """The answer, who got it right, and the passage it comes from."""
    q = quiz_round.question
    winners = quiz_round.winners()
    lines = [f"<b>{BUTTON_REVEAL}</b> {CHOICE_LABELS[q.answer]}. {escape(q.choices[q.answer])}"]
    if quiz_round.answers:
        names = ", ".join(escape(n) for n in winners) or "–"
        lines.append(f"ตอบถูก {len(winners)}/{len(quiz_round.answers)} คน: {names}")
    return "\n".join(lines) + "\n\n" + _citation_block(q.citation)


def leaderboard_message(board: list[tuple[str, int]], title: str) -> str:
    rows = [f"{n}. {escape(name)} — {points} คะแนน" for n, (name, points) in enumerate(board, 1)]
    return f"<b>{escape(title)}</b>\n" + ("\n".join(rows) if rows else "ยังไม่มีคะแนนค่ะ")


def terms_page(terms: list[str], page: int, per_page: int = 40) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the glossary's terms with previous/next buttons."""
    pages = max(1, -(-len(terms) // per_page))
    page = min(max(page, 0), pages - 1)
    shown = terms[page * per_page : (page + 1) * per_page]
    text = (f"<b>คำศัพท์ที่เอกสารให้นิยามไว้</b> (หน้า {page + 1}/{pages})\n"
            + "\n".join(f"• {escape(t)}" for t in shown) + "\n\nพิมพ์ /define คำ เพื่อดูนิยาม")
    buttons = [InlineKeyboardButton(label, callback_data=Action(TERMS, arg=str(to)).encode())
               for label, to in (("◀ ก่อนหน้า", page - 1), ("ถัดไป ▶", page + 1)) if 0 <= to < pages]
    return text, InlineKeyboardMarkup([buttons]) if buttons else None
