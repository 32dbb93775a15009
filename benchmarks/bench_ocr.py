"""OCR benchmark: character error rate after Thai repair, time per page, and retrieval from scanned
copies, on pages of known Thai text rendered as a scanner would (slight rotation, speckle noise).

    python benchmarks/bench_ocr.py [--docs FILE ...] [--dpi 300 200] [--angle 0.6] [--noise 0.005]
                                   [--no-retrieval] [--no-baseline]

(default documents: the shipped guideline and the Digital Government Act)

Each document's text (front matter and Markdown marks removed) is set in Laksaman 16 pt on A4
pages with Pillow's Thai shaping, rotated by ``--angle`` degrees and speckled, saved as image-only
PDFs, and read through the same sandboxed loader as ``sarabun index build`` (orientation check,
deskew, Tesseract tha+eng). CER = edit distance / reference length, whitespace removed.
Retrieval: the shipped corpus is indexed with the documents replaced by their 300 dpi scans and
the evaluation-set questions about those documents are asked (hit@3 as in ``sarabun eval``),
beside the same questions on the text originals. When the guideline is among the documents and
``../shared/eval/seed_dev.jsonl`` is present (skipped otherwise), its seed development questions
are asked too. Both sets also report hit@1/hit@3 with an OCR-tolerant match (a passage holds a
gold string when a window of its compacted text is within 10% of the string's length in edit
distance) beside the exact match, and the rate of the right document in the top 3.
"""

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import index  # noqa: E402,F401  (offline environment)
from index.loaders import load_document  # noqa: E402
from index.sandbox import ParseWorker  # noqa: E402
from index.thai_repair import repair_thai  # noqa: E402
from index.thai_text import compact  # noqa: E402
from retrieval.evaluate import Question  # noqa: E402
from tests.test_ocr import FONT, render_page  # noqa: E402

SEED_QUESTIONS = ROOT.parent / "shared/eval/seed_dev.jsonl"  # a benchmark input, read when present
SEED_DOC = "ocsc_digital_skills_guideline_2560.md"  # the document the seed questions are about
LINES_PER_PAGE = 28
WIDTH_PT = 485  # A4 width less margins, at 16 pt


def page_lines(path: Path) -> list[list[str]]:
    """The document's text wrapped to the rendered line width, cut into pages."""
    from PIL import ImageFont
    from pythainlp.tokenize import word_tokenize

    font = ImageFont.truetype(str(FONT), size=16)
    text = load_document(path, 10**8).pages[0].text
    lines: list[str] = []
    for raw in text.splitlines():
        # Thai is written without spaces between words: break at word boundaries, as Word does.
        pieces = word_tokenize(re.sub(r"^#+\s*", "", raw).strip(), keep_whitespace=True)
        line = ""
        for piece in pieces:
            if line and font.getlength((line + piece).rstrip()) > WIDTH_PT:
                lines.append(line.strip())
                line = piece.lstrip()
            else:
                line += piece
        if line.strip():
            lines.append(line.strip())
    return [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]


def edit_distance(a: str, b: str, *, within: bool = False) -> int:
    """Levenshtein distance from ``a`` to ``b`` (one row at a time); with ``within``, to the
    closest window of ``b`` (a match may start and end anywhere in ``b`` at no cost)."""
    previous = [0] * (len(b) + 1) if within else list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return min(previous) if within else previous[-1]


