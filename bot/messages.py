"""Thai texts shared by the chat front ends (Telegram, LINE)."""

EXAMPLES = [
    "รัฐบาลดิจิทัลมีคุณลักษณะอะไรบ้าง",
    "คณะกรรมการพัฒนารัฐบาลดิจิทัลประกอบด้วยใครบ้าง",
    "จุดเน้นการพัฒนาภาครัฐมีอะไรบ้าง",
]
EXAMPLES_INTRO = "ตัวอย่างคำถาม (กดเพื่อถามได้เลย):"
BUTTON_PASSAGE = "ข้อความต้นฉบับ"
BUTTON_MORE = "คำตอบอื่น"
BUTTON_SOURCE = "เปิดเอกสารต้นฉบับ"
BUTTON_REVEAL = "เฉลย"
CHOICE_LABELS = "กขคง"
DEFINE_USAGE = "พิมพ์คำที่ต้องการต่อท้ายคำสั่งค่ะ เช่น /define รัฐบาลดิจิทัล"
NO_QUIZ = "ยังสร้างคำถามจากหัวข้อนี้ไม่ได้ค่ะ ลองหัวข้ออื่น หรือพิมพ์ /quiz เฉย ๆ"
QUIZ_RECORDED = "บันทึกคำตอบแล้วค่ะ"
QUIZ_AGAIN = "ตอบได้ครั้งเดียวค่ะ"
QUIZ_CLOSED = "ข้อนี้เฉลยไปแล้วค่ะ"
RIGHT = "ถูกต้องค่ะ ✅"
WRONG = "ยังไม่ถูกค่ะ"
HINT_NON_TEXT = "สารบรรณตอบได้เฉพาะคำถามที่เป็นข้อความค่ะ กรุณาพิมพ์คำถามมาได้เลย"
RATE_LIMITED = "ถามถี่เกินไปเล็กน้อยค่ะ กรุณารอสักครู่แล้วค่อยถามใหม่นะคะ"
STALE = "ปุ่มนี้หมดอายุแล้วค่ะ กรุณาพิมพ์คำถามใหม่อีกครั้ง"
THANKS = "ขอบคุณสำหรับความคิดเห็นค่ะ"
FAILED = "ขออภัยค่ะ เกิดข้อผิดพลาดชั่วคราว กรุณาลองใหม่อีกครั้ง"


def change_queued(what: str, place: int | None) -> str:
    """The answer to an admin's change (``what``: "ไฟล์ x.pdf ", "คำสั่งลบ x ", "คำสั่งจัดทำดัชนีใหม่"):
    queued, with ``place`` changes before it (0: its build starts now), or not taken because the
    build queue is full (None)."""
    if place is None:
        return (f"ขณะนี้มีงานรอสร้างดัชนีเต็มคิวแล้ว จึงยังไม่ได้รับ{what}ค่ะ "
                "กรุณาส่งใหม่อีกครั้งเมื่องานเดิมเสร็จ")
    when = "กำลังสร้างดัชนี" if place == 0 else f"รอสร้างดัชนีต่อจากงานก่อนหน้า (คิวที่ {place})"
    return f"รับ{what}แล้วค่ะ {when} ระหว่างนี้ถามคำถามได้ตามปกติ เสร็จแล้วจะแจ้งผลให้ทราบค่ะ"
