from pathlib import Path

import pytest

from index.thai_repair import repair_thai, restore_lost_mai_ek

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("damaged", "fixed"),
    [
        ("ปรับเปลี่ยนการท างานภาครัฐ", "ปรับเปลี่ยนการทำงานภาครัฐ"),  # lost nikhahit
        ("คําแนะนํา", "คำแนะนำ"),  # decomposed sara am
        ("\x93รัฐบาลดิจิทัล\x94 หมายความว่า", "“รัฐบาลดิจิทัล” หมายความว่า"),  # cp874 read as Latin-1
        ("น้ําท่วม", "น้ำท่วม"),  # tone mark between nikhahit parts
        ("ทำาให้", "ทำให้"),  # sara am followed by a stray sara aa
        ("ก\u200bา\u200bร", "การ"),  # zero-width spaces
        ("พ ุ่ม", "พุ่ม"),  # space before a combining mark
        ("ก่ีคน", "กี่คน"),  # tone mark typed before the vowel
        ("ก า ร พ ั ฒ น า ระบบ", "การพัฒนา ระบบ"),  # letter-spaced run
        ("\uf70f", "ญ"),  # private-use glyph of a legacy Thai font
    ],
)
def test_repairs_extraction_damage(damaged: str, fixed: str) -> None:
    assert repair_thai(damaged) == fixed


def test_never_decomposes_sara_am() -> None:
    assert "\u0e4d" not in repair_thai("ทำงาน น้ำ คำ")


def test_clean_shipped_texts_stay_byte_identical() -> None:
    texts = sorted((ROOT / "docs_source").glob("*.txt"))
    assert len(texts) >= 10
    for path in texts:
        text = path.read_text("utf-8")
        assert repair_thai(text) == text, path.name


@pytest.mark.parametrize(
    ("read", "meant"),
    [  # Tesseract's readings of the rendered guideline
        ("สังคมของประเทศไปสู่ความมันคง มังคั่ง และยังยืน", "สังคมของประเทศไปสู่ความมั่นคง มั่งคั่ง และยั่งยืน"),
        ("เพื่อสร้างแรงจูงใจในการพัฒนาอย่างต่อเนื่องแบบยังยืน", "เพื่อสร้างแรงจูงใจในการพัฒนาอย่างต่อเนื่องแบบยั่งยืน"),
        ("ความมันคงของชาติ", "ความมั่นคงของชาติ"),
        ("การกํากับความมันคง", "การกํากับความมั่นคง"),  # raw OCR: sara am still decomposed
    ],
)
def test_restores_the_mai_ek_ocr_drops_over_mai_han_akat(read: str, meant: str) -> None:
    assert restore_lost_mai_ek(read) == meant


def test_mai_ek_restoration_leaves_words_that_need_none() -> None:
    text = "ดังนั้น ทันที วันนี้ กันเอง รับผิดชอบ สั่งการ ยังคง มั่นคง พลังงาน"
    assert restore_lost_mai_ek(text) == text
