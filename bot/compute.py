"""Where answers are computed: a small, bounded pool of threads beside the event loop.

Embedding a question, searching the index and composing the answer take tens of milliseconds of
CPU. Run on the event loop they would hold up every webhook acknowledgement and ``/healthz``
behind them; run here, the loop only waits. The pool is as wide as ``workers`` and each thread's
math libraries are capped at ``threads`` (see :func:`index.embedders.limit_threads`), so one
serving process uses at most ``workers × threads`` cores however many questions arrive.
"""

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from index.embedders import limit_threads

T = TypeVar("T")
WORKER_NICE = 5  # relative to the process; builds run at 10, so answers still come before them


class Compute:
    """A bounded thread pool for the CPU-heavy part of answering."""

    def __init__(self, workers: int = 2, threads: int = 1) -> None:
        self.workers = max(1, workers)
        self.threads = threads
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="answer",
                                        initializer=_worker_start, initargs=(threads,))

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in the pool; the event loop stays free meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, functools.partial(fn, *args))

    def close(self) -> None:
        """Stop taking work; running calls finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _worker_start(threads: int) -> None:
    """Cap the thread's math libraries and let the event loop's thread go first: Linux schedules
    threads by their own nice value, so a busy pool cannot delay /healthz and acknowledgements."""
    limit_threads(threads)
    with contextlib.suppress(AttributeError, OSError):  # elsewhere: the loop's priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)
