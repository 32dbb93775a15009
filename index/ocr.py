"""OCR of scanned pages and photos with Tesseract (Thai and English models) via pytesseract.

A page image is cleared of speckle, turned upright (Tesseract's orientation detection),
deskewed (projection profile), then read once for both its text and its word confidences. On a
Thai page, a run of unsure Latin "words" is usually Thai that the English model claimed (เรื่อง
read as "as", a whole line as "erat ea ma"): that stretch of the line is read again with the Thai
model alone and replaced when the second reading is surer and made of Thai words. A mai ek
Tesseract dropped over mai han-akat is put back (``thai_repair.restore_lost_mai_ek``). The Thai
repair step runs on the text later, with every other page (``index.clean``). Runs inside the parsing
worker (``index.sandbox``), never in a serving process.
"""

import csv
import io
import logging
import re
import shutil
import statistics
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .thai_repair import restore_lost_mai_ek
from .thai_text import compact

log = logging.getLogger(__name__)

LANGUAGES = "tha+eng"
DPI = 300
LOW_CONFIDENCE = 70.0  # mean word confidence (%) under which admins are asked to check a page
ENABLE_OCR = "install Tesseract with its Thai model (apt-get install tesseract-ocr tesseract-ocr-tha)"
ENABLE_OCR_THAI = ("ไฟล์นี้เป็นภาพสแกน ต้องใช้ OCR ซึ่งยังไม่ได้ติดตั้ง ผู้ดูแลเซิร์ฟเวอร์ติดตั้งได้ด้วย "
                   "apt-get install tesseract-ocr tesseract-ocr-tha")
# Skew angles tried (degrees): coarse, then fine around the best coarse one.
_COARSE = np.arange(-5.0, 5.01, 0.5)
_FINE = np.arange(-0.4, 0.41, 0.1)
_LATIN = re.compile("[A-Za-z]")
_THAI_LETTER = re.compile("[ก-ฮะ-ฺเ-ๅ]")


@dataclass
class OcrText:
    """What Tesseract read on one page and how sure it was (mean word confidence, 0-100)."""

    text: str
    confidence: float


@lru_cache(maxsize=1)
def ocr_missing() -> str | None:
    """Why OCR cannot run here (what to install), or None when it can."""
    try:
        import pytesseract
    except ImportError:
        return f"pytesseract is not installed; {ENABLE_OCR}"
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return f"Tesseract is not installed; {ENABLE_OCR}"
    try:
        languages = set(pytesseract.get_languages())
    except (pytesseract.TesseractError, OSError) as exc:
        return f"Tesseract does not run ({exc}); {ENABLE_OCR}"
    missing = sorted(set(LANGUAGES.split("+")) - languages)
    return f"Tesseract lacks the {', '.join(missing)} model; {ENABLE_OCR}" if missing else None


def ocr_image(image) -> OcrText:
    """Read a page image (PIL): despeckle, upright and deskew it, OCR it with word confidences."""
    import pytesseract
    from PIL import ImageFilter

    # A 3x3 median removes scanner speckle (measured: CER 3.1% → 0.7% at 300 dpi with 0.5% noise)
    # while Thai strokes, 3 px or more at 200 dpi, survive it.
    gray = deskew(upright(image.convert("L").filter(ImageFilter.MedianFilter(3))))
    text, tsv = pytesseract.run_and_get_multiple_output(gray, extensions=["txt", "tsv"],
                                                        lang=LANGUAGES)
    return OcrText(restore_lost_mai_ek(_reread_unsure_latin(gray, text, tsv)), _mean_confidence(tsv))


