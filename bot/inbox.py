"""Durable inbox for webhooks: no acknowledged LINE event or Telegram update is lost.

A webhook stores its events in the ``inbox`` table (one transaction) and only then answers 200;
right after the response it claims the rows it stored, hands them to the platform's handler and
marks them done (:meth:`Inbox.process`). Background workers pick up everything else. A process
killed mid-burst leaves its rows "new" or "claimed": at the next start (or on another replica,
once the claim's lease has run out) they are claimed again and answered. A live process renews
the lease of every row it is still answering (a third of the lease apart, on a thread of its own),
so a lease runs out only when its process is gone: a slow answer is never taken over and sent
twice by another replica, and the lease can be short enough for a takeover to still reply. The unique
(platform, key) pair, a LINE ``webhookEventId`` or a Telegram ``update_id``, makes a redelivered
or replayed event a no-op, on any replica. Done rows are kept a week for that, then pruned.

Exactly one reply per event also needs the sender's help after a crash between sending and
marking done: :attr:`Item.attempts` > 1 tells it the row may have been answered already (LINE
then uses idempotent pushes, see ``bot/line.py``).
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import text

from .health import DATABASE, Health
from .state import Database
from .state.expiry import DAY, Every

log = logging.getLogger(__name__)

KEEP_DONE = 7 * DAY  # longer than LINE's and Telegram's redelivery periods
MAX_ATTEMPTS = 5  # a row that failed this often is given up (logged), not retried for ever


@dataclass
class Item:
    """One stored event or update."""

    id: int
    platform: str
    key: str
    payload: str  # JSON as received
    received_at: float
    attempts: int  # claims so far, this one included: > 1 means it may have been answered


Handler = Callable[[Item], Awaitable[None]]


@dataclass
class Inbox:
    """Stores webhook deliveries and answers them with ``workers`` concurrent workers."""

    db: Database
    health: Health
    lease: float = 15.0  # seconds a claim is exclusive unless renewed; then another may take the row
    workers: int = 8
    _handlers: dict[str, tuple[Handler, asyncio.Event]] = field(default_factory=dict)
    _queue: asyncio.Queue[int] = field(default_factory=asyncio.Queue)
    _queued: set[int] = field(default_factory=set)  # row ids waiting in _queue
    _active: set[int] = field(default_factory=set)  # row ids being answered by this process
    _held: dict[int, int] = field(default_factory=dict)  # claimed row id → its attempts, renewed
    _renewer: ThreadPoolExecutor | None = None  # renewals never wait behind answers' threads
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _prune: Every = field(default_factory=Every)

    def register(self, platform: str, handler: Handler, ready: asyncio.Event | None = None) -> None:
        """Rows of ``platform`` go to ``handler``, once ``ready`` is set (e.g. Telegram started)."""
        if ready is None:
            ready = asyncio.Event()
            ready.set()
        self._handlers[platform] = (handler, ready)

    async def accept(self, platform: str, entries: list[tuple[str, str]]) -> list[int] | None:
        """Store ``(key, JSON)`` entries before the webhook answers 200; the ids of the new rows
        (already stored keys are skipped). None when the database failed: the caller then answers
        without the inbox."""
        try:
            ids = await asyncio.to_thread(self._store, platform, entries, time.time())
        except Exception as exc:  # disk full, database down: answering still matters more
            log.error("inbox: could not store %d %s deliveries: %s", len(entries), platform, exc)
            self.health.failed(DATABASE, f"{type(exc).__name__}: {exc}")
            return None
        self.health.succeeded(DATABASE)
        skipped = len(entries) - len(ids)
        if skipped:
            log.info("inbox: %d %s deliveries already stored (redelivered), skipped", skipped, platform)
        return ids

    async def process(self, ids: list[int]) -> None:
        """Answer the rows ``ids`` (stored by this request), one after the other."""
        for row_id in ids:
            await self._process(row_id)

    async def start(self) -> None:
        """Queue what earlier processes left unanswered, start the workers and the rescan."""
        await self._rescan()
        self._renewer = ThreadPoolExecutor(1, thread_name_prefix="inbox-lease")
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]
        self._tasks += [asyncio.create_task(self._rescan_now_and_then()),
                        asyncio.create_task(self._renew_now_and_then())]

    async def stop(self) -> None:
        """Stop the workers; claimed rows stay claimed and are answered after the lease."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._renewer is not None:
            self._renewer.shutdown(wait=False)
            self._renewer = None

    # -- workers -------------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            row_id = await self._queue.get()
            self._queued.discard(row_id)
            await self._process(row_id)

    async def _process(self, row_id: int) -> None:
        """Claim a row, answer it, mark it done; a failure leaves it claimed for a later retry."""
        if row_id in self._active:  # a slow answer outlived its lease here: not a second time
            return
        self._active.add(row_id)
        try:
            await self._answer(row_id)
        finally:
            self._active.discard(row_id)

    async def _answer(self, row_id: int) -> None:
        try:
            item = await asyncio.to_thread(self._claim, row_id, time.time())
        except Exception as exc:
            log.error("inbox: could not claim row %d: %s", row_id, exc)
            self.health.failed(DATABASE, f"{type(exc).__name__}: {exc}")
            return
        if item is None:  # done, or claimed by another worker or replica
            return
        self._held[item.id] = item.attempts
        try:
            await self._answer_claimed(item)
        finally:
            self._held.pop(item.id, None)

    async def _answer_claimed(self, item: Item) -> None:
        handler, ready = self._handlers.get(item.platform, (None, None))
        if handler is None:
            return  # a platform this process does not serve: its lease runs out for another
        await ready.wait()
        try:
            await handler(item)
        except Exception:
            log.exception("inbox: %s delivery %s failed (attempt %d)", item.platform, item.key,
                          item.attempts)
            if item.attempts < MAX_ATTEMPTS:
                return  # claimed: tried again when the lease runs out
            log.error("inbox: giving up on %s delivery %s", item.platform, item.key)
        try:
            await asyncio.to_thread(self._done, item.id, time.time())
        except Exception as exc:  # answered, only not marked: the next claim sees attempts > 1
            log.error("inbox: could not mark row %d done: %s", item.id, exc)
            self.health.failed(DATABASE, f"{type(exc).__name__}: {exc}")

    async def _rescan_now_and_then(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self.lease / 2))
            try:
                await self._rescan()
            except Exception as exc:
                log.error("inbox: rescan failed: %s", exc)

    async def _renew_now_and_then(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            if not self._held:
                continue
            try:
                lost = await asyncio.get_running_loop().run_in_executor(
                    self._renewer, self._renew, dict(self._held), time.time())
            except Exception as exc:  # the next renewal may still come in time
                log.error("inbox: could not renew %d claims: %s", len(self._held), exc)
                continue
            if lost:  # this process stalled a whole lease: another one took these rows
                log.warning("inbox: claims on rows %s were taken over before they were renewed", lost)

    async def _rescan(self) -> None:
        """Queue rows nobody is working on: new ones, and claims whose lease ran out."""
        self._enqueue(await asyncio.to_thread(self._claimable, time.time()))

    def _enqueue(self, ids: list[int]) -> None:
        for row_id in ids:
            if row_id not in self._queued:
                self._queued.add(row_id)
                self._queue.put_nowait(row_id)

    # -- database (called in threads) -------------------------------------------------------

    def _store(self, platform: str, entries: list[tuple[str, str]], now: float) -> list[int]:
        ids = []
        with self.db.tx() as conn:
            for key, payload in entries:
                row = conn.execute(text(
                    "INSERT INTO inbox (platform, key, payload, received_at, state, claimed_at, attempts) "
                    "VALUES (:p, :k, :payload, :now, 'new', 0, 0) "
                    "ON CONFLICT (platform, key) DO NOTHING RETURNING id"),
                    {"p": platform, "k": key, "payload": payload, "now": now}).first()
                if row is not None:
                    ids.append(row[0])
            if self._prune.due(now):
                conn.execute(text("DELETE FROM inbox WHERE state = 'done' AND received_at < :since"),
                             {"since": now - KEEP_DONE})
        return ids

    def _claim(self, row_id: int, now: float) -> Item | None:
        with self.db.tx() as conn:
            row = conn.execute(text(
                "UPDATE inbox SET state = 'claimed', claimed_at = :now, attempts = attempts + 1 "
                "WHERE id = :id AND (state = 'new' OR (state = 'claimed' AND claimed_at < :expired)) "
                "RETURNING id, platform, key, payload, received_at, attempts"),
                {"id": row_id, "now": now, "expired": now - self.lease}).first()
        return Item(*row) if row is not None else None

    def _renew(self, held: dict[int, int], now: float) -> list[int]:
        """Extend the leases of ``held`` rows (id → attempts of our claim); the ids no longer
        ours (claimed again by someone else since, or done)."""
        lost = []
        with self.db.tx() as conn:
            for row_id, attempts in held.items():
                if conn.execute(text(
                        "UPDATE inbox SET claimed_at = :now "
                        "WHERE id = :id AND state = 'claimed' AND attempts = :attempts"),
                        {"id": row_id, "now": now, "attempts": attempts}).rowcount != 1:
                    lost.append(row_id)
        return lost

    def _done(self, row_id: int, now: float) -> None:
        with self.db.tx() as conn:
            conn.execute(text("UPDATE inbox SET state = 'done', claimed_at = :now WHERE id = :id"),
                         {"id": row_id, "now": now})

    def _claimable(self, now: float) -> list[int]:
        with self.db.read() as conn:
            return [r[0] for r in conn.execute(text(
                "SELECT id FROM inbox WHERE state = 'new' OR (state = 'claimed' AND claimed_at < :expired) "
                "ORDER BY id"), {"expired": now - self.lease})]
