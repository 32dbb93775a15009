"""Trainers' pages: build a quiz set and preview it with citations, export a handout (print page
and DOCX), and a projector view of a live group session that follows the chat's rounds.

Live rounds and scores are read from the shared quiz state (:class:`bot.state.QuizStore`), which
every front end and replica writes, so the projector shows what the chat sees.
"""

import time
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from retrieval.quiz import QuizQuestion, generate_quiz

from ..messages import CHOICE_LABELS
from ..render_text import citation_line
from ..state import QuizStore
from ..state.quiz import ROUND_TTL, SESSION_TTL
from .app import Console
from .auth import WebUser
from .handout import handout_docx

MAX_COUNT = 50
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ALL_QUESTIONS = 100_000  # "every candidate" when filtering by document afterwards


@dataclass
class QuizForm:
    topic: str
    docs: list[str]
    count: int
    seed: int

    @classmethod
    def from_request(cls, request: Request) -> "QuizForm":
        p = request.query_params
        return cls(p.get("topic", "").strip()[:200], p.getlist("doc")[:100],
                   min(max(_int(p.get("count"), 10), 1), MAX_COUNT), max(_int(p.get("seed"), 0), 0))

    def query(self) -> str:
        return urlencode([("topic", self.topic), ("count", self.count), ("seed", self.seed),
                          *(("doc", d) for d in self.docs)])


def quiz_set(console: Console, form: QuizForm) -> list[QuizQuestion]:
    """The quiz of ``form``: deterministic for its topic, documents, count and seed."""
    retriever = console.dialogue.retriever
    if not form.docs:
        return generate_quiz(retriever, form.count, form.seed, form.topic)
    wanted = set(form.docs)
    every = generate_quiz(retriever, ALL_QUESTIONS, form.seed, form.topic)
    return [q for q in every if q.citation.doc_id in wanted][:form.count]


@dataclass
class LiveChat:
    chat: str
    label: str
    players: int
    running: bool


def live_chats(console: Console) -> list[LiveChat]:
    """Chats with a quiz round in the last day or a running session, most recent first."""
    now = time.time()
    with console.db.read() as conn:
        rows = conn.execute(text(
            "SELECT r.chat_id, MAX(r.at) AS last, COUNT(DISTINCT a.user_id) AS players FROM quiz_rounds r "
            "LEFT JOIN quiz_answers a ON a.ref = r.ref WHERE r.at >= :since "
            "GROUP BY r.chat_id ORDER BY last DESC"), {"since": now - ROUND_TTL}).all()
        running = set(conn.execute(text("SELECT chat_id FROM training_sessions WHERE at >= :since"),
                                   {"since": now - SESSION_TTL}).scalars())
    chats = [LiveChat(r.chat_id, f"แชต {r.chat_id}", r.players, r.chat_id in running) for r in rows]
    chats += [LiveChat(c, f"แชต {c}", 0, True) for c in sorted(running - {r.chat_id for r in rows})]
    return chats


def live_state(console: Console, chat: str) -> dict:
    """What the projector shows for ``chat``: the latest round, its answer counts per choice
    (the correct choice marked only once revealed) and the session's leaderboard."""
    store = QuizStore(console.db)
    with console.db.read() as conn:
        ref = conn.execute(text("SELECT ref FROM quiz_rounds WHERE chat_id = :chat AND at >= :since "
                                "ORDER BY at DESC LIMIT 1"),
                           {"chat": chat, "since": time.time() - ROUND_TTL}).scalar()
    quiz_round = store.get(ref) if ref else None
    board = [{"name": name, "points": points} for name, points in store.leaderboard(chat)]
    if quiz_round is None:
        return {"status": "ยังไม่มีคำถามในแชตนี้ ส่ง /quiz ในกลุ่มเพื่อเริ่ม", "question": None,
                "choices": [], "answers": 0, "revealed": False, "reveal": "", "leaderboard": board}
    q = quiz_round.question
    counts = [0] * len(q.choices)
    for _, choice in quiz_round.answers.values():
        counts[choice] += 1
    revealed = quiz_round.revealed
    return {
        "status": ("เฉลยแล้ว" if revealed else "กำลังรับคำตอบ") + f" · ตอบแล้ว {len(quiz_round.answers)} คน",
        "ref": quiz_round.ref,
        "question": q.question,
        "choices": [{"label": CHOICE_LABELS[i], "text": c, "count": counts[i],
                     "correct": revealed and i == q.answer} for i, c in enumerate(q.choices)],
        "answers": len(quiz_round.answers),
        "revealed": revealed,
        "reveal": (f"เฉลย {CHOICE_LABELS[q.answer]}. {q.choices[q.answer]} — {citation_line(q.citation)}"
                   if revealed else ""),
        "leaderboard": board,
    }


def routes(console: Console) -> list[Route]:
    def documents() -> list:
        return sorted(console.dialogue.retriever.index.documents.values(), key=lambda d: d.title)

    def quiz(request: Request, user: WebUser, form: dict) -> Response:
        quiz_form = QuizForm.from_request(request)
        previewing = "count" in request.query_params
        questions = quiz_set(console, quiz_form) if previewing else None
        return console.render(request, "quiz.html", title="ชุดคำถาม", form=quiz_form, documents=documents(),
                              questions=questions, query=quiz_form.query(), max_count=MAX_COUNT,
                              labels=CHOICE_LABELS, citation_line=citation_line, show_answers=True)

    def handout(request: Request, user: WebUser, form: dict) -> Response:
        quiz_form = QuizForm.from_request(request)
        console.audit(user.identity, "handout", quiz_form.query(), True, "print")
        return console.render(request, "handout.html", title="เอกสารแจก", form=quiz_form,
                              questions=quiz_set(console, quiz_form), labels=CHOICE_LABELS,
                              citation_line=citation_line, version=console.dialogue.retriever.index.version)

    def handout_file(request: Request, user: WebUser, form: dict) -> Response:
        quiz_form = QuizForm.from_request(request)
        questions = quiz_set(console, quiz_form)
        if not questions:
            return console.message(request, "เอกสารแจก", "ยังสร้างคำถามจากเงื่อนไขนี้ไม่ได้ค่ะ", 404)
        console.audit(user.identity, "handout", quiz_form.query(), True, "docx")
        heading = "แบบทดสอบ" + (f" เรื่อง {quiz_form.topic}" if quiz_form.topic else "")
        footer = f"สร้างจากดัชนีรุ่น {console.dialogue.retriever.index.version} · เลขสุ่ม {quiz_form.seed}"
        name = f"sarabun-quiz-{quiz_form.seed}.docx"
        return Response(handout_docx(questions, heading, footer), media_type=DOCX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def live(request: Request, user: WebUser, form: dict) -> Response:
        return console.render(request, "live.html", title="รอบอบรมสด", sessions=live_chats(console))

    def projector(request: Request, user: WebUser, form: dict) -> Response:
        return console.render(request, "projector.html", title="หน้าจอโปรเจกเตอร์",
                              chat=request.query_params.get("chat", ""))

    def state(request: Request, user: WebUser, form: dict) -> Response:
        return JSONResponse(live_state(console, request.query_params.get("chat", "")))

    return [
        Route("/quiz", console.page("trainer", quiz)),
        Route("/quiz/handout", console.page("trainer", handout)),
        Route("/quiz/handout.docx", console.page("trainer", handout_file)),
        Route("/live", console.page("trainer", live)),
        Route("/live/view", console.page("trainer", projector)),
        Route("/live/state", console.page("trainer", state)),
    ]


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
