"""A real ``streamlit run app.py`` on a free loopback port, and headless Debian Chromium.

Shared by the browser tests (``conftest.py`` fixtures) and the browser benchmarks in
``bench/``. Playwright never downloads a browser here: Chromium comes from
``$CHROMIUM_PATH`` or ``/usr/bin/chromium``; without the background-networking flags it
stalls on calls to a network this machine does not have.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class ServerError(RuntimeError):
    """The server died or did not answer its health check; the message has its output."""


def chromium_executable() -> str:
    return os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-5000:]
    except OSError:
        return "(no server output)"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def streamlit_server(log: Path) -> Iterator[str]:
    """Start the app, wait until ``/_stcore/health`` answers ``ok``, yield its base URL,
    and stop that server (by its own process) on exit. Output goes to ``log``."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise ServerError(
                    f"streamlit exited with code {process.returncode} before answering "
                    f"{url}/_stcore/health. Its output ({log}):\n{_tail(log)}"
                )
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(
                    f"streamlit did not answer {url}/_stcore/health within "
                    f"{START_TIMEOUT_S} s. Its output ({log}):\n{_tail(log)}"
                )
            time.sleep(0.2)
        yield url
    finally:
        _stop(process)
