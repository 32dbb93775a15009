"""What ``/healthz`` reports besides the index: whether the parts the bot depends on work.

Each part (the database, the LINE API, the Telegram API) is judged by the outcome of its latest
real use: a failure marks it failing until a later use succeeds. A failure older than
``stale_after`` seconds no longer counts, so a process taken out of rotation by its load balancer
(and therefore without traffic that could prove it healthy) is tried again.
Per-process by design: each replica reports its own view of its own calls.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

DATABASE = "database"
LINE = "line_api"
TELEGRAM = "telegram_api"


@dataclass
class PartState:
    """The latest outcome of one part and how often it failed since start-up."""

    ok: bool = True
    error: str = ""
    failed_at: float = 0.0
    failures: int = 0


@dataclass
class Health:
    """Outcomes of the calls the process makes, for ``/healthz``."""

    stale_after: float = 300.0
    parts: dict[str, PartState] = field(default_factory=dict)

    def succeeded(self, part: str) -> None:
        """A call to ``part`` worked."""
        state = self.parts.setdefault(part, PartState())
        if not state.ok:
            log.info("%s works again", part)
        state.ok = True

    def failed(self, part: str, error: str) -> None:
        """A call to ``part`` failed with ``error`` (short text, no secrets)."""
        state = self.parts.setdefault(part, PartState())
        state.ok, state.error, state.failed_at = False, error[:200], time.time()
        state.failures += 1

    def failing(self, now: float | None = None) -> dict[str, str]:
        """Parts whose latest call failed (recently), with the error."""
        now = time.time() if now is None else now
        return {name: s.error for name, s in self.parts.items()
                if not s.ok and now - s.failed_at < self.stale_after}

    def report(self) -> dict[str, object]:
        """The JSON-able state of every part seen so far."""
        failing = self.failing()
        return {name: {"status": "failing" if name in failing else "ok", "failures": s.failures,
                       **({"error": failing[name]} if name in failing else {})}
                for name, s in sorted(self.parts.items())}


def record_safely(health: Health, what: str, write: Callable[..., object], *args: object) -> bool:
    """Run a bookkeeping write (``write(*args)``) after the user was answered: a failure is logged
    and counted against the database, never raised, so it cannot cost anyone an answer."""
    try:
        write(*args)
    except Exception as exc:  # disk full, locked, schema trouble: the answer already went out
        log.error("could not record %s: %s", what, exc)
        health.failed(DATABASE, f"{type(exc).__name__}: {exc}")
        return False
    health.succeeded(DATABASE)
    return True
