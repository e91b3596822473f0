"""A React page on @trigger.dev/react-hooks (bundled offline with esbuild from tests/contract)
in headless Chromium, served from another origin than the emulator (so CORS is exercised too):
it shows the run go from QUEUED to COMPLETED and an AI-style token stream as the test moves it."""

import functools
import http.server
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest

from test_dashboard import CHROMIUM, DRIVER, browser, served, wait_for  # noqa: F401  (its fixtures)

CONTRACT = Path(__file__).parent / "contract"
ESBUILD = CONTRACT / "node_modules" / ".bin" / "esbuild"
HOOKS = CONTRACT / "node_modules" / "@trigger.dev" / "react-hooks"
pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or DRIVER is None or not ESBUILD.exists() or not HOOKS.exists()) and not __import__("os").environ.get("CI"),
    reason="needs Debian's chromium + chromium-driver and `npm ci` in tests/contract (scripts/test.sh does both)",
)


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    """The bundled page, served by a static file server on its own port."""
    out = tmp_path_factory.mktemp("realtime-page")
    subprocess.run(
        [str(ESBUILD), "realtime-page/app.jsx", "--bundle", "--format=iife", "--platform=browser", "--jsx=automatic",
         '--define:process.env.NODE_ENV="production"', "--external:node:*", f"--outfile={out / 'app.js'}",
         "--log-level=warning"],
        cwd=CONTRACT, check=True, capture_output=True, timeout=120,
    )
    shutil.copy(CONTRACT / "realtime-page" / "index.html", out / "index.html")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


def text(browser, element_id):
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.ID, element_id)
    return found[0].text if found else None


def test_use_realtime_run_shows_queued_then_completed(browser, page_url, served):
    emu, url, api = served
    made = api.post("/api/v1/tasks/summarize/trigger", json={"payload": {"doc": 1}})
    run_id, token = made.json()["id"], made.headers["x-trigger-jwt"]
    browser.get(page_url + "?" + urlencode({"api": url, "run": run_id, "token": token}))
    wait_for(browser, lambda d: text(d, "status") == "QUEUED" or text(d, "error"))
    assert text(browser, "status") == "QUEUED", text(browser, "error")
    emu.start(run_id)
    wait_for(browser, lambda d: text(d, "status") == "EXECUTING")
    emu.stream(run_id, "ai", [{"delta": "Hel"}, {"delta": "lo"}])
    wait_for(browser, lambda d: text(d, "text") == "Hello")
    emu.stream(run_id, "ai", [{"delta": ", world"}])
    wait_for(browser, lambda d: text(d, "text") == "Hello, world")
    emu.complete(run_id, {"summary": "short"})
    wait_for(browser, lambda d: text(d, "status") == "COMPLETED")
    assert text(browser, "output") == '{"summary":"short"}'
    wait_for(browser, lambda d: text(d, "completed") == "COMPLETED")  # onComplete fired
    assert text(browser, "error") is None and text(browser, "stream-error") is None


def test_a_bad_token_reaches_the_hook_as_an_error(browser, page_url, served):
    emu, url, api = served
    run_id = api.post("/api/v1/tasks/summarize/trigger", json={}).json()["id"]
    other_token = api.post("/api/v1/tasks/summarize/trigger", json={}).headers["x-trigger-jwt"]
    browser.get(page_url + "?" + urlencode({"api": url, "run": run_id, "token": other_token}))
    wait_for(browser, lambda d: text(d, "error"))
    assert "403" in text(browser, "error") or "Unauthorized" in text(browser, "error")
