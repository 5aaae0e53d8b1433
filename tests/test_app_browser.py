"""The app in a real browser: start ``solara run simulation/viz/app.py`` on a free localhost port,
open it in headless Chromium (Playwright driving the system's Chromium), pick a preset (its
description shown in the menu), move a lever, Reset, check the regime in force, Step, check that
the page and its charts change, Play and pause; keep the run as a baseline, turn a replicate band
on, download the table, config and command; then time ▶ from year 0 to 30 at 1 000 cadres (printed,
with the server's CPU time: timings are measured, never asserted). Every request goes to
127.0.0.1. Saves a screenshot under tmp_path.

Skips where Chromium or Playwright is missing. To enable it:
``apt-get install chromium`` and ``pip install playwright`` (no ``playwright install``: the test
uses the system's Chromium at /usr/bin/chromium, or CHROMIUM=/path/to/chromium).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

ENABLE = "apt-get install chromium and pip install playwright"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 90  # server start (imports, first model) on a busy 2-core machine
WAIT_MS = 30_000  # any single browser wait
PLAY_WAIT_MS = 600_000  # ▶ through 30 years on a machine shared by many processes

sync_api = pytest.importorskip(
    "playwright.sync_api", reason=f"the browser test needs Playwright: {ENABLE}"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason=f"no Chromium at {CHROMIUM}: {ENABLE}"
    ),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, server: subprocess.Popen, log: Path, seconds: float) -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if it dies or is slow."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the app server exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"the app server did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    """Terminate the server's process group (it was started in its own session)."""
    if server.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.fixture
def app_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The app served by ``solara run`` on a free localhost port, and the server's process id;
    always terminated."""
    port = free_port()
    log = tmp_path / "solara.log"
    env = os.environ | {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable, "-m", "solara", "run", "simulation/viz/app.py", "--host", "127.0.0.1",
        "--port", str(port), "--production", "--no-open", "--no-check-version",
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, server, log, STARTUP_SECONDS)
        yield url, server.pid
    finally:
        stop(server)


def chart_images(page) -> list[str]:
    """The src of every figure on the page (pyramid and charts are PNG images)."""
    return page.locator(".cadresim-main img").evaluate_all("imgs => imgs.map(i => i.src)")


def lever(page, label: str):
    return page.locator(".v-input__slider", has_text=label)


def is_local(url: str) -> bool:
    """A request the page may make: to the app's own host, or an inline data/blob URL."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1"


