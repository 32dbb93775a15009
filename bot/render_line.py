"""Render answers as LINE messages: a Flex carousel (answer, then one card per citation) with quick
replies, within LINE's limits (5 messages per reply, 5,000 UTF-16 units per text)."""

import unicodedata
from urllib.parse import quote, urlsplit

from linebot.v3.messaging import (
    FlexContainer,
    FlexMessage,
    Message,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from retrieval.answer import Citation
from retrieval.quiz import QuizQuestion

from .actions import EXAMPLE, FEEDBACK, MORE, PASSAGE, QUIZ_ANSWER, Action
from .dialogue import Turn
from .messages import BUTTON_MORE, BUTTON_PASSAGE, BUTTON_SOURCE, CHOICE_LABELS, EXAMPLES, RIGHT, WRONG
from .render_text import citation_line, clip, excerpt, render_answer
from .training import QuizRound

MAX_MESSAGES = 5
MAX_TEXT = 5000  # UTF-16 code units per text message
CARD_EXCERPT = 280  # characters of the passage shown on a citation card
MAX_URI = 1000  # LINE's limit for a uri action


def text_message(text: str, quick_reply: QuickReply | None = None) -> TextMessage:
    return TextMessage(text=clip(text, MAX_TEXT), quick_reply=quick_reply)


def reply_messages(reply: Turn | str) -> list[Message]:
    """Messages for a dialogue reply: a notice, a distinct abstention text, or the Flex answer."""
    if isinstance(reply, str):
        return [text_message(reply)]
    answer = reply.answer
    if answer.abstained:
        return [text_message(render_answer(answer), example_replies())]
    bubbles = [_answer_bubble(answer.answer)]
    bubbles += [_citation_bubble(reply.ref, i, c) for i, c in enumerate(answer.citations)]
    flex = FlexMessage(alt_text=clip(answer.answer, 390),
                       contents=FlexContainer.from_dict({"type": "carousel", "contents": bubbles}),
                       quick_reply=_follow_ups(reply.ref))
    return [flex]


def passage_message(citation: Citation) -> TextMessage:
    """The full passage of a citation ("ข้อความต้นฉบับ")."""
    lines = [f"[{citation.rank}] {citation_line(citation)}", "", citation.text]
    if citation.source.startswith(("http://", "https://")):
        lines += ["", citation.source]
    return text_message("\n".join(lines))


def quiz_message(quiz_round: QuizRound) -> TextMessage:
    """A quiz question with its choices as quick replies."""
    q = quiz_round.question
    lines = [f"คำถาม: {q.question}", ""] + [f"{CHOICE_LABELS[i]}. {c}" for i, c in enumerate(q.choices)]
    items = [QuickReplyItem(action=PostbackAction(
        label=CHOICE_LABELS[i], data=Action(QUIZ_ANSWER, quiz_round.ref, str(i)).encode(),
        display_text=clip(f"{CHOICE_LABELS[i]}. {c}", 300))) for i, c in enumerate(q.choices)]
    return text_message("\n".join(lines), QuickReply(items=items))


def verdict_message(q: QuizQuestion, choice: int) -> TextMessage:
    """Right or wrong, the answer, and the passage it comes from."""
    verdict = RIGHT if choice == q.answer else WRONG
    lines = [verdict, f"เฉลย {CHOICE_LABELS[q.answer]}. {q.choices[q.answer]}", "",
             f"[1] {citation_line(q.citation)}", q.citation.text]
    return text_message("\n".join(lines))


def example_replies() -> QuickReply:
    """Example questions as quick replies (welcome, abstention)."""
    return QuickReply(items=[
        QuickReplyItem(action=PostbackAction(label=clip(q, 20), data=Action(EXAMPLE, arg=str(i)).encode(),
                                             display_text=q))
        for i, q in enumerate(EXAMPLES)])


def _follow_ups(ref: str) -> QuickReply:
    return QuickReply(items=[
        QuickReplyItem(action=PostbackAction(label=BUTTON_MORE, data=Action(MORE, ref).encode(),
                                             display_text="ขอคำตอบอื่น")),
        QuickReplyItem(action=PostbackAction(label="👍", data=Action(FEEDBACK, ref, "1").encode(),
                                             display_text="👍")),
        QuickReplyItem(action=PostbackAction(label="👎", data=Action(FEEDBACK, ref, "0").encode(),
                                             display_text="👎")),
        QuickReplyItem(action=MessageAction(label="แล้วข้อ 1 ล่ะ", text="แล้วข้อ 1 ล่ะ")),
    ])


def safe_uri(url: str) -> str | None:
    """``url`` fit for a Flex ``uri`` action, or None: http(s) with a host, no spaces or control
    characters, non-ASCII percent-encoded, at most MAX_URI characters. Document sources come from
    files and uploads, so they are checked rather than trusted (LINE refuses the whole message
    over one bad URI, and other schemes have no business in a source button)."""
    url = url.strip()
    if not url or any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    encoded = quote(url, safe=":/?#[]@!$&'()*+,;=%~")
    return encoded if len(encoded) <= MAX_URI else None


def _text(text: str, **style: object) -> dict:
    return {"type": "text", "text": text or " ", "wrap": True, **style}


def _answer_bubble(text: str) -> dict:
    return {"type": "bubble", "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
        _text("คำตอบจากเอกสาร", weight="bold", size="sm", color="#1B5E20"),
        _text(clip(text, 2000), size="sm"),
    ]}}


def _citation_bubble(ref: str, i: int, c: Citation) -> dict:
    where = citation_line(c)[len(c.title):].lstrip(" ·")
    body = [_text(clip(f"[{c.rank}] {c.title}", 300), weight="bold", size="sm")]
    if where:
        body.append(_text(where, size="xs", color="#666666"))
    body.append(_text(excerpt(c, CARD_EXCERPT), size="xs"))
    buttons = [{"type": "button", "style": "primary", "height": "sm",
                "action": {"type": "postback", "label": BUTTON_PASSAGE,
                           "data": Action(PASSAGE, ref, str(i)).encode(),
                           "displayText": f"{BUTTON_PASSAGE} [{c.rank}]"}}]
    if uri := safe_uri(c.source):
        buttons.append({"type": "button", "style": "link", "height": "sm",
                        "action": {"type": "uri", "label": BUTTON_SOURCE, "uri": uri}})
    return {"type": "bubble",
            "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
            "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}}
