"""Changes to the documents directory that land only with the index version built from them.

An upload, a metadata edit or a removal is built from files staged outside the documents
directory (``build_index(..., overlay=...)``): a build that is refused, fails or is killed leaves
the documents directory exactly as it was. Just before publishing, the build copies the staged
files into a journal in the index directory (``pending-<version>``, written whole and renamed
into place); right after publishing it applies the journal to the documents directory and
deletes it. A process killed between the two leaves the journal behind, and the next build,
under the same lock, applies it when its version is the published one, or drops it.
"""

import json
import logging
import os
import shutil
from pathlib import Path

from .loaders import META_SUFFIX

log = logging.getLogger(__name__)

PENDING = "pending-"
PLAN = "plan.json"

Overlay = dict[str, Path | None]  # document path relative to docs_dir → staged file, or None: removed


def write_journal(index_dir: Path, version: str, docs_dir: Path, overlay: Overlay) -> Path:
    """Copy the staged files of ``overlay`` (with the sidecars beside them) into the journal of
    ``version``; call with the build lock held, before publishing."""
    final = index_dir / f"{PENDING}{version}"
    tmp = index_dir / f".{PENDING}{version}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    plan: dict[str, dict[str, str | None]] = {}
    for n, (rel, staged) in enumerate(sorted(overlay.items())):
        entry: dict[str, str | None] = {"file": None, "sidecar": None}
        if staged is not None:
            entry["file"] = f"f{n}"
            shutil.copyfile(staged, tmp / f"f{n}")
            sidecar = staged.with_name(staged.name + META_SUFFIX)
            if sidecar.exists():
                entry["sidecar"] = f"s{n}"
                shutil.copyfile(sidecar, tmp / f"s{n}")
        plan[rel] = entry
    (tmp / PLAN).write_text(json.dumps({"docs_dir": str(docs_dir.resolve()), "changes": plan},
                                       ensure_ascii=False), "utf-8")
    _fsync_files(tmp)
    os.replace(tmp, final)  # a journal is acted on only once it is whole
    return final


def apply_journal(journal: Path, docs_dir: Path) -> None:
    """Make the documents directory match the journal, then delete it. Idempotent: a journal
    applied halfway (a kill) is simply applied again."""
    plan = json.loads((journal / PLAN).read_text("utf-8"))
    for rel, entry in plan["changes"].items():
        target = docs_dir / rel
        sidecar = target.with_name(target.name + META_SUFFIX)
        if entry["file"] is None:
            target.unlink(missing_ok=True)
            sidecar.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry["sidecar"] is None:
            sidecar.unlink(missing_ok=True)
        else:
            _copy_atomically(journal / entry["sidecar"], sidecar)
        _copy_atomically(journal / entry["file"], target)
    shutil.rmtree(journal)


def finish_pending(index_dir: Path, docs_dir: Path, published: str | None) -> None:
    """Apply or drop journals left by a killed build (call with the build lock held): a journal
    of the ``published`` version for this documents directory is applied, any other dropped."""
    for tmp in index_dir.glob(f".{PENDING}*"):
        shutil.rmtree(tmp, ignore_errors=True)
    for journal in sorted(index_dir.glob(f"{PENDING}*")):
        version = journal.name.removeprefix(PENDING)
        try:
            plan = json.loads((journal / PLAN).read_text("utf-8"))
        except (OSError, ValueError):
            plan = {}
        if version == published and plan.get("docs_dir") == str(docs_dir.resolve()):
            log.warning("finishing the document changes of version %s (its build was stopped "
                        "after publishing): %s", version, ", ".join(plan["changes"]))
            apply_journal(journal, docs_dir)
        else:
            log.warning("dropping the document changes of unpublished version %s (its build "
                        "was stopped): %s", version, ", ".join(plan.get("changes", {})))
            shutil.rmtree(journal, ignore_errors=True)


def _copy_atomically(source: Path, target: Path) -> None:
    tmp = target.with_name(f".staging-{target.name}")  # dot files are not indexed
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_files(directory: Path) -> None:
    for path in directory.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
