"""Cleaning of the shipped documents: web-page furniture and repeated headlines are dropped,
the text of Acts (the signing date under "ให้ไว้ ณ วันที่") is kept."""

from pathlib import Path

from index.clean import clean_document
from index.loaders import load_document

DOCS = Path(__file__).resolve().parent.parent / "docs_source"
MAX_BYTES = 20_000_000


def _lines(name: str) -> list[str]:
    pages = clean_document(load_document(DOCS / name, MAX_BYTES))
    return [" ".join(line.split()) for page in pages for line in page.text.split("\n") if line.strip()]


def test_news_page_furniture_and_repeated_headlines_are_dropped() -> None:
    lines = _lines("news_2023-03-01_cabinet_approves_digital_gov_plan_2566-2570.txt")
    head = lines[:4]
    assert not any(line in ("พิมพ์", "28/02/2566", "วันอังคารที่ 28 กุมภาพันธ์ 2566") for line in head)
    assert lines[0].startswith("ครม.เห็นชอบแผนพัฒนารัฐบาลดิจิทัล") and lines.count(lines[0]) == 1
    assert lines[1].startswith("น.ส.ทิพานัน ศิริชนะ")
    # The headline printed again below the lead is dropped too.
    training = _lines("news_2022-11-05_digital_skills_training_civil_servants.txt")
    assert sum(line.startswith("รองปลัดภานุวัฒน์ฯ เป็นประธาน") for line in training) == 1


def test_acts_keep_their_text() -> None:
    lines = _lines("computer_crime_act_2550.txt")
    signed = lines.index("ให้ไว้ ณ วันที่")
    assert lines[signed + 1] == "๑๐ มิถุนายน พ.ศ. ๒๕๕๐"
    assert lines.count("พระราชบัญญัติ") >= 1
