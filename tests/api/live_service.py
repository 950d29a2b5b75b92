"""A real ``matcher serve`` (gunicorn, two workers) in a temporary instance folder, seeded
through the command line's commands (run in the test's process) with the hand-built cluster of
``tests/conftest.py``: for tests that need the server process itself (schema fuzzing over
HTTP, killing it mid-write).

SQLite by default; the PostgreSQL server of MATCHER_TEST_DATABASE_URL with ``postgres=True``
(its schema wiped first, as the other service tests do).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner
from service_fixtures import cluster_raw, links_raw, postgres_url

from matcher.cli import main

MATCHER = str(Path(sys.executable).with_name("matcher"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveService:
    """One seeded instance folder and the server running on it (start and stop at will)."""

    folder: Path
    database_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.settings}

    @property
    def settings(self) -> dict[str, str]:
        """The service's settings for this instance (environment variables)."""
        return {
            "MATCHER_DATABASE_URL": self.database_url,
            "MATCHER_MODELS_DIR": str(self.folder / "models"),
            "MATCHER_RUNTIME_DIR": str(self.folder / "run"),
            "MATCHER_SECRET_KEY_FILE": str(self.folder / "secret_key"),
            "MATCHER_RATELIMIT_STORAGE_URI": f"matcher-sqlite:///{self.folder / 'limits.sqlite'}",
            "MATCHER_SUGGESTION_RATE_LIMIT": "100000/minute",
            "MATCHER_MODEL_KIND": "default",
        }

    def cli(self, *arguments: str) -> str:
        """Run ``matcher <arguments>`` on this instance; its standard output. In this process
        (click's runner, the instance's settings in the environment meanwhile): the same
        commands as in a shell, without importing the service again for each one."""
        result = CliRunner().invoke(
            main, list(arguments), env=self.settings, catch_exceptions=False
        )
        assert result.exit_code == 0, (arguments, result.output)
        return result.stdout

    def seed(self) -> None:
        """Members, links, a trained active model and a user of every role, by the CLI."""
        members, links = self.folder / "members.csv", self.folder / "links.csv"
        cluster_raw().to_csv(members, index=False)
        links_raw().to_csv(links, index=False)
        self.cli("db", "upgrade")
        self.cli("db", "import", "--members", str(members), "--links", str(links))
        self.cli("db", "train")
        for name, role, option in (
            ("admin", "admin", ()),
            ("manager", "manager", ("--network", "kharkiv-fashion-cluster")),
            ("designer", "member", ("--member", "designer")),
        ):
            created = self.cli("users", "create", "--name", name, "--role", role, *option)
            self.tokens[name] = created.strip().splitlines()[-1]

    def start(self) -> None:
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [MATCHER, "serve", "--port", str(self.port), "--workers", "2", "--no-access-log"],
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                with urllib.request.urlopen(f"{self.url}/ready", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                # Refused while gunicorn binds, or a read timing out while a worker still
                # loads the model on a busy machine (URLError and TimeoutError are OSErrors).
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not become ready:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: the arbiter and its workers, with no clean-up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def live_service(folder: Path, postgres: bool = False) -> LiveService:
    """A seeded, running service; stop it with :meth:`LiveService.stop`."""
    url = postgres_url() if postgres else f"sqlite:///{folder / 'matcher.sqlite'}"
    service = LiveService(folder, url)
    service.seed()
    service.start()
    return service
