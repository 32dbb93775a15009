"""A quiz handout as a Word document: the questions with blank lines for names, then on a new
page the answer key with each answer's source passage."""

import io

from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Pt

from retrieval.quiz import QuizQuestion

from ..messages import CHOICE_LABELS
from ..render_text import citation_line

FONT = "TH Sarabun New"  # the Thai government's standard font; Word substitutes when missing


def handout_docx(questions: list[QuizQuestion], heading: str, footer: str) -> bytes:
    """The handout as DOCX bytes."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(16)
    doc.add_heading(heading, level=1)
    doc.add_paragraph("ชื่อ–สกุล ........................................ วันที่ ....................")
    for n, q in enumerate(questions, 1):
        doc.add_paragraph(f"{n}. {q.question}")
        for i, choice in enumerate(q.choices):
            doc.add_paragraph(f"{CHOICE_LABELS[i]}. {choice}", style="List Bullet")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading("เฉลยและแหล่งอ้างอิง", level=1)
    for n, q in enumerate(questions, 1):
        doc.add_paragraph(f"{n}. {CHOICE_LABELS[q.answer]}. {q.choices[q.answer]}")
        source = citation_line(q.citation) + (f" · {q.citation.source}" if q.citation.source else "")
        doc.add_paragraph(source).runs[0].italic = True
        doc.add_paragraph(q.citation.text).paragraph_format.left_indent = Pt(18)
    doc.add_paragraph(footer)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