def _reread_unsure_latin(gray, text: str, tsv: str) -> str:
    """On a mostly Thai page, read each run of unsure Latin words again with the Thai model
    alone (measured on the rendered guideline: 4 เรื่อง read as "4 as", a whole line read as
    "i erat ea ma ie pe" at 20-50% confidence); keep the Thai reading when it is surer than
    both the Latin one and LOW_CONFIDENCE and is made of dictionary words (a real English word
    such as "Service)" reads as Thai nonsense and stays)."""
    if len(_THAI_LETTER.findall(text)) < len(_LATIN.findall(text)):
        return text
    lines: dict[tuple[str, str, str], list[dict]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") == "5" and (row.get("text") or "").strip():
            lines.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(row)
    out = text.split("\n")
    written = [i for i, line in enumerate(out) if line.strip()]
    # The text output has one line per TSV line; check that before editing by position.
    if len(written) != len(lines) or any(
            re.sub(r"\s", "", out[i]) != "".join(w["text"].strip() for w in words)
            for i, words in zip(written, lines.values(), strict=True)):
        log.debug("OCR text and word boxes disagree; Latin words not re-read")
        return text
    for i, words in zip(written, lines.values(), strict=True):
        out[i] = "" if _letter_tails(words) else _reread_line(gray, out[i], words)
    return "\n".join(out)


def _letter_tails(words: list[dict]) -> bool:
    """Whether a line of a Thai page is only short unsure Latin fragments ("AQ YY" at 52-73%):
    the tails of ฐ, ญ and the lower vowels of the line above, read as a line of their own."""
    texts = [w["text"].strip() for w in words]
    return all(len(t) <= 3 and t.isascii() and _LATIN.search(t) for t in texts) and (
        sum(float(w["conf"]) for w in words) / len(words) < 80)


def _reread_line(gray, line: str, words: list[dict]) -> str:
    import pytesseract
    from PIL import ImageOps

    runs: list[list[dict]] = []
    previous = None
    for n, w in enumerate(words):
        word = w["text"].strip()
        if word.isascii() and _LATIN.search(word) and float(w["conf"]) < LOW_CONFIDENCE:
            if previous == n - 1:
                runs[-1].append(w)
            else:
                runs.append([w])
            previous = n
    if not runs:
        return line
    # The line's box can reach into the lines above and below (tall misread glyphs): take the
    # height of its letters from the sure words and leave room for Thai marks above and below.
    sure = [w for w in words if float(w["conf"]) >= LOW_CONFIDENCE and not w["text"].isascii()]
    cursor = 0
    for run in runs:
        boxes = sure or run
        top = statistics.median(int(w["top"]) for w in boxes)
        bottom = statistics.median(int(w["top"]) + int(w["height"]) for w in boxes)
        height = bottom - top
        left = min(int(w["left"]) for w in run) - 3
        right = max(int(w["left"]) + int(w["width"]) for w in run) + 3
        box = (max(left, 0), max(int(top - 0.8 * height), 0), min(right, gray.width),
               min(int(bottom + 0.5 * height), gray.height))
        crop = ImageOps.expand(gray.crop(box), 12, fill=255)
        reading = pytesseract.image_to_string(crop, lang="tha", config="--psm 7").strip()
        sure_of = _mean_confidence(pytesseract.image_to_data(crop, lang="tha", config="--psm 7"))
        latin = sum(float(w["conf"]) for w in run) / len(run)
        found = re.compile(r"\s*".join(re.escape(w["text"].strip()) for w in run)).search(line, cursor)
        if not found or sure_of <= max(latin, LOW_CONFIDENCE) or not _thai_words(reading):
            continue
        log.info("Latin %r re-read as Thai %r (%.0f%% → %.0f%%)", found.group(0), reading, latin,
                 sure_of)
        line = line[:found.start()] + reading + line[found.end():]
        cursor = found.start() + len(reading)
    return line


def _thai_words(text: str) -> bool:
    """Whether ``text`` is Thai made of dictionary words (at least 80% of its Thai letters)."""
    from pythainlp.corpus import thai_words
    from pythainlp.tokenize import word_tokenize

    text = compact(text)  # Tesseract writes sara am decomposed
    letters = len(_THAI_LETTER.findall(text))
    known = sum(len(_THAI_LETTER.findall(t)) for t in word_tokenize(text, engine="newmm")
                if t in thai_words())
    return letters > 0 and known >= 0.8 * letters


def upright(gray):
    """Rotate by the quarter turns Tesseract's orientation detection asks for, when it is sure."""
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(gray, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:  # too little text to tell: leave the image as it is
        return gray
    if osd["rotate"] and osd["orientation_conf"] >= 1.0:
        log.info("page turned %d degrees (orientation confidence %.1f)", osd["rotate"],
                 osd["orientation_conf"])
        return gray.rotate(-osd["rotate"], expand=True, fillcolor=255)
    return gray


def deskew(gray):
    """Straighten a slightly rotated scan: the angle whose row profile of ink is sharpest."""
    from PIL import Image

    small = gray.copy()
    small.thumbnail((1000, 1000))
    ink = Image.fromarray(((np.asarray(small) < 128) * 255).astype(np.uint8))
    if np.asarray(ink).mean() < 0.5:  # blank page
        return gray

    def sharpness(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST)).sum(axis=1,
                                                                                    dtype=np.float64)
        return float(np.square(np.diff(rows)).sum())

    coarse = max(_COARSE, key=sharpness)
    angle = float(max(coarse + _FINE, key=sharpness))
    if abs(angle) < 0.1:
        return gray
    log.info("page deskewed by %.1f degrees", angle)
    return gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def _mean_confidence(tsv: str) -> float:
    """Mean word confidence weighted by word length (Tesseract's TSV output)."""
    total = weight = 0.0
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        word = (row.get("text") or "").strip()
        try:
            conf = float(row.get("conf") or -1)
        except ValueError:
            continue
        if word and conf >= 0:
            total += conf * len(word)
            weight += len(word)
    return round(total / weight, 1) if weight else 0.0
