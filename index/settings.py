"""Settings shared by every ``sarabun`` command (env prefix ``SARABUN_``, optional ``.env``)."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class IndexSettings(BaseSettings):
    """Where documents and the index live, and how documents are embedded."""

    model_config = SettingsConfigDict(env_prefix="SARABUN_", env_file=".env", extra="ignore")

    docs_dir: Path = Path("docs_source")
    index_dir: Path = Path("var/index")
    embedder: str = "e5-small"
    max_file_mb: float = 20.0
    build_nice: int = 10  # `sarabun index build` runs this much nicer than serving (0: same)
