"""A throwaway PostgreSQL server for the tests, from the Debian ``postgresql`` binaries: initdb and
pg_ctl in a temporary directory, listening on a Unix socket only, stopped and deleted at the end.

initdb refuses to run as root, so as root the server runs as the ``postgres`` system user
(runuser). Tests that need it skip, saying why, where the binaries are absent."""

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL = "apt-get install postgresql (Debian), or put initdb and pg_ctl on PATH"
_names = itertools.count(1)


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return versions[-1].parent if versions else None


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    socket_dir: Path
    port: int
    as_user: list[str]  # runuser prefix when started by root

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://sarabun@/{database}?host={self.socket_dir}&port={self.port}"

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(_names)}"
        with psycopg.connect(host=str(self.socket_dir), port=self.port, user="sarabun",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"),
                        "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Start a server; pytest.skip with the reason when the binaries are absent."""
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL binaries not found: {INSTALL}")
    root = Path(tempfile.mkdtemp(prefix="sarabun-pg-"))
    socket_dir = root / "sock"
    socket_dir.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a 'postgres' system user for initdb: " + INSTALL)
        for path in (root, socket_dir):
            os.chown(path, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = 20000 + os.getpid() % 20000  # only names the socket file; no TCP listener
    data = root / "data"
    run = [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "sarabun", "--auth=trust",
           "-E", "UTF8", "--no-locale", "--no-sync"]
    done = subprocess.run(run, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
    options = (f"-k {socket_dir} -p {port} -c listen_addresses='' -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    done = subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                           "-l", str(root / "server.log"), "-w", "-t", "60", "start"],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        log_file = root / "server.log"
        log = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"pg_ctl start failed: {done.stderr[-1000:]} {log}")
    return PostgresServer(bin_dir, root, socket_dir, port, as_user)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway server for the session; each test takes a new database from it."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()
