"""Abusive clients against a real ``sarabun serve`` process (uvicorn, real sockets): stalled
headers and bodies are cut off, half-open connections cannot starve ``/healthz``, bodies over the
cap are refused before they are sent, hostile JSON nesting gets 400, refusals are logged
throttled. The LINE API is the local stand-in; the index is the small real one."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .lineapi import ACCESS_TOKEN, FakeLineAPI
from .test_line import SECRET, signed, text

ROOT = Path(__file__).resolve().parent.parent
MAX_CONNECTIONS = 40


@dataclass
class Served:
    url: str
    port: int
    pid: int
    log: Path
    api: FakeLineAPI

    def open_files(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sarabun serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("sarabun serve did not become healthy")


def serve_env(api: FakeLineAPI, tmp: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "SARABUN_LINE_CHANNEL_SECRET": SECRET,
            "SARABUN_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN, "SARABUN_LINE_API_URL": api.url,
            "SARABUN_TELEGRAM_TOKEN": "", "SARABUN_DATA_DB": str(tmp / "data.sqlite3"),
            "PYTHONPATH": str(ROOT), **extra}


@pytest.fixture(scope="module")
def served(small_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("served")
    port = free_port()
    log = tmp / "serve.log"
    with FakeLineAPI().running() as api, open(log, "wb") as out:
        env = serve_env(api, tmp, SARABUN_REQUEST_HEADER_SECONDS="1",
                        SARABUN_REQUEST_BODY_SECONDS="2", SARABUN_MAX_CONNECTIONS=str(MAX_CONNECTIONS))
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port),
                                    "--index", str(small_index)], env=env, cwd=tmp,
                                   stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, log)
            yield Served(url, port, process.pid, log, api)
        finally:
            process.terminate()
            process.wait(30)


def closed_within(sock: socket.socket, seconds: float) -> tuple[float, bytes]:
    """How long until the server closed ``sock``, and what it sent before."""
    sock.settimeout(seconds)
    started = time.monotonic()
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    return time.monotonic() - started, received


def test_stalled_headers_and_body_are_cut_off(served: Served) -> None:
    headers_only = socket.create_connection(("127.0.0.1", served.port))
    headers_only.sendall(b"POST /line/webhook HTTP/1.1\r\nHost: x\r\n")  # and never the rest
    silent = socket.create_connection(("127.0.0.1", served.port))  # connects, sends nothing
    body = json.dumps({"events": [text("มาตรา 6 ว่าอย่างไร")]}).encode()
    partial_body = socket.create_connection(("127.0.0.1", served.port))
    head = "".join(f"{k}: {v}\r\n" for k, v in signed(body).items())
    partial_body.sendall(f"POST /line/webhook HTTP/1.1\r\nHost: x\r\ncontent-length: {len(body)}\r\n"
                         f"{head}\r\n".encode() + body[:20])
    for sock, limit in ((headers_only, 1), (silent, 1), (partial_body, 2)):
        took, _ = closed_within(sock, 15)
        assert took < limit + 2, f"connection held {took:.1f} s"
        sock.close()
    assert served.api.calls == []  # the partial question was never answered


def test_half_open_flood_does_not_starve_healthz(served: Served) -> None:
    before = served.open_files()
    flood = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(4 * MAX_CONNECTIONS)]
    try:
        times = []
        for _ in range(10):
            started = time.monotonic()
            assert httpx.get(f"{served.url}/healthz", timeout=5).status_code == 200
            times.append(time.monotonic() - started)
        assert max(times) < 1.0
        assert served.open_files() <= before + MAX_CONNECTIONS + 5  # the oldest idle were closed
    finally:
        for sock in flood:
            sock.close()


def test_bodies_over_the_cap_and_deep_json_are_refused(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        # Declares 50 MB and sends none of it: refused at once, from the headers alone.
        sock.sendall(b"POST /line/webhook HTTP/1.1\r\nHost: x\r\ncontent-length: 50000000\r\n"
                     b"X-Line-Signature: c2ln\r\n\r\n")
        took, answer = closed_within(sock, 10)
        assert answer.startswith(b"HTTP/1.1 413") and took < 1.5
    deep = b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = httpx.post(f"{served.url}/line/webhook", content=deep, headers=signed(deep), timeout=30)
    assert response.status_code == 400
    assert httpx.get(f"{served.url}/healthz").status_code == 200
    assert "Traceback" not in served.log.read_text()


def test_refusals_are_logged_throttled(served: Served) -> None:
    body = json.dumps({"events": [text("มาตรา 6 ว่าอย่างไร")]}).encode()
    with httpx.Client(base_url=served.url, timeout=10) as client:
        for _ in range(200):
            assert client.post("/line/webhook", content=body,
                               headers=signed(body, "forged")).status_code == 400
    time.sleep(0.5)
    lines = [line for line in served.log.read_text().splitlines() if "wrong signature" in line]
    assert 1 <= len(lines) <= 20  # 200 refusals, a handful of lines
