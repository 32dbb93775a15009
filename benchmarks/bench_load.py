"""Load test (issue 14): the sustained rate of signed LINE events that replicas of ``sarabun
serve`` sharing one PostgreSQL answer at a p95 time-to-reply of at most 1 s, with no reply lost
or sent twice; beside it the same curve for one replica on its SQLite file.

    python benchmarks/bench_load.py [--index var/index] [--rates 4,8,12,16,20,24,28,32,36,40,48]
                                    [--seconds 30] [--drain 60] [--replicas 2] [--patience 2]
                                    [--no-baseline]

A throwaway PostgreSQL server is started from the Debian binaries as tests/postgres.py does
(initdb and pg_ctl in a temporary directory, an unprivileged user when run as root), its schema
made by ``sarabun db upgrade``; ``--replicas`` processes of ``sarabun serve`` then share it
(``SARABUN_DATABASE_URL``), events going to them in turn (round-robin). For each offered rate,
events go out open-loop (benchmarks/bench_soak.py's sender) for ``seconds``, each from a new user
(the per-user rate limit does not apply), the questions rotating through eval.jsonl; after the
last one the answers get at most ``drain`` seconds. Per rate: achieved rate (answers / time from
the first event to the last answer), time-to-reply p50/p95 (webhook POST sent -> reply or push
accepted by the LINE stand-in, tests/lineapi.py), lost (sent, not answered by the end of the
drain), duplicated (second messages to one event's user, and second uses of a reply token or
push retry key the stand-in refused), and the 1-minute load average. A configuration stops after
``patience`` rates whose p95 exceeds 1 s or that lose an answer; its sustained rate is the highest
offered rate with p95 ≤ 1 s and nothing lost, duplicated or refused. Unless ``--no-baseline``, one
replica on its own SQLite file runs beside them (idle while the replicas are measured, and the
other way round); the two are measured rate by rate in turn, so that both meet the machine's
other load of the same minutes, and printed side by side.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_serve import start_server  # noqa: E402
from benchmarks.bench_soak import (  # noqa: E402
    Soak,
    answer_times,
    latencies,
    question_plan,
    rss_kb,
    send_all,
    summary,
)
from tests.lineapi import FakeLineAPI  # noqa: E402

P95_LIMIT = 1.0  # seconds


@dataclass
class Step:
    """One offered rate's outcome."""

    offered: float
    sent: int
    answered: int
    achieved: float
    p50: float | None
    p95: float | None
    lost: int
    duplicated: int
    errors: int
    load: float

    @property
    def sustained(self) -> bool:
        return (self.p95 is not None and self.p95 <= P95_LIMIT and not self.lost
                and not self.duplicated and not self.errors)


def duplicates(soak: Soak, api: FakeLineAPI, repeats_before: int) -> int:
    """Messages beyond the first for one event (each event has its own user here, so its reply
    and any push to that user are its messages), plus repeats the stand-in refused."""
    replies, pushes = answer_times(api)
    extra = sum(max(0, len(replies.get(s.token, [])) + len(pushes.get(s.user, [])) - 1)
                for s in soak.sent)
    return extra + api.repeats - repeats_before


def step(urls: list[str], api: FakeLineAPI, pids: list[int], rate: float, seconds: float,
         drain: float, first_user: int) -> Step:
    """Offer ``rate`` events/s for ``seconds`` to ``urls`` round-robin; wait for the answers."""
    with api._lock:
        api.calls.clear()
        api.times.clear()
    repeats_before = api.repeats
    soak = Soak()
    events = max(1, round(rate * seconds))
    start = send_all(urls, soak, question_plan(events, events, first_user), seconds, pids)
    deadline = time.monotonic() + drain
    while time.monotonic() < deadline and len(latencies(soak, api)[0]) < len(soak.sent):
        time.sleep(0.5)
    load = os.getloadavg()[0]
    time.sleep(1)  # a duplicate would come right after its first
    took, _twice = latencies(soak, api)
    row = summary(soak.sent, took)
    last = max((s.at + took[s.token] for s in soak.sent if s.token in took), default=start)
    return Step(rate, row["sent"], row["answered"], round(row["answered"] / max(last - start, 1e-9), 2),
                row["p50_s"], row["p95_s"], row["sent"] - row["answered"],
                duplicates(soak, api, repeats_before), row["errors"], load)


def memory(pids: list[int], key: str = "VmRSS") -> str:
    """Resident memory of each process in MB, as "a + b"."""
    return " + ".join(f"{rss_kb(pid, key) / 1024:.0f}" for pid in pids)


@dataclass
class Setup:
    """One configuration under test: its serving processes and the steps measured so far."""

    name: str
    urls: list[str]
    pids: list[int]
    steps: list[Step] = field(default_factory=list)
    failed: int = 0  # rates with p95 > 1 s or a loss

    def stopped(self, patience: int) -> bool:
        return self.failed >= patience


