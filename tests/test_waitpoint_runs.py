"""One waitpoint model for the token API and the dev worker's run engine (no Node): a run blocked
on a token (``wait.forToken``) resumes however the token completes (the API, its callback URL,
the dashboard, the Python API) or times out, and what falls due on the clock lands at its own
time, not when the clock was read."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from test_dev_worker_engine import latest, running

TOKENS = "/api/v1/waitpoints/tokens"


def blocked_on_token(api, trigger, **token_options) -> tuple[str, dict]:
    """A started run blocked on a fresh token: ``(run id, create answer)``."""
    created = api.post(TOKENS, json=token_options).json()
    run_id, _ = running(api, trigger)
    assert api.post(f"/engine/v1/runs/{run_id}/waitpoints/tokens/{created['id']}/wait", json={}).json() == {"success": True}
    assert latest(api, run_id)["snapshot"]["executionStatus"] == "EXECUTING_WITH_WAITPOINTS"
    return run_id, created


@pytest.mark.parametrize("how", ["api", "callback", "dashboard", "python"])
def test_a_run_waiting_on_a_token_resumes_however_the_token_completes(emu, api, trigger, how):
    run_id, created = blocked_on_token(api, trigger)
    token = created["id"]
    if how == "api":
        assert api.post(f"{TOKENS}/{token}/complete", json={"data": {"ok": True}}).json() == {"success": True}
    elif how == "callback":
        assert api.post(urlsplit(created["url"]).path, json={"ok": True}).json() == {"success": True}
    elif how == "dashboard":
        form = {"data": '{"ok": true}', "csrf_token": emu.engine.csrf_token}  # the page's CSRF token
        assert api.post(f"/waitpoints/{token}/complete", data=form).status_code in (200, 303)
    else:
        assert emu.complete_token(token, {"ok": True}).status == "COMPLETED"
    execution = latest(api, run_id)
    assert execution["snapshot"]["executionStatus"] == "EXECUTING"
    [wp] = execution["completedWaitpoints"]
    assert wp["friendlyId"] == token and wp["id"] == token.removeprefix("waitpoint_") and wp["type"] == "MANUAL"
    assert wp["output"] == '{"json":{"ok":true}}' and wp["outputType"] == "application/super+json"
    assert wp["outputIsError"] is False
    assert api.get(f"{TOKENS}/{token}").json()["status"] == "COMPLETED"


def test_a_run_created_token_resumes_it_and_a_second_completion_changes_nothing(emu, api, trigger):
    run_id, _ = running(api, trigger)
    token = emu.create_token(timeout="1h", tags=["approval"], env_key=emu.secret_key)
    assert token.status == "WAITING" and token.tags == ["approval"] and token.timeout_at is not None
    api.post(f"/engine/v1/runs/{run_id}/waitpoints/tokens/{token.id}/wait", json={})
    emu.complete_token(token, "yes")
    [wp] = latest(api, run_id)["completedWaitpoints"]
    assert wp["output"] == "yes" and wp["outputType"] == "text/plain"
    snapshot = latest(api, run_id)["snapshot"]["friendlyId"]
    assert emu.complete_token(token.id, "again").output == "yes"
    emu.advance(hours=2)  # its timeout no longer applies
    assert latest(api, run_id)["snapshot"]["friendlyId"] == snapshot and emu.token(token).status == "COMPLETED"
    with pytest.raises(ValueError, match="Waitpoints can only have 10 tags"):
        emu.create_token(tags=[str(i) for i in range(11)])


def test_timeouts_and_dates_resume_runs_at_their_own_time_in_one_clock_jump(emu, api, trigger):
    timed_run, created = blocked_on_token(api, trigger, timeout="30m")
    dated_run, _ = running(api, trigger)
    api.post(f"/engine/v1/runs/{dated_run}/wait/duration", json={"date": _iso_in(emu, hours=1)})
    emu.advance(hours=3)
    now = api.get("/__emulator/clock").json()["now"]
    timed, dated = latest(api, timed_run), latest(api, dated_run)
    token = api.get(f"{TOKENS}/{created['id']}").json()
    assert token["status"] == "TIMED_OUT" and token["completedAt"] == token["timeoutAt"]
    assert timed["snapshot"]["createdAt"] == token["timeoutAt"]  # resumed at the timeout, not 3 h later
    [wp] = timed["completedWaitpoints"]
    assert wp["outputIsError"] is True and '"code":"TRIGGER_WAITPOINT_TIMEOUT"' in wp["output"]
    [date] = dated["completedWaitpoints"]
    assert date["type"] == "DATETIME" and date["outputIsError"] is False
    assert dated["snapshot"]["createdAt"] == date["completedAt"] == date["completedAfter"]  # at its date
    assert token["timeoutAt"] < date["completedAfter"] < now  # ISO strings of one format: time order


def test_the_token_api_lists_only_tokens_and_retrieves_any_waitpoint_by_id(emu, api, trigger):
    token = api.post(TOKENS, json={}).json()["id"]
    run_id, _ = running(api, trigger)
    waited = api.post(f"/engine/v1/runs/{run_id}/wait/duration", json={"date": _iso_in(emu, hours=1)}).json()
    assert [t["id"] for t in api.get(TOKENS).json()["data"]] == [token]
    assert [t.id for t in emu.waitpoints()] == [token]
    dated = api.get(f"{TOKENS}/{waited['waitpoint']['id']}").json()
    assert dated["type"] == "DATETIME" and dated["status"] == "WAITING"


def _iso_in(emu, **delta) -> str:
    from datetime import timedelta, timezone

    return (emu.now() + timedelta(**delta)).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def test_a_database_file_from_before_the_token_api_keeps_its_timeouts(tmp_path):
    import sqlite3

    from trigger_emulator import Config, LocalEmulator

    path = tmp_path / "old.sqlite3"
    with LocalEmulator(Config(database=str(path))) as emu, emu.client() as api:
        token = api.post(TOKENS, json={"timeout": "1h"}).json()["id"]
        key = emu.secret_key
    conn = sqlite3.connect(path)  # the dev worker's table had no due_at: its timeouts ran off completed_after
    conn.execute("DROP INDEX waitpoints_due")
    conn.execute("ALTER TABLE waitpoints DROP COLUMN due_at")
    conn.commit()
    conn.close()
    with LocalEmulator(Config(database=str(path)), secret_key=key) as emu, emu.client() as api:
        assert api.get(f"{TOKENS}/{token}").json()["status"] == "WAITING"
        emu.advance(hours=2)
        assert api.get(f"{TOKENS}/{token}").json()["status"] == "TIMED_OUT"
