"""Settings of the chat front ends (env prefix ``SARABUN_``, optional ``.env``)."""

from pathlib import Path
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(ValueError):
    """The settings cannot work; the message says which variable to fix."""


class BotSettings(BaseSettings):
    """Tokens, endpoints and limits of the Telegram and LINE front ends."""

    model_config = SettingsConfigDict(env_prefix="SARABUN_", env_file=".env", extra="ignore")

    telegram_token: str = ""
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_secret: str = ""
    telegram_webhook_url: str = ""  # public URL of /telegram/webhook; set with setWebhook at start
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    trainer_telegram_ids: Annotated[frozenset[int], NoDecode] = frozenset()  # besides group admins
    quiz_seconds: float = 60.0  # a quiz round is revealed after this long
    line_channel_secret: str = ""
    line_channel_access_token: str = ""
    line_api_url: str = "https://api.line.me"
    line_data_api_url: str = "https://api-data.line.me"  # where files sent to the bot are fetched
    data_db: Path = Path("var/sarabun.sqlite3")  # the state database when database_url is empty
    database_url: str = ""  # postgresql://user:password@host/db: state shared by replicas
    database_auto_upgrade: bool = True  # apply schema migrations at start (else: sarabun db upgrade)
    rate_limit_messages: int = 12  # actions per user (questions, commands, buttons) ...
    rate_limit_seconds: float = 60.0  # ... within this window
    answer_workers: int = 2  # questions computed at once per serving process
    embed_threads: int = 1  # OpenMP/BLAS/torch threads per answer (0: every core; builds use all)
    request_header_seconds: float = 10.0  # `sarabun serve`: a request's headers must arrive in this
    request_body_seconds: float = 20.0  # ... and its body in this; slower clients are cut off
    max_connections: int = 1000  # open at once (lowered to fit the open-file limit)
    inbox_lease_seconds: float = 15.0  # a claim not renewed this long (its process died) is taken over

    @property
    def state_url(self) -> str:
        """URL of the state database: ``SARABUN_DATABASE_URL``, else the SQLite file
        ``SARABUN_DATA_DB``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_db.expanduser().resolve()}"

    @field_validator("admin_telegram_ids", "trainer_telegram_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):  # "123, 456" from the environment
            return frozenset(int(v) for v in value.replace(",", " ").split())
        return value