def holds_ocr_tolerant(gold: list[str], passage: str) -> bool:
    """Whether a passage holds every gold string up to OCR errors: some window of its compacted
    text is within 10% of the gold string's length in edit distance (so golds under 10
    characters must match exactly)."""
    key = compact(passage)
    return all(edit_distance(compact(g), key, within=True) <= len(compact(g)) // 10 for g in gold)


def scan(pages: list[list[str]], path: Path, dpi: int, angle: float, noise: float) -> Path:
    images = [render_page(lines, dpi, angle=angle if n % 2 else -angle, noise=noise, seed=n)
              for n, lines in enumerate(pages)]
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


def measure_cer(docs: list[Path], dpis: list[int], angle: float, noise: float, out: Path) -> None:
    print(f"{'document':<44} {'dpi':>4} {'pages':>5} {'CER':>7} {'raw CER':>8} {'s/page':>7} "
          f"{'conf':>5}")
    for dpi in dpis:
        total_err = total_raw = total_len = 0
        total_pages, total_s = 0, 0.0
        for doc in docs:
            pages = page_lines(doc)
            pdf = scan(pages, out / f"{doc.stem}-{dpi}.pdf", dpi, angle, noise)
            with ParseWorker() as worker:
                started = time.perf_counter()
                loaded = worker.load(pdf, 10**9)
                seconds = time.perf_counter() - started
            err = raw = length = 0
            for lines, page in zip(pages, loaded.pages, strict=True):
                ref = re.sub(r"\s+", "", "".join(lines))
                err += edit_distance(ref, re.sub(r"\s+", "", repair_thai(page.text)))
                raw += edit_distance(ref, re.sub(r"\s+", "", page.text))
                length += len(ref)
            conf = sum(p.ocr_confidence for p in loaded.pages) / len(loaded.pages)
            print(f"{doc.name:<44} {dpi:>4} {len(pages):>5} {err / length:>7.4f} {raw / length:>8.4f} "
                  f"{seconds / len(pages):>7.2f} {conf:>5.1f}", flush=True)
            total_err, total_raw, total_len = total_err + err, total_raw + raw, total_len + length
            total_pages, total_s = total_pages + len(pages), total_s + seconds
        print(f"{'all':<44} {dpi:>4} {total_pages:>5} {total_err / total_len:>7.4f} "
              f"{total_raw / total_len:>8.4f} {total_s / total_pages:>7.2f}", flush=True)


def ranked_hits(questions: list[Question], retriever, doc_of: Callable[[Question], str]) -> str:
    """hit@1 and hit@3 of the shipped answer path (a decline is a miss), with the exact gold
    match of ``sarabun eval`` and with :func:`holds_ocr_tolerant`, and how often the answering
    document is cited in the top 3; the questions missed at 3 even tolerantly are listed."""
    from retrieval.answer import ask
    from retrieval.evaluate import answers

    exact, tolerant, right_doc, missed = [0, 0], [0, 0], 0, []
    for q in questions:
        answer = ask(retriever, q.text, k=10)
        top = [] if answer.abstained else answer.citations[:3]
        ranks = []
        for counts, holds in ((exact, lambda c, q=q: answers(q, c.doc_id, c.text)),
                              (tolerant, lambda c, q=q: holds_ocr_tolerant(q.gold, c.text))):
            rank = next((i for i, c in enumerate(top, 1) if holds(c)), None)
            counts[0] += rank == 1
            counts[1] += rank is not None
            ranks.append(rank)
        right_doc += any(c.doc_id == Path(doc_of(q)).stem for c in top)
        if ranks[1] is None:
            missed.append(f"{q.qid}{' (declined)' if answer.abstained else ''}: "
                          f"{', '.join(c.doc_id for c in top)}")
    n = len(questions)
    return (f"{n:>4}  exact hit@1 {exact[0] / n:.3f} hit@3 {exact[1] / n:.3f}  "
            f"OCR-tolerant hit@1 {tolerant[0] / n:.3f} hit@3 {tolerant[1] / n:.3f}  "
            f"right document in top 3 {right_doc / n:.3f}"
            + "".join(f"\n      missed at 3: {m}" for m in missed))


def measure_retrieval(docs: list[Path], out: Path, baseline: bool) -> None:
    from index.build import build_index
    from index.store import load_index
    from retrieval.answer import ask
    from retrieval.evaluate import HEADER, Outcome, read_jsonl, score
    from retrieval.search import open_retriever

    names = {d.name for d in docs}
    questions = [q for q in read_jsonl(ROOT / "benchmarks/evalsets/eval.jsonl") if q.doc in names]
    # The seed development questions (all about the guideline), when ../shared/eval is present.
    seed = read_jsonl(SEED_QUESTIONS) if SEED_DOC in names and SEED_QUESTIONS.exists() else []
    if SEED_DOC in names and not seed:
        print(f"{SEED_QUESTIONS} absent: the seed development questions are skipped")
    runs = [("text originals", False)] if baseline else []
    for label, replace in [*runs, ("300 dpi scans", True)]:
        corpus = out / f"corpus-{replace}"
        shutil.copytree(ROOT / "docs_source", corpus)
        if replace:  # a scan with the metadata an admin gives it (title, kind, aliases …)
            for doc in docs:
                meta = load_document(doc, 10**8).meta
                (corpus / doc.name).unlink()
                shutil.copy(out / f"{doc.stem}-300.pdf", corpus / f"{doc.stem}.pdf")
                (corpus / f"{doc.stem}.pdf.meta.json").write_text(json.dumps(meta, ensure_ascii=False))
        started = time.perf_counter()
        report = build_index(corpus, out / f"index-{replace}", "e5-small", 10**9)
        built = time.perf_counter() - started
        retriever = open_retriever(load_index(out / f"index-{replace}"))

        def shipped(q, retriever=retriever):
            answer = ask(retriever, q.text, k=10)
            return Outcome(answer.abstained, [(c.doc_id, c.text) for c in answer.citations],
                           answer.answer)

        s = score(questions, shipped)
        print(f"\n{label}: build {built:.0f} s, {report.chunks} chunks, skipped {report.skipped}")
        print(f"{'':<16}{HEADER}\n{label:<16}{s.row()}", flush=True)
        print(f"eval set {ranked_hits(questions, retriever, lambda q: q.doc)}", flush=True)
        if seed:
            print(f"seed_dev {ranked_hits(seed, retriever, lambda q: SEED_DOC)}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--docs", nargs="+", default=["ocsc_digital_skills_guideline_2560.md",
                                                 "digital_government_act_2562.txt"])
    p.add_argument("--dpi", nargs="+", type=int, default=[300, 200])
    p.add_argument("--angle", type=float, default=0.6)
    p.add_argument("--noise", type=float, default=0.005)
    p.add_argument("--no-retrieval", action="store_true")
    p.add_argument("--no-baseline", action="store_true", help="skip the text originals' retrieval")
    args = p.parse_args()
    docs = [ROOT / "docs_source" / name for name in args.docs]
    with tempfile.TemporaryDirectory(prefix="sarabun-ocr-") as tmp:
        out = Path(tmp)
        measure_cer(docs, sorted(set(args.dpi) | ({300} if not args.no_retrieval else set()),
                                 reverse=True), args.angle, args.noise, out)
        if not args.no_retrieval:
            measure_retrieval(docs, out, not args.no_baseline)


if __name__ == "__main__":
    main()
