"""Fixtures of the browser tests, for every page's tests.

- ``live_server``: the real service (``matcher serve``: gunicorn, two workers) on a free port of
  127.0.0.1, on a temporary SQLite database holding the first rows of the shipped fictional
  sample (the Kharkiv cluster and one partner network, with the sample's network names) with a
  default model trained on them, a manager with a password and a token, and a member's token; the
  member has given feedback on its suggestions through the API (``LiveServer.feedback``
  counts the events).
- ``browser``: headless Chromium from Debian's package (``/usr/bin/chromium``, or
  ``MATCHER_CHROMIUM``) driven by Playwright; Playwright never downloads a browser here.
  Without Chromium or Playwright the tests are skipped, or fail when
  ``MATCHER_REQUIRE_BROWSER=1``.
- ``page``: a fresh browser context and page (1280x900) whose relative URLs go to the server.
- ``sign_in``: signs a page in (password by default, or a token).
- ``screenshot``: saves a full-page PNG in the test's temporary folder, and in
  ``MATCHER_SCREENSHOT_DIR`` when that is set.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

CHROMIUM = os.environ.get("MATCHER_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("MATCHER_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The sample's first rows: the 150 members of the Kharkiv cluster and 150 of the Polish one,
#: with the 290 links among them (enough for the learned model, quick to train).
SAMPLE_ROWS = 300
HOME = "kharkiv-fashion-cluster"
MANAGER_PASSWORD = "spring-collection-2026"
STARTUP_SECONDS = 120


@dataclass(frozen=True)
class LiveServer:
    """The running service and who may sign in to it."""

    url: str
    folder: Path
    manager_name: str
    manager_password: str
    manager_token: str
    member_token: str
    #: A home member to look for: its id, its (unique) name, and how many home members there are.
    member_id: str
    member_name: str
    home_members: int
    #: The feedback events the member gave, by event.
    feedback: dict[str, int]


def _sample_subset(folder: Path) -> tuple[Path, Path, pd.DataFrame]:
    from matcher.datasets.generator import SAMPLE_DIR

    profiles = pd.read_csv(SAMPLE_DIR / "profiles.csv", dtype=str, keep_default_na=False)
    links = pd.read_csv(SAMPLE_DIR / "links.csv", dtype=str, keep_default_na=False)
    profiles = profiles.iloc[:SAMPLE_ROWS]
    ids = set(profiles["id"])
    links = links[links["source"].isin(ids) & links["target"].isin(ids)]
    profiles_path, links_path = folder / "profiles.csv", folder / "links.csv"
    profiles.to_csv(profiles_path, index=False)
    links.to_csv(links_path, index=False)
    return profiles_path, links_path, profiles


def _sample_networks() -> Path:
    """The sample's networks file: their display names in English and Ukrainian."""
    from matcher.datasets.generator import SAMPLE_DIR

    return SAMPLE_DIR / "networks.csv"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _command(env: dict[str, str], *args: str) -> str:
    """Run one ``matcher`` command in this process; fail the tests with its output on error."""
    from matcher.cli import main

    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    if result.exit_code != 0:
        pytest.fail(f"`matcher {' '.join(args[:2])}` failed ({result.exit_code}):\n{result.output}")
    return result.output


