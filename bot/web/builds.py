"""Console builds: the console's changes go to the build queue (:mod:`bot.builds`) with the chat
uploads, and its pages follow the queue's progress; this module holds the console's words for it.
"""

from ..builds import MAX_WAITING, build_state, kick
from .app import Console


def queued_message(what: str, place: int | None) -> tuple[str, bool]:
    """The Thai reply to a queued change: (message, accepted)."""
    if place is None:
        return (f"มีงานรอจัดทำดัชนีครบ {MAX_WAITING} งานแล้ว จึงยังไม่ได้รับ{what}ค่ะ "
                "กรุณารอให้งานเดิมเสร็จแล้วลองอีกครั้ง", False)
    when = ("กำลังจัดทำดัชนีอยู่เบื้องหลัง" if place == 0
            else f"รอจัดทำดัชนีต่อจากงานก่อนหน้า (คิวที่ {place})")
    return (f"รับ{what}แล้วค่ะ {when} ดูความคืบหน้าและผลได้ที่กล่อง “การจัดทำดัชนี” ในหน้านี้ "
            "หรือหน้า “รุ่นดัชนี”", True)


def page_context(console: Console, after: str) -> dict:
    """The build box's template context; ``after`` is the page to show again once a build ends
    (a GET address: reloading a page answered to a POST would send the form again)."""
    kick(console.admin)
    return {"build": build_state(console.db), "build_after": after}