def choose_preset(page, title: str) -> None:
    """Open the preset picker and choose the preset shown as ``title``."""
    page.locator(".v-select", has_text="Preset").locator(".v-select__slot").click()
    page.locator(".menuable__content__active .v-list-item", has_text=title).first.click()


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of a process and its children so far."""
    process = psutil.Process(pid)
    times = [process.cpu_times(), *(child.cpu_times() for child in process.children(True))]
    return sum(t.user + t.system for t in times)


def timed_play(page, pid: int) -> tuple[float, float]:
    """Press ▶ at year 0 and wait for year 30: (wall seconds, server CPU seconds)."""
    page.get_by_text("Year 0 of 30").wait_for()
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    page.get_by_role("button", name="▶", exact=True).click()
    page.get_by_text("Year 30: the run ended").first.wait_for(timeout=PLAY_WAIT_MS)
    # ❚❚ turns back into ▶ once the last year's charts are drawn
    page.get_by_role("button", name="▶", exact=True).wait_for(timeout=PLAY_WAIT_MS)
    return time.perf_counter() - started, cpu_seconds(pid) - cpu


def test_app_keeps_the_choice_across_reset_steps_and_plays(app_server, tmp_path):
    from simulation.viz.app import field_label

    app_url, pid = app_server

    tolerance = field_label("regime.fault_tolerance.tolerance")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1600, "height": 1100},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(WAIT_MS)
            errors: list[str] = []
            console: list[str] = []
            outside: set[str] = set()  # requests to any host but the app's (data: URLs aside)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: console.append(message.text))
            page.on("request", lambda request: outside.update(
                {request.url} - {u for u in [request.url] if is_local(u)}))
            page.goto(app_url, timeout=WAIT_MS)
            page.get_by_text("Year 0 of 30").wait_for()
            page.get_by_text("Regime in force: default").wait_for()
            page.wait_for_function("document.querySelectorAll('.cadresim-main img').length >= 5")

            # The preset menu names each preset's source and content.
            page.locator(".v-select", has_text="Preset").locator(".v-select__slot").click()
            page.locator(".menuable__content__active .cadresim-preset-description",
                         has_text="Hubei Party Committee").wait_for()
            page.keyboard.press("Escape")
            # A preset, then a slider moved on top of it, then Reset.
            choose_preset(page, "Strict accountability")
            page.get_by_text("Regime in force: strict_accountability").wait_for()
            track = lever(page, tolerance).locator(".v-slider")
            box = track.bounding_box()
            assert box is not None
            track.click(position={"x": box["width"] * 0.8, "y": box["height"] / 2})
            value = lever(page, tolerance).locator(".v-slider__thumb-label").inner_text()
            assert 0.7 <= float(value) <= 0.9, value
            page.get_by_text("press Reset to apply them").wait_for()
            page.get_by_role("button", name="Reset", exact=True).click()
            in_force = page.locator(".cadresim-summary tr").filter(
                has=page.locator("td:nth-child(2)", has_text=re.compile(r"^Fault tolerance$"))
            ).locator("td:last-child")
            sync_api.expect(in_force).to_have_text(value, timeout=WAIT_MS)
            page.get_by_text("Regime in force: strict_accountability").wait_for()
            sync_api.expect(page.get_by_text("press Reset to apply them")).to_have_count(0)
            sync_api.expect(page.locator(".v-select", has_text="Preset")).to_contain_text(
                "Strict accountability")
            # The seed box shows the model's seed.
            seed = page.locator(".v-text-field", has_text="Seed").locator("input")
            summary_seed = re.search(r"seed (\d+)", page.locator(".cadresim-summary").inner_text())
            assert summary_seed and seed.input_value() == summary_seed.group(1)

            before_images = chart_images(page)
            before_shot = page.locator(".cadresim-main").screenshot()
            step = page.get_by_role("button", name="Step", exact=True)
            for year in (1, 2, 3):
                step.click()
                page.get_by_text(f"Year {year} of 30").wait_for()
            page.get_by_text("Year 3: inaction").wait_for()
            page.wait_for_function(
                "before => { const now = [...document.querySelectorAll('.cadresim-main img')]"
                ".map(i => i.src); return now.length === before.length"
                " && now.every((src, i) => src !== before[i]); }",
                arg=before_images,
            )
            after_shot = page.locator(".cadresim-main").screenshot()
            assert after_shot != before_shot
            sync_api.expect(in_force).to_have_text(value)  # still the regime the controls show

            # Play runs the model on its own until paused (or until the run ends: ▶ runs
            # about 10 years a second, so the pause may come too late on a quiet machine).
            page.get_by_role("button", name="▶", exact=True).click()
            page.locator(".cadresim-year", has_text=re.compile(
                r"Year ([4-9]|\d{2,})( of 30|: the run ended)")).wait_for()
            with contextlib.suppress(sync_api.Error):
                page.get_by_role("button", name="❚❚", exact=True).click(timeout=2_000)
            page.get_by_role("button", name="▶", exact=True).wait_for()
            year = int(re.search(r"Year (\d+)", page.locator(".cadresim-year").inner_text())[1])
            assert 4 <= year <= 30

            # Keep this run as the baseline: every chart names it.
            page.get_by_role("button", name="Keep as baseline").click()
            page.get_by_text("Baseline (dashed): Strict accountability").wait_for()
            # A band of 5 replicates.
            band_choice = page.locator(".cadresim-replicates")
            band_choice.get_by_role("button", name="5", exact=True).click()
            page.get_by_text("Band over this run and 5 replicates").wait_for(
                timeout=PLAY_WAIT_MS)
            # Downloads: the table, the config and the command line.
            with page.expect_download() as csv_download:
                page.get_by_role("button", name="Table (CSV)").click()
            table = Path(csv_download.value.path()).read_text()
            assert table.startswith("step,regime,inaction"), table[:80]
            with page.expect_download() as yaml_download:
                page.get_by_role("button", name="Config (YAML)").click()
            config_text = Path(yaml_download.value.path()).read_text()
            assert "name: strict_accountability" in config_text
            command = page.locator(".cadresim-command").inner_text()
            assert command.startswith("cadresim run strict_accountability --seed 1 --steps 30")
            assert f"regime.fault_tolerance.tolerance={value}" in command

            # Another regime against the baseline: ▶ from year 0 to 30 at 1 000 cadres, with
            # the baseline and the band drawn (timed once the new replicates are in).
            choose_preset(page, "Default (built-in values)")
            page.get_by_text("Regime in force: default").wait_for()
            page.get_by_text("Band over this run and 5 replicates").wait_for(
                timeout=PLAY_WAIT_MS)
            wall, cpu = timed_play(page, pid)
            print(f"play 30 years at 1000 cadres, baseline and 5-replicate band: "
                  f"{wall:.1f} s wall, {cpu:.1f} s server CPU (load {os.getloadavg()[0]:.1f})")
            sync_api.expect(page.get_by_role("button", name="▶", exact=True)).to_be_disabled()
            screenshot = tmp_path / "cadresim_app.png"
            page.screenshot(path=str(screenshot), full_page=True)
            page.locator(".cadresim-main").screenshot(path=str(tmp_path / "cadresim_charts.png"))
            # and without them
            page.get_by_role("button", name="Clear baseline").click()
            band_choice.get_by_role("button", name="0", exact=True).click()
            page.get_by_role("button", name="Reset", exact=True).click()
            wall, cpu = timed_play(page, pid)
            print(f"play 30 years at 1000 cadres: {wall:.1f} s wall, {cpu:.1f} s server CPU "
                  f"(load {os.getloadavg()[0]:.1f})")

            # No Mesa internals, no outside host, Vue in production mode.
            body = page.locator("body").inner_text()
            for internal in ("Page 0", "PAGE 0", "Use Threads", "Play Interval", "Time:"):
                assert internal not in body, internal
            assert not outside, outside
            assert not [m for m in console if "development mode" in m], console
            assert screenshot.stat().st_size > 10_000
            assert not errors, errors
            print(f"screenshot: {screenshot}")
        finally:
            browser.close()