def _api(url: str, token: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode("utf-8") if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _give_feedback(url: str, token: str, member_id: str) -> dict[str, int]:
    """Let the member act on its first suggestions through the API; return the counts."""
    found = _api(url, token, f"/api/v1/members/{member_id}/suggestions?k=3")["suggestions"]
    first, second = found[0]["partner_id"], found[1]["partner_id"]
    events = [(s["partner_id"], "shown") for s in found]
    events += [(first, "accepted"), (first, "meeting"), (first, "deal"), (second, "declined")]
    counts: dict[str, int] = {}
    for partner_id, event in events:
        _api(
            url,
            token,
            f"/api/v1/members/{member_id}/feedback",
            {"partner_id": partner_id, "event": event},
        )
        counts[event] = counts.get(event, 0) + 1
    return counts


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the service exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"the service did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}"
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The service on a free port with part of the sample, a model, a manager and a member."""
    folder = tmp_path_factory.mktemp("live")
    profiles_path, links_path, profiles = _sample_subset(folder)
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'matcher.sqlite'}",
        "MATCHER_MODELS_DIR": str(folder / "models"),
        "MATCHER_RATELIMIT_STORAGE_URI": f"matcher-sqlite:///{folder / 'ratelimits.sqlite'}",
        # One key file for both workers: a session signed by one must hold in the other.
        "MATCHER_SECRET_KEY_FILE": str(folder / "secret_key"),
        # The pages are under test, not the choice of model: the default one is trained in 4 s
        # where choosing among the candidates by inner cross-validation took 10-20 s per worker.
        "MATCHER_MODEL_KIND": "default",
        # Every browser test signs in from 127.0.0.1, several a minute on one server; the limit
        # itself is tested in tests/api.
        "MATCHER_WEB_LOGIN_RATE_LIMIT": "1000/minute",
    }
    _command(env, "db", "upgrade")
    _command(
        env,
        "db",
        "import",
        "--networks",
        str(_sample_networks()),
        "--members",
        str(profiles_path),
        "--links",
        str(links_path),
    )
    _command(env, "db", "train")
    manager_token = _command(env, "users", "create", "--name", "olena", "--role", "manager")
    _command(env, "users", "set-password", "--name", "olena", "--password", MANAGER_PASSWORD)
    home = profiles[profiles["network"] == HOME]
    unique = home[~home["name"].duplicated(keep=False) & (home["seeks"] != "")]
    member = unique.iloc[0]
    member_token = _command(
        env,
        "users",
        "create",
        "--name",
        "member-user",
        "--role",
        "member",
        "--member",
        member["id"],
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "service.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from matcher.cli import main; sys.exit(main())",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
                "--no-access-log",
            ],
            env={**os.environ, **env, "OMP_NUM_THREADS": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, process, log)
        member_token = member_token.strip().splitlines()[-1]
        feedback = _give_feedback(url, member_token, member["id"])
        yield LiveServer(
            url=url,
            folder=folder,
            manager_name="olena",
            manager_password=MANAGER_PASSWORD,
            manager_token=manager_token.strip().splitlines()[-1],
            member_token=member_token,
            member_id=member["id"],
            member_name=member["name"],
            home_members=len(home),
            feedback=feedback,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium of Debian's package, driven by Playwright."""
    problem = None
    if not Path(CHROMIUM).is_file():
        problem = (
            f"Chromium is not installed at {CHROMIUM}: install Debian's package "
            "(apt-get install -y chromium) or point MATCHER_CHROMIUM at the binary"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        problem = f"Playwright is not installed ({error}): pip install -e '.[test]'"
    if problem:
        if REQUIRE_BROWSER:
            pytest.fail(f"MATCHER_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server):
    """A page in a fresh context (no cookies) whose relative URLs go to the live server.

    Every request it makes is recorded in ``page.requested_urls`` (the pages load nothing
    from other sites).
    """
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    opened.requested_urls = requested
    yield opened
    context.close()


@pytest.fixture
def sign_in(live_server) -> Callable:
    """Sign `page` in as the manager (with the password, or with `token`); returns the page."""
    from playwright.sync_api import expect

    def sign(page, token: str | None = None, expect_success: bool = True):
        page.goto("/manage/login")
        if token is None:
            page.fill("#name", live_server.manager_name)
            page.fill("#password", live_server.manager_password)
            page.click("#sign-in-password")
        else:
            page.fill("#token", token)
            page.click("#sign-in-token")
        if expect_success:
            expect(page).to_have_url(re.compile(r"/manage/members$"))
        return page

    return sign


@pytest.fixture
def screenshot(tmp_path) -> Callable:
    """Save a full-page screenshot named `name`; returns its path."""
    extra = os.environ.get("MATCHER_SCREENSHOT_DIR")

    def shoot(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(extra) / f"{name}.png"), full_page=True)
        return path

    return shoot
