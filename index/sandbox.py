"""Parse untrusted files in a separate process with a memory cap, a CPU-time limit and a
wall-clock timeout, so a hostile or broken file costs at most that process.

One worker is started on first use and reused for every file of a build (starting Python once,
not per file). It reads one JSON request a line on stdin and answers on stdout: progress lines
(which extend the wall-clock deadline while OCR runs page by page), then the loaded document or
the reason it was refused. JSON, not pickle: nothing the worker sends can run code here.
A worker that dies or overruns is killed and replaced for the next file.

Run as ``python -m index.sandbox '<limits as JSON>'`` (only :class:`ParseWorker` does that).
"""

import json
import logging
import os
import resource
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

from .documents import LoadedDocument, Page
from .limits import DEFAULT_LIMITS, ParseLimits, SkipFile

log = logging.getLogger(__name__)

_STARTUP_SECONDS = 60.0


class ParseWorker:
    """A resource-limited child process that loads documents; use as a context manager."""

    def __init__(self, limits: ParseLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._lock = threading.Lock()  # one request at a time per worker

    def __enter__(self) -> "ParseWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, path: Path, max_bytes: int) -> LoadedDocument:
        """Load ``path`` in the worker; raise :class:`SkipFile` naming what went wrong or which
        limit the file broke."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            request = json.dumps({"path": str(Path(path).resolve()), "max_bytes": max_bytes})
            try:
                self._proc.stdin.write(request.encode() + b"\n")
                self._proc.stdin.flush()
            except OSError:
                raise self._died() from None
            while True:
                message = self._read(self.limits.wall_seconds)
                if "progress" not in message:
                    break
            if "skip" in message:
                raise SkipFile(message["skip"], message.get("thai", ""))
            return _document(message["doc"])

    def peak_memory_mb(self) -> float:
        """Peak resident memory of the running worker in MB (0 when none is running)."""
        if self._proc is None or self._proc.poll() is not None:
            return 0.0
        status = Path(f"/proc/{self._proc.pid}/status").read_text()
        return next((int(line.split()[1]) / 1024 for line in status.splitlines()
                     if line.startswith("VmHWM:")), 0.0)

    def close(self) -> None:
        """Stop the worker (it exits at end of input; killed if it does not at once)."""
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            proc.stdout.close()

    def _start(self) -> None:
        self.close()
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                                           os.environ.get("PYTHONPATH")]))}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "index.sandbox", json.dumps(asdict(self.limits))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._buffer = b""
        if self._read(_STARTUP_SECONDS) != {"ready": True}:
            raise SkipFile("the parsing process did not start")

    def _read(self, timeout: float) -> dict:
        """The next message from the worker, waiting at most ``timeout`` seconds for it."""
        deadline = time.monotonic() + timeout
        fd = self._proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self._kill()
                    raise SkipFile(f"reading the file took longer than {timeout:.0f} s",
                                   f"อ่านไฟล์นานเกิน {timeout:.0f} วินาที")
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise self._died()
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _died(self) -> SkipFile:
        proc, limits = self._proc, self.limits
        code = proc.wait()
        self.close()
        if code == -signal.SIGXCPU:
            return SkipFile(f"reading the file used more than {limits.cpu_seconds} s of CPU time",
                            f"อ่านไฟล์ใช้เวลาประมวลผลเกิน {limits.cpu_seconds} วินาที")
        if code < 0:
            return SkipFile(f"the parser crashed on this file (signal {-code})",
                            f"โปรแกรมอ่านไฟล์หยุดทำงานกับไฟล์นี้ (สัญญาณ {-code})")
        return SkipFile(f"the parser exited on this file (code {code})",
                        f"โปรแกรมอ่านไฟล์หยุดทำงานกับไฟล์นี้ (รหัส {code})")

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self.close()


def _document(data: dict) -> LoadedDocument:
    return LoadedDocument(pages=[Page(**p) for p in data["pages"]], meta=data["meta"],
                          paged=data["paged"])


def _serve(limits: ParseLimits) -> None:
    """The worker's loop: one request a line on stdin, answers on stdout."""
    from .loaders import load_document

    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints from libraries must not corrupt the protocol

    def send(message: dict) -> None:
        out.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
        out.flush()

    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    send({"ready": True})
    for line in sys.stdin.buffer:
        request = json.loads(line)
        used = resource.getrusage(resource.RUSAGE_SELF)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        # Soft CPU limit per file on top of what earlier files used: SIGXCPU ends the worker.
        resource.setrlimit(resource.RLIMIT_CPU,
                           (int(used.ru_utime + used.ru_stime) + limits.cpu_seconds, hard))
        too_big = {"skip": f"file needs more than {limits.memory_mb} MB of memory to read",
                   "thai": f"ไฟล์ต้องใช้หน่วยความจำเกิน {limits.memory_mb} MB"}
        before = _peak_address_space()
        try:
            doc = load_document(Path(request["path"]), request["max_bytes"], limits,
                                on_page=lambda page: send({"progress": page}))
        except MemoryError:
            send(too_big)
        except SkipFile as exc:
            # A C parser whose allocation failed at the cap reports a syntax error ("lxml:
            # unknown error"): a failure with the address space at the cap is a memory failure.
            send(too_big if _reached(memory, before) else {"skip": str(exc), "thai": exc.thai})
        except Exception as exc:  # e.g. the file vanished: answer, never die
            send(too_big if _reached(memory, before) else
                 {"skip": f"could not read the file ({type(exc).__name__}: {exc})"})
        else:
            send({"doc": asdict(doc)})


def _peak_address_space() -> int:
    """This process's peak address space in bytes (VmPeak)."""
    status = Path("/proc/self/status").read_text()
    return next((int(line.split()[1]) * 1024 for line in status.splitlines()
                 if line.startswith("VmPeak:")), 0)


def _reached(cap: int, before: int) -> bool:
    """Whether the file just read raised the address space to (95% of) ``cap`` bytes: its
    failure is then a memory failure, whatever the parser called it."""
    peak = _peak_address_space()
    return peak > before and peak >= 0.95 * cap


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s sandbox: %(message)s")
    _serve(ParseLimits(**json.loads(sys.argv[1])))
