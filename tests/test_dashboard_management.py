"""The dashboard's management pages in headless Chromium: schedules (next runs, deactivate), waitpoint
tokens (complete one), queues (pause/resume), env vars (set, redact, delete)."""

import os

import pytest
from test_dashboard import CHROMIUM, DRIVER, browser, served, wait_for  # noqa: F401 - its fixtures

pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or DRIVER is None) and not os.environ.get("CI"),
    reason="needs Debian's chromium and chromium-driver (scripts/test.sh installs them)",
)


def test_schedules_page_shows_next_runs_and_deactivates(browser, served):
    from selenium.webdriver.common.by import By

    emu, url, api = served
    made = api.post("/api/v1/schedules", json={"task": "nightly", "cron": "0 0 * * *", "deduplicationKey": "n"}).json()
    browser.get(url + "/schedules")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-schedule="{made["id"]}"]')
    upcoming = row.find_element(By.CLASS_NAME, "upcoming").text.split()
    assert upcoming[0] == made["nextRun"] and len(upcoming) == 5
    assert "At 12:00 AM" in row.text
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'tr[data-schedule="{made["id"]}"] .active').text == "no")
    assert api.get(f"/api/v1/schedules/{made['id']}").json()["active"] is False
    field = browser.find_element(By.NAME, "advance")
    field.clear()
    field.send_keys("2d")
    browser.find_element(By.ID, "advance").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "schedules"))
    assert emu.runs("nightly") == []  # deactivated: no run fired


def test_tokens_page_completes_a_token(browser, served):
    from selenium.webdriver.common.by import By

    emu, url, api = served
    token = api.post("/api/v1/waitpoints/tokens", json={"tags": ["approval"]}).json()["id"]
    browser.get(url + "/waitpoints")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-token="{token}"]')
    assert "WAITING" in row.text and "approval" in row.text
    data = row.find_element(By.NAME, "data")
    data.clear()
    data.send_keys('{"approved": "<yes>"}')
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, lambda d: "COMPLETED" in d.find_element(By.CSS_SELECTOR, f'tr[data-token="{token}"]').text)
    assert emu.token(token).output == {"approved": "<yes>"}
    assert '"<yes>"' in browser.find_element(By.CSS_SELECTOR, f'tr[data-token="{token}"]').text  # escaped


def test_queues_page_pauses_and_resumes(browser, served):
    from selenium.webdriver.common.by import By

    emu, url, api = served
    api.post("/api/v1/tasks/mailer/trigger", json={})
    browser.get(url + "/queues")
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-queue="mailer"]')
    assert row.find_element(By.CLASS_NAME, "paused").text == "no"
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-queue="mailer"] .paused').text == "yes")
    assert [q.paused for q in emu.queues()] == [True]
    browser.find_element(By.CSS_SELECTOR, 'tr[data-queue="mailer"] button').click()
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-queue="mailer"] .paused').text == "no")
    assert [q.paused for q in emu.queues()] == [False]


def test_envvars_page_sets_redacts_and_deletes(browser, served):
    from selenium.webdriver.common.by import By

    emu, url, api = served
    api.post("/api/v1/projects/p/envvars/dev", json={"name": "PLAIN", "value": "visible"})
    browser.get(url + "/envvars")
    form = browser.find_element(By.ID, "set-var")
    form.find_element(By.NAME, "name").send_keys("API_TOKEN")
    form.find_element(By.NAME, "value").send_keys("s3cret")
    form.find_element(By.NAME, "secret").click()
    form.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-var="API_TOKEN"]'))
    assert "s3cret" not in browser.find_element(By.ID, "envvars").text
    assert "visible" in browser.find_element(By.CSS_SELECTOR, 'tr[data-var="PLAIN"]').text
    assert emu.envvars["API_TOKEN"] == "s3cret" and emu.envvars.secret("API_TOKEN") is True
    browser.find_element(By.CSS_SELECTOR, 'tr[data-var="PLAIN"] button').click()
    wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, 'tr[data-var="PLAIN"]'))
    assert "PLAIN" not in emu.envvars
