"""Settings of the web console (env prefix ``SARABUN_``, optional ``.env``)."""

from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class WebSettings(BaseSettings):
    """Where the console is reached from outside, and who may sign in from LINE (Telegram's
    admins and trainers are ``SARABUN_ADMIN_TELEGRAM_IDS`` / ``SARABUN_TRAINER_TELEGRAM_IDS``)."""

    model_config = SettingsConfigDict(env_prefix="SARABUN_", env_file=".env", extra="ignore")

    public_url: str = ""  # https://sarabun.example.go.th: sign-in links point here
    admin_line_ids: Annotated[frozenset[str], NoDecode] = frozenset()  # LINE user ids (U…)
    trainer_line_ids: Annotated[frozenset[str], NoDecode] = frozenset()

    @field_validator("admin_line_ids", "trainer_line_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):  # "Uabc, Udef" from the environment
            return frozenset(value.replace(",", " ").split())
        return value

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.strip().rstrip("/")
