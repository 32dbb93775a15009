"""Integrity of an index version: a SHA-256 of every file, and counts that must agree.

``manifest.json`` lists the digest of every other file of its version under ``files``;
``manifest.sha256`` holds the digest of ``manifest.json`` itself, so a flipped bit anywhere in
the version — data, manifest or checksum file — is noticed before the version is used.
"""

import hashlib
import json
from pathlib import Path

MANIFEST = "manifest.json"
CHECKSUMS = "manifest.sha256"


def file_digests(version_dir: Path) -> dict[str, str]:
    """SHA-256 of every file of a version (relative POSIX path → hex), manifests excluded."""
    return {
        path.relative_to(version_dir).as_posix(): sha256_file(path)
        for path in sorted(version_dir.rglob("*"))
        if path.is_file() and path.name not in (MANIFEST, CHECKSUMS)
    }


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def write_manifest(version_dir: Path, manifest: dict) -> None:
    """Write ``manifest`` with the digests of the version's files, then the manifest's digest."""
    text = json.dumps({**manifest, "files": file_digests(version_dir)}, ensure_ascii=False, indent=1)
    (version_dir / MANIFEST).write_text(text, "utf-8")
    (version_dir / CHECKSUMS).write_text(f"{sha256_file(version_dir / MANIFEST)}  {MANIFEST}\n",
                                         "ascii")


def checksum_problems(version_dir: Path) -> list[str]:
    """What does not match the recorded digests (empty when the version is intact). A version
    written before checksums existed (no ``files`` in its manifest, no checksum file) has none to
    check and passes; its counts are still checked when it is loaded."""
    sums = version_dir / CHECKSUMS
    manifest_path = version_dir / MANIFEST
    if not sums.exists():
        try:
            legacy = "files" not in json.loads(manifest_path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            return [f"{MANIFEST} unreadable ({exc})"]
        return [] if legacy else [f"{CHECKSUMS} is missing"]
    try:
        recorded = sums.read_text("ascii").split()[0]
        actual = sha256_file(manifest_path)
    except (OSError, ValueError, IndexError) as exc:
        return [f"{CHECKSUMS} or {MANIFEST} unreadable ({exc})"]
    if recorded != actual:
        return [f"{MANIFEST} does not match its checksum"]
    files = json.loads(manifest_path.read_text("utf-8")).get("files", {})
    actual_files = file_digests(version_dir)
    problems = [f"{name} is missing" for name in sorted(set(files) - set(actual_files))]
    problems += [f"{name} is not part of the version" for name in sorted(set(actual_files) - set(files))]
    problems += [f"{name} does not match its checksum" for name in sorted(set(files) & set(actual_files))
                 if files[name] != actual_files[name]]
    return problems


def count_problems(manifest: dict, counts: dict[str, int]) -> list[str]:
    """Disagreements between the manifest's chunk count, its documents' chunk counts and the
    counted parts of a loaded version (``{"chunks.jsonl": n, "vectors.npy": n, ...}``)."""
    expected = int(manifest.get("chunks", -1))
    per_document = sum(int(d.get("chunks", 0)) for d in manifest.get("documents", []))
    problems = [f"{part} has {n} entries, the manifest says {expected}"
                for part, n in counts.items() if n != expected]
    if per_document != expected:
        problems.append(f"the manifest's documents have {per_document} chunks in all, "
                        f"its total says {expected}")
    return problems
