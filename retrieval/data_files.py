"""The word lists shipped in ``retrieval/data/`` (sources in docs_source/README.md)."""

from importlib import resources


def data_lines(name: str) -> list[str]:
    """The lines of data file ``name``, stripped, without blank lines and ``#`` comments."""
    text = (resources.files("retrieval") / "data" / name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
