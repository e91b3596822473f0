"""Issue #14 finding 6 in a real browser: a page on another origin auto-submits forms and
fires fetches at a served emulator; none of it changes the emulator's state. And a page
reached through a name that resolves to the emulator (DNS rebinding) is refused. Headless
Chromium through Selenium, as in test_dashboard.py."""

import os
from datetime import datetime, timezone
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from trigger_emulator import LocalEmulator

from browser_support import CHROMIUM, DRIVER, chromium
pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or DRIVER is None) and not os.environ.get("CI"),
    reason="needs Debian's chromium and chromium-driver (scripts/test.sh installs them)",
)

ATTACK = """<!doctype html><html><head><title>cute cats</title></head><body>
{sinks}
<form method="post" action="{e}/__emulator/reset" enctype="text/plain" target="s0"><input name="x" value="1"></form>
<form method="post" action="{e}/__emulator/clock" enctype="text/plain" target="s1"><input name='{{"advance":"2h","x":"' value='"}}'></form>
<form method="post" action="{e}/__emulator/runs/{run}/complete" enctype="text/plain" target="s2"><input name='{{"output":"' value='pwned"}}'></form>
<form method="post" action="{e}/runs/{run}/cancel" target="s3"><input name="csrf_token" value="guess"></form>
<form method="post" action="{e}/clock" target="s4"><input name="advance" value="2h"></form>
<form method="post" action="{e}/test" target="s5"><input name="task" value="evil"><input name="payload" value="{{}}"><input name="options" value="{{}}"></form>
<form method="post" action="{e}/runs/{run}/replay" target="s6"></form>
<form method="post" action="{e}/envvars/set" target="s7"><input name="name" value="STOLEN"><input name="value" value="1"></form>
<form method="post" action="{e}/__emulator/tasks" enctype="text/plain" target="s8"><input name='{{"id":"' value='evil"}}'></form>
<script>
const E = "{e}";
for (const form of document.forms) form.submit();
const shots = [
  fetch(E + "/__emulator/reset", {{method: "POST", mode: "no-cors"}}),
  fetch(E + "/__emulator/clock", {{method: "POST", mode: "no-cors", headers: {{"content-type": "text/plain"}}, body: '{{"advance":"2h"}}'}}),
  fetch(E + "/__emulator/faults", {{method: "POST", mode: "no-cors", body: '{{"status":500}}'}}),
  fetch(E + "/__emulator/clock", {{method: "POST", headers: {{"content-type": "application/json"}}, body: '{{"advance":"2h"}}'}}),
  fetch(E + "/__emulator/runs/{run}/expire", {{method: "POST", mode: "no-cors"}}),
  fetch(E + "/api/v2/runs/{run}/cancel", {{method: "POST", mode: "no-cors"}}),
].map((shot) => shot.catch(() => null));
Promise.all(shots).then(() => setTimeout(() => {{ document.title = "done"; }}, 1500));
</script></body></html>"""

# (the recorder leaves out /__emulator/faults; state() shows no fault was added)
EXPECTED_PATHS = {"/__emulator/reset", "/__emulator/clock", "/clock", "/test", "/envvars/set", "/__emulator/tasks"}


@pytest.fixture(scope="module")
def browser():
    # a name the attacker controls, resolving to this machine: DNS rebinding's end state
    driver = chromium("--host-resolver-rules=MAP rebind.test 127.0.0.1")
    yield driver
    driver.quit()


@pytest.fixture
def target():
    with LocalEmulator() as emu:
        url = emu.serve()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {emu.secret_key}"}) as api:
            run_id = api.post("/api/v1/tasks/t/trigger", json={"options": {"delay": "1h"}}).json()["id"]
        emu.engine.recording = []  # every request the attack makes, and its answer
        yield emu, url, run_id


@pytest.fixture
def attacker():
    """A second loopback server: the attacker's site, on another port (another origin)."""
    page = {"html": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page["html"])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield page, server.server_address[1]
    server.shutdown()


def wait_for(browser, predicate, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(lambda d: predicate(d))


def state(emu):
    """Runs, faults, and how far the emulator clock is ahead of the wall clock (the attack
    would move it by hours)."""
    ahead = round((emu.now() - datetime.now(timezone.utc)).total_seconds() / 600)  # in 10-minute steps
    return [(r.id, r.status) for r in emu.runs()], ahead, emu.faults.list()


@pytest.mark.parametrize("attacker_host", ["127.0.0.1", "localhost"])  # same-site and cross-site
def test_a_page_on_another_origin_cannot_change_the_emulators_state(browser, target, attacker, attacker_host):
    emu, url, run_id = target
    page, port = attacker
    page["html"] = ATTACK.format(e=url, run=run_id, sinks="".join(f'<iframe name="s{i}"></iframe>' for i in range(9))).encode()
    before = state(emu)
    browser.get(f"http://{attacker_host}:{port}/")
    wait_for(browser, lambda d: d.title == "done")
    wait_for(browser, lambda d: EXPECTED_PATHS <= {x["request"]["path"] for x in emu.engine.recording})
    attempts = [x for x in emu.engine.recording if x["request"]["method"] == "POST"]
    assert len(attempts) >= 10  # the attack really reached the emulator
    assert all(x["response"]["status"] in (401, 403, 415) for x in attempts), [
        (x["request"]["path"], x["response"]["status"]) for x in attempts]
    assert state(emu) == before


def test_a_rebound_name_is_refused_even_as_a_same_origin_page(browser, target):
    emu, url, run_id = target
    port = url.rsplit(":", 1)[1]
    browser.get(f"http://rebind.test:{port}/")
    assert 'Blocked request: Host \\"rebind.test:' in browser.page_source or "Blocked request: Host" in browser.page_source
    assert run_id not in browser.page_source
    before = state(emu)
    browser.execute_script(
        "return fetch('/__emulator/reset', {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})"
        ".then((r) => { document.title = 'reset:' + r.status; })")
    wait_for(browser, lambda d: d.title.startswith("reset:"))
    assert browser.title == "reset:403" and state(emu) == before
