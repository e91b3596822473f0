"""The dashboard in a real headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium): trigger via the API, see the run appear, open it, complete it, move the clock and see a
delayed run become queued and a TTL expire. Screenshots land in docs/."""

import os
from pathlib import Path

import httpx
import pytest

from trigger_emulator import LocalEmulator

from browser_support import CHROMIUM, DRIVER, chromium
# Screenshots for the README: TRIGGER_EMULATOR_SCREENSHOTS=1 scripts/test.sh tests/test_dashboard.py
DOCS = Path(__file__).parent.parent / "docs" if os.environ.get("TRIGGER_EMULATOR_SCREENSHOTS") else None


def screenshot(browser, name):
    if DOCS is not None:
        DOCS.mkdir(exist_ok=True)
        browser.save_screenshot(str(DOCS / name))
pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or DRIVER is None) and not os.environ.get("CI"),
    reason="needs Debian's chromium and chromium-driver (scripts/test.sh installs them)",
)


@pytest.fixture(scope="module")
def browser():
    driver = chromium("--window-size=1280,900")
    yield driver
    driver.quit()


@pytest.fixture
def served():
    with LocalEmulator() as emu:
        url = emu.serve()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {emu.secret_key}"}) as api:
            yield emu, url, api


def wait_for(browser, predicate, timeout=10):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A click that submits a form replaces the page: elements found just before go stale.
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, timeout, poll_frequency=0.1, ignored_exceptions=ignored).until(lambda d: predicate(d))


def test_trigger_see_open_complete(browser, served):
    from selenium.webdriver.common.by import By

    emu, url, api = served
    browser.get(url + "/")
    run_id = api.post("/api/v1/tasks/send-email/trigger",
                      json={"payload": {"to": "<b>a@example.com</b>"}, "options": {"tags": ["signup"]}}).json()["id"]
    # the list polls: the run shows up without a reload
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-run="{run_id}"]'))
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-run="{run_id}"]')
    assert "QUEUED" in row.text and "send-email" in row.text and "signup" in row.text
    screenshot(browser, "dashboard-runs.png")
    row.find_element(By.LINK_TEXT, run_id).click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "run-status"))
    assert '"<b>a@example.com</b>"' in browser.find_element(By.ID, "payload").text  # escaped, shown as text
    output = browser.find_element(By.NAME, "output")
    output.clear()
    output.send_keys('{"sent": true}')
    browser.find_element(By.ID, "complete").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "run-status").text == "COMPLETED")
    assert '"sent": true' in browser.find_element(By.ID, "output").text
    screenshot(browser, "dashboard-run.png")
    assert emu.run(run_id).output == {"sent": True}


def test_clock_moves_a_delayed_run_to_queued_then_expired(browser, served):
    from selenium.webdriver.common.by import By

    emu, url, api = served
    run_id = api.post("/api/v1/tasks/report/trigger", json={"options": {"delay": "30m", "ttl": "5m"}}).json()["id"]
    browser.get(f"{url}/runs/{run_id}")
    assert browser.find_element(By.ID, "run-status").text == "DELAYED"
    assert "QUEUED" in browser.find_element(By.ID, "due").text  # the preview of what falls due

    def advance(amount):
        field = browser.find_element(By.NAME, "advance")
        field.clear()
        field.send_keys(amount)
        browser.find_element(By.ID, "advance").click()

    advance("30m")
    wait_for(browser, lambda d: d.find_element(By.ID, "run-status").text == "QUEUED")
    advance("5m")
    wait_for(browser, lambda d: d.find_element(By.ID, "run-status").text == "EXPIRED")
    timeline = browser.find_element(By.ID, "timeline").text
    assert "DELAYED" in timeline and "PENDING" in timeline and "EXPIRED" in timeline


def test_test_page_triggers_and_bad_json_is_reported(browser, served):
    from selenium.webdriver.common.by import By

    emu, url, api = served
    api.post("/api/v1/tasks/warmup/trigger", json={})
    browser.get(url + "/test")
    browser.find_element(By.ID, "task").send_keys("from-form")
    payload = browser.find_element(By.ID, "payload-input")
    payload.clear()
    payload.send_keys('{"n": 1')
    browser.find_element(By.ID, "trigger").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "message"))
    assert emu.runs("from-form") == []
    payload = browser.find_element(By.ID, "payload-input")
    payload.clear()
    payload.send_keys('{"n": 1}')
    browser.find_element(By.ID, "task").send_keys("from-form")
    browser.find_element(By.ID, "trigger").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "run-status"))
    assert [r.payload for r in emu.runs("from-form")] == [{"n": 1}]
