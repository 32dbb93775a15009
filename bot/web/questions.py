"""Questions page: the report of :mod:`bot.web.insights` with server-drawn SVG charts, and its
CSV export."""

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .app import Console
from .auth import WebUser
from .charts import bar_chart, line_chart
from .insights import build_questions_report, csv_rows, thai_today

DEFAULT_DAYS = 30
MAX_DAYS = 366


def date_range(request: Request) -> tuple[date, date]:
    """The page's ``from``/``to`` dates (Thai days); the last 30 days by default, at most a year,
    swapped when given backwards."""
    end = _date(request.query_params.get("to", "")) or thai_today()
    start = _date(request.query_params.get("from", "")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    return max(start, end - timedelta(days=MAX_DAYS - 1)), end


def routes(console: Console) -> list[Route]:
    def page(request: Request, user: WebUser, form: dict) -> Response:
        start, end = date_range(request)
        report = build_questions_report(console.db, start, end, console.dialogue.retriever.index)
        asked = [(d, float(n)) for d, n, _ in report.per_day]
        rates = [(d, a / n if n else 0.0) for d, n, a in report.per_day]
        return console.render(
            request, "questions.html", title="คำถาม", start=start.isoformat(), end=end.isoformat(),
            total=report.total, declined=report.declined, decline_rate=f"{report.decline_rate:.0%}",
            chart_questions=bar_chart(asked, "จำนวนคำถามต่อวัน"),
            chart_declines=line_chart(rates, "สัดส่วนคำถามที่ตอบไม่ได้ต่อวัน", percent=True),
            most_asked=report.most_asked, topics=report.topics, unhelpful=report.unhelpful)

    def export(request: Request, user: WebUser, form: dict) -> Response:
        start, end = date_range(request)
        console.audit(user.identity, "export-questions", f"{start}..{end}", True, "CSV")

        def lines() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            yield "\ufeff"  # BOM: spreadsheet programs then read the Thai text as UTF-8
            for rows in csv_rows(console.db, start, end):
                writer.writerows(rows)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()

        name = f"sarabun-questions-{start}-{end}.csv"
        return StreamingResponse(lines(), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return [
        Route("/questions", console.page("admin", page)),
        Route("/questions.csv", console.page("admin", export)),
    ]


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