def serve(api: FakeLineAPI, index: Path, stack: ExitStack, env: dict[str, str] | None = None
          ) -> tuple[str, int]:
    """One ``sarabun serve`` (bench_serve.start_server), stopped when ``stack`` closes."""
    proc, base = start_server(api, index, Path(tempfile.mkdtemp(prefix="bench-load-")), env)

    def stop() -> None:
        proc.terminate()
        proc.wait(30)

    stack.callback(stop)
    return base, proc.pid


def replicas_on_postgres(api: FakeLineAPI, args: argparse.Namespace, stack: ExitStack) -> Setup:
    """A throwaway PostgreSQL, its schema by ``sarabun db upgrade``, and the replicas on it."""
    from tests.postgres import start_postgres

    server = start_postgres()
    stack.callback(server.stop)
    url = server.new_database()
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], check=True,
                   env={**os.environ, "SARABUN_DATABASE_URL": url},
                   cwd=tempfile.mkdtemp(prefix="bench-load-"))
    started = [serve(api, args.index, stack, {"SARABUN_DATABASE_URL": url,
                                               "SARABUN_DATABASE_AUTO_UPGRADE": "false"})
               for _ in range(args.replicas)]
    return Setup(f"{args.replicas} replicas + PostgreSQL", *map(list, zip(*started, strict=True)))


def warm_up(setup: Setup, api: FakeLineAPI) -> None:
    """A few answers per process first: they load the model and the index."""
    with api._lock:
        api.calls.clear()
        api.times.clear()
    events = 5 * len(setup.urls)
    send_all(setup.urls, Soak(), question_plan(events, events, 10**9), 5, setup.pids)
    api.wait_for("reply", events, timeout=180)
    print(f"{setup.name}: RSS after warm-up {memory(setup.pids)} MB", flush=True)


def measure(setups: list[Setup], api: FakeLineAPI, args: argparse.Namespace) -> None:
    """Rate by rate, each configuration in turn (so that both meet the machine's other load of
    the same minutes), until each had ``patience`` rates with p95 > 1 s or a loss."""
    for n, rate in enumerate(args.rates):
        for k, setup in enumerate(setups):
            if setup.stopped(args.patience):
                continue
            s = step(setup.urls, api, setup.pids, rate, args.seconds, args.drain,
                     (n * len(setups) + k + 1) * 10**6)
            setup.steps.append(s)
            print(f"  {setup.name} {rate:g}/s: achieved {s.achieved}/s, p50 {s.p50} s, p95 {s.p95} s, "
                  f"sent {s.sent}, lost {s.lost}, duplicated {s.duplicated}, errors {s.errors}, "
                  f"load average {s.load:.1f}", flush=True)
            setup.failed += s.p95 is None or s.p95 > P95_LIMIT or bool(s.lost)
            if setup.stopped(args.patience):
                print(f"{setup.name}: RSS at the end {memory(setup.pids)} MB "
                      f"(peak {memory(setup.pids, 'VmHWM')})", flush=True)
        if all(setup.stopped(args.patience) for setup in setups):
            return


def table(curves: dict[str, list[Step]]) -> None:
    """Both curves side by side, one row per offered rate."""
    rates = sorted({s.offered for steps in curves.values() for s in steps})
    cells = ("achieved/s", "p50 s", "p95 s", "lost", "dup", "load")
    print(f"{'offered/s':>9} | " + " | ".join(f"{name:^47}" for name in curves))
    print(f"{'':>9} | " + " | ".join(" ".join(f"{c:>7}" for c in cells) for _ in curves))
    for rate in rates:
        row = []
        for steps in curves.values():
            s = next((s for s in steps if s.offered == rate), None)
            row.append(" ".join(f"{v!s:>7}" for v in (s.achieved, s.p50, s.p95, s.lost, s.duplicated,
                                                      f"{s.load:.1f}")) if s else f"{'–':^47}")
        print(f"{rate:>9g} | " + " | ".join(row))
    for name, steps in curves.items():
        ok = [s.offered for s in steps if s.sustained]
        print(f"{name}: sustained {max(ok):g} events/s (p95 ≤ {P95_LIMIT:g} s, none lost or "
              f"duplicated)" if ok else f"{name}: no rate sustained")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=ROOT / "var/index")
    parser.add_argument("--rates", type=lambda v: [float(x) for x in v.split(",")],
                        default=[4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 48])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--drain", type=float, default=60.0)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--patience", type=int, default=2,
                        help="stop a configuration after this many rates with p95 > 1 s or a loss "
                             "(more than one: the machine's other load comes and goes)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
          f"{args.seconds:g} s per rate, drain ≤ {args.drain:g} s", flush=True)
    with FakeLineAPI().running() as api, ExitStack() as stack:
        setups = [replicas_on_postgres(api, args, stack)]
        if not args.no_baseline:
            setups.append(Setup("1 replica + SQLite", *map(list, zip(serve(api, args.index, stack),
                                                                     strict=True))))
        for setup in setups:
            warm_up(setup, api)
        measure(setups, api, args)
    curves = {setup.name: setup.steps for setup in setups}
    table(curves)
    return 0 if all(any(s.sustained for s in steps) for steps in curves.values()) else 1

if __name__ == "__main__":
    sys.exit(main())
