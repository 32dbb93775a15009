"""Statute structure at ingestion, on the shipped Council of State texts (no index needed)."""

import re
from pathlib import Path

from index.clean import clean_document
from index.loaders import load_document
from index.structure import chunk_document, cited_sections

DOCS = Path(__file__).parent.parent / "docs_source"


def _chunks(name: str):
    loaded = load_document(DOCS / name, 10**8)
    return chunk_document(clean_document(loaded), name, False, loaded.meta["title"], "act")


def test_amending_acts_are_their_own_units() -> None:
    chunks = _chunks("electronic_transactions_act_2544.txt")
    units = {c.unit for c in chunks}
    assert "พระราชบัญญัติว่าด้วยธุรกรรมทางอิเล็กทรอนิกส์ (ฉบับที่ ๔) พ.ศ. ๒๕๖๒" in units
    # มาตรา ๗ of the (ฉบับที่ ๔) Act is not มาตรา ๗ of the 2544 Act.
    seventh = [c for c in chunks if c.section == "มาตรา ๗"]
    assert {c.unit for c in seventh} == {"", "พระราชบัญญัติว่าด้วยธุรกรรมทางอิเล็กทรอนิกส์ (ฉบับที่ ๔) พ.ศ. ๒๕๖๒"}
    amended = next(c for c in seventh if c.unit)
    assert "ภายในเก้าสิบวัน" in amended.text
    reasons = [c for c in chunks if c.role == "reasons" and "(ฉบับที่ ๔)" in c.unit]
    assert reasons and "พิสูจน์และยืนยันตัวตน" in reasons[0].text


def test_footnotes_travel_with_their_section_and_are_never_passages() -> None:
    chunks = _chunks("electronic_transactions_act_2544.txt")
    assert not any(c.text.lstrip().startswith("[") for c in chunks)
    assert not any("พัชรภรณ์/เพิ่มเติม" in c.text for c in chunks)  # editors' sign-off dropped
    s44 = next(c for c in chunks if c.section == "มาตรา ๔๔" and not c.unit)
    assert s44.notes and "มาตรา ๔๔" in s44.notes[0] and "แก้ไขเพิ่มเติมโดย" in s44.notes[0]


def test_roles_and_boilerplate() -> None:
    chunks = _chunks("digital_government_act_2562.txt")
    roles = {c.role for c in chunks}
    assert {"boilerplate", "section", "definition", "reasons"} <= roles
    assert chunks[0].role == "boilerplate" and "พระบรมราชโองการ" in chunks[0].text  # enactment formula
    assert any(c.role == "boilerplate" and "ผู้รับสนองพระบรมราชโองการ" in c.text for c in chunks)


def test_reference_graph() -> None:
    chunks = _chunks("electronic_transactions_act_2544.txt")
    penalty = next(c for c in chunks if c.section == "มาตรา ๔๔" and not c.unit)
    assert "33" in penalty.cites and "44" not in penalty.cites
    assert cited_sections(penalty) == penalty.cites


def test_item_ranges_in_labels_run_through_consecutive_items() -> None:
    # A long section split over chunks is labelled with the items each chunk holds; a sub-list
    # restarting at (๑) or a line opening on a cross-reference never makes a backwards "(๗)–(๑)".
    for name in ("cybersecurity_act_2562.txt", "digital_government_act_2562.txt",
                 "official_information_act_2540.txt"):
        for chunk in _chunks(name):
            if chunk.section and "–" in chunk.section:
                items = chunk.section.split(" ")[-1].split("–")
                first, last = (int(re.sub(r"\D", "", part)) for part in items)
                assert first < last, (name, chunk.section)
    labels = {c.section for c in _chunks("official_information_act_2540.txt")}
    assert "มาตรา ๒๔ (๕)–(๙)" in labels
    # Lettered items follow each other by the alphabet, and never run on into numbered ones.
    from index.chunking import _item_number
    assert _item_number("(ค)") == ("letter", 3) and _item_number("(๑๒)") == ("digit", 12)
