"""Regenerate the README's screenshots of the manager pages.

Two pictures, of the fictional sample cluster as a manager sees it in headless Chromium:

- ``docs/img/manager-suggestions.png``: a member's suggested partners with their reasons;
- ``docs/img/manager-agenda.png``: a matchmaking session's agenda grid (slots by tables);
- ``docs/img/member-suggestions.png``: a member firm's own suggestions (``/my/suggestions``),
  signed in with a member's API token (made by the script; with ``--url``, ``--member-token``).

By default the script starts the service on its own, as the README's first command does (a
temporary SQLite database, the sample, a trained model, a manager with a password), takes the
pictures and stops it::

    .venv/bin/pip install -e '.[test]'      # Playwright; the browser is Debian's chromium
    .venv/bin/python docs/make_screenshots.py

``--url URL --manager NAME --password P --token T`` uses a running service instead (the token
is a manager's API token, used to prepare the session). Playwright drives ``/usr/bin/chromium``
(or ``MATCHER_CHROMIUM``) and never downloads a browser.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("MATCHER_CHROMIUM", "/usr/bin/chromium")
HOME = "kharkiv-fashion-cluster"
PASSWORD = "autumn-fair-screenshots"
VIEWPORT = {"width": 1366, "height": 768}
#: The session shown: the first home members who seek something.
PARTICIPANTS = 24


def _api(url: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        url + "/api/v1" + path,
        data=json.dumps(body).encode("utf-8") if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def _matcher(env: dict[str, str], *args: str) -> str:
    """Run one ``matcher`` command in a child process; stop with its output on failure."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from matcher.cli import main; sys.exit(main())", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"`matcher {' '.join(args[:2])}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit(f"the service did not answer within {seconds:.0f} s")


def prepare_session(url: str, token: str, build_seconds: float = 10) -> tuple[str, str]:
    """Make the session shown and build its agenda; return (session id, a member with needs)."""
    listed = _api(url, token, "GET", f"/members?network={HOME}&per_page=200")["items"]
    participants = [m["member_id"] for m in listed if m.get("seeks")][:PARTICIPANTS]
    created = _api(
        url,
        token,
        "POST",
        "/sessions",
        {
            "name": "Autumn B2B day (sample)",
            "date": "2027-03-12",
            "place": "Kharkiv, exhibition hall",
            "tables": 8,
            "start": "10:00",
            "end": "13:00",
            "meeting_minutes": 20,
        },
    )
    session_id = created["session_id"]
    for member_id in participants:
        _api(url, token, "POST", f"/sessions/{session_id}/participants", {"member_id": member_id})
    _api(
        url,
        token,
        "POST",
        f"/sessions/{session_id}/build",
        {"time_limit": build_seconds, "include_suggested": True},
    )
    return session_id, participants[0]


def take_screenshots(
    url: str,
    manager: str,
    password: str,
    token: str,
    out: Path,
    language: str = "en",
    build_seconds: float = 10,
    browser=None,
    member_token: str | None = None,
) -> list[Path]:
    """Sign in as `manager`, take both pictures into `out`; return their paths.

    `browser` is a launched Playwright browser to use (one is launched and closed otherwise).
    """
    session_id, member_id = prepare_session(url, token, build_seconds)
    out.mkdir(parents=True, exist_ok=True)
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
            )
            try:
                return _pictures(
                    launched, url, manager, password, session_id, member_id, out, language
                ) + _member_pictures(launched, url, member_token, out, language)
            finally:
                launched.close()
    return _pictures(
        browser, url, manager, password, session_id, member_id, out, language
    ) + _member_pictures(browser, url, member_token, out, language)


def _member_pictures(browser, url, member_token, out, language) -> list[Path]:
    """The member's own suggestions, signed in on ``/my/login`` with `member_token` (none
    without a token)."""
    if not member_token:
        return []
    context = browser.new_context(
        base_url=url, viewport=VIEWPORT, locale="uk-UA" if language == "uk" else "en-GB"
    )
    try:
        page = context.new_page()
        page.goto("/my/login")
        page.fill("#token", member_token)
        page.click("#sign-in-token")
        page.wait_for_url("**/my/suggestions")
        page.goto("/my/suggestions?k=5")
        target = out / "member-suggestions.png"
        page.screenshot(path=str(target))
        return [target]
    finally:
        context.close()


def _pictures(browser, url, manager, password, session_id, member_id, out, language) -> list[Path]:
    context = browser.new_context(
        base_url=url, viewport=VIEWPORT, locale="uk-UA" if language == "uk" else "en-GB"
    )
    written = []
    try:
        page = context.new_page()
        page.goto("/manage/login")
        page.fill("#name", manager)
        page.fill("#password", password)
        page.click("#sign-in-password")
        page.wait_for_url("**/manage/members")
        for path, name in (
            (f"/manage/members/{member_id}/suggestions", "manager-suggestions.png"),
            (f"/manage/sessions/{session_id}/agenda", "manager-agenda.png"),
        ):
            page.goto(path)
            grid = page.locator(".grid-scroll")
            if grid.count():
                # The grid itself, with the heading above it in view.
                grid.first.scroll_into_view_if_needed()
                page.evaluate("window.scrollBy(0, -140)")
            target = out / name
            page.screenshot(path=str(target))
            written.append(target)
    finally:
        context.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--language", choices=["en", "uk"], default="en")
    parser.add_argument("--url", help="a running service (else one is started on the sample)")
    parser.add_argument("--manager", help="with --url: a manager's user name")
    parser.add_argument("--password", help="with --url: its page password")
    parser.add_argument("--token", help="with --url: its API token")
    parser.add_argument("--member-token", help="with --url: a member user's API token")
    args = parser.parse_args(argv)
    if args.url:
        if not (args.manager and args.password and args.token):
            parser.error("--url needs --manager, --password and --token")
        for path in take_screenshots(
            args.url,
            args.manager,
            args.password,
            args.token,
            args.out,
            args.language,
            member_token=args.member_token,
        ):
            print(f"wrote {path}")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder}/matcher.sqlite",
            "MATCHER_MODELS_DIR": f"{folder}/models",
            "MATCHER_RATELIMIT_STORAGE_URI": f"matcher-sqlite:///{folder}/ratelimits.sqlite",
            "MATCHER_SECRET_KEY_FILE": f"{folder}/secret_key",
            "MATCHER_RUNTIME_DIR": f"{folder}/run",
        }
        for command in (("db", "upgrade"), ("db", "load-sample"), ("db", "train")):
            print(_matcher(env, *command).strip().splitlines()[-1])
        created = _matcher(env, "users", "create", "--name", "screenshots", "--role", "manager")
        token = created.strip().splitlines()[-1]
        _matcher(env, "users", "set-password", "--name", "screenshots", "--password", PASSWORD)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from matcher.cli import main; sys.exit(main())"]
            + ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
            + ["--no-access-log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_healthy(url, process)
            # A member user for the first home member, whose own suggestions are pictured.
            first = _api(url, token, "GET", f"/members?network={HOME}&per_page=1")["items"][0]
            member_token = (
                _matcher(
                    env,
                    "users",
                    "create",
                    "--name",
                    "member-screenshots",
                    "--role",
                    "member",
                    "--member",
                    first["member_id"],
                )
                .strip()
                .splitlines()[-1]
            )
            for path in take_screenshots(
                url,
                "screenshots",
                PASSWORD,
                token,
                args.out,
                args.language,
                member_token=member_token,
            ):
                print(f"wrote {path}")
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
