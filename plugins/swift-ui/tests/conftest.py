"""Fixtures of the swift-ui tests: a tiny model, a real browser (Debian's chromium) and UI processes.

The browser is chromium from Debian packages (``.ci/run`` installs it), driven by
Playwright through ``executable_path``; Playwright's own browser download is never used.
Screenshots of every step go to ``<the test's tmp folder>/screens``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", autouse=True)
def module_kernel():
    """A strict kernel of the installed plugins for each module, restored after."""
    from swift.kernel import Kernel, set_kernel

    previous = set_kernel(Kernel(strict=True))
    try:
        yield
    finally:
        set_kernel(previous)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> str:
    """A tiny Qwen3 checkpoint with a ChatML tokenizer."""
    from swift_sdk.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-qwen3", arch="qwen3"))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("SWIFT_TEST_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if not path:
        pytest.fail("no chromium: install Debian's package (apt-get install chromium), as .ci/run does")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path):
    # module scope: Playwright's sync API keeps an event loop running in this thread while it is
    # open, and asyncio.run() in a later test module of the same session would then fail
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        yield instance
        instance.close()


class Screens:
    """Numbered screenshots of one test: ``screens.take(page, "chat-answer")``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def take(self, page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def screens(tmp_path) -> Screens:
    return Screens(tmp_path / "screens")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    """Wait until ``url`` answers (any HTTP status) or the process dies."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the process ended ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in {timeout} s:\n{log.read_text()[-4000:]}")


@contextlib.contextmanager
def swift_process(argv: list[str], cwd: Path, url: str, env: dict | None = None):
    """Run ``swift <argv>`` (in its own process group) until ``url`` answers; stop it after."""
    log = cwd / f"{argv[0]}-{time.time_ns()}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "swift.cli.main", *argv],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    try:
        wait_http(url, process, log)
        yield process, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(name="free_port")
def free_port_fixture():
    """``free_port()`` → a port nothing listens on."""
    return free_port


@pytest.fixture
def run_swift():
    """``with run_swift(argv, cwd, url) as (process, log_path)``: a UI or server process."""
    return swift_process
