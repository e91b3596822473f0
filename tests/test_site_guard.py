"""Issue #14 finding 6: a served emulator answers only for its own hosts (DNS rebinding),
takes no state change from another site (CSRF), takes only JSON on its control API, and shows
no secret key. Same-machine clients that send JSON without an Origin keep working untouched."""


from datetime import datetime, timedelta

import httpx
import pytest

from conftest import start_server, stop_server
from trigger_emulator import Config, LocalEmulator

EVIL = "https://evil.example"
REFUSED = "Cross-origin request refused"


@pytest.fixture(scope="module")
def served():
    with LocalEmulator(Config(allowed_hosts=["dev.example", ".team.example"])) as emu:
        url = emu.serve()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {emu.secret_key}"}) as api:
            yield emu, url, api


@pytest.fixture
def state(served):
    emu, url, api = served
    emu.reset()
    run_id = api.post("/api/v1/tasks/t/trigger", json={"options": {"delay": "1h"}}).json()["id"]
    return run_id, api.get("/__emulator/clock").json()["now"]


def unchanged(served, run_id, now):
    emu, url, api = served
    assert [r.id for r in emu.runs()] == [run_id]
    assert emu.run(run_id).status == "DELAYED"
    moved = datetime.fromisoformat(api.get("/__emulator/clock").json()["now"].replace("Z", "+00:00")) - \
        datetime.fromisoformat(now.replace("Z", "+00:00"))
    assert moved < timedelta(minutes=5)  # the refused requests would have moved it by hours
    assert emu.faults.list() == []


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:80", "evil.dev.example", "10.0.0.1"])
def test_a_request_for_another_host_is_refused(served, state, host):
    emu, url, api = served
    for method, path in (("GET", "/healthz"), ("GET", "/"), ("GET", "/api/v1/runs"), ("POST", "/__emulator/reset")):
        r = api.request(method, path, headers={"Host": host})
        assert r.status_code == 403, (method, path)
        assert r.json()["error"].startswith(f'Blocked request: Host "{host}" is not allowed')
    unchanged(served, *state)


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:1", "app.localhost", "127.0.0.1", "[::1]:9", "127.1.2.3",
                                  "dev.example", "team.example", "a.team.example:3000"])
def test_loopback_and_configured_hosts_are_served(served, host):
    emu, url, api = served
    assert api.get("/healthz", headers={"Host": host}).status_code == 200


def test_the_in_process_transport_answers_as_api_trigger_dev(emu, api):
    assert api.get("/healthz").status_code == 200 and str(api.base_url) == "https://api.trigger.dev"


FORMS = [
    ("/__emulator/reset", {"x": "1"}),
    ("/__emulator/clock", {'{"advance":"2h"}': ""}),
    ("/__emulator/faults", {"status": "500"}),
    ("/clock", {"advance": "2h"}),
    ("/test", {"task": "evil", "payload": "{}", "options": "{}"}),
    ("/envvars/set", {"env": "x", "name": "A", "value": "1"}),
    ("/queues/pause", {"env": "x", "id": "q"}),
    ("/__emulator/tasks", {"id": "evil"}),
]


@pytest.mark.parametrize("origin", [EVIL, "null", "http://localhost:1"])
@pytest.mark.parametrize("path, form", FORMS)
def test_a_form_from_another_origin_changes_nothing(served, state, origin, path, form):
    emu, url, api = served
    r = api.post(path, data=form, headers={"Origin": origin, "Referer": f"{origin}/page"})
    assert r.status_code == 403 and r.json()["error"].startswith(REFUSED)
    run_id = state[0]
    for action in ("cancel", "complete", "reschedule", "replay"):
        r = api.post(f"/runs/{run_id}/{action}", data={"output": "{}", "delay": "1s"}, headers={"Origin": origin})
        assert r.status_code == 403
    r = api.post(f"/__emulator/runs/{run_id}/expire", headers={"Origin": origin})
    assert r.status_code == 403
    unchanged(served, *state)


def test_fetch_metadata_alone_marks_a_cross_site_request(served, state):
    emu, url, api = served
    for site in ("cross-site", "same-site"):
        r = api.post("/__emulator/reset", headers={"Sec-Fetch-Site": site, "content-type": "application/json"})
        assert r.status_code == 403
    unchanged(served, *state)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None])
def test_the_control_api_takes_only_json_bodies(served, state, content_type):
    emu, url, api = served
    headers = {"content-type": content_type} if content_type else {}
    for path, body in (("/__emulator/clock", b'{"advance": "2h"}'), ("/__emulator/faults", b'{"status": 500}'),
                       ("/__emulator/reset", b"x")):
        r = api.post(path, content=body, headers=headers)
        assert (r.status_code, r.json()) == (415, {"error": "Content-Type must be application/json"}), path
    unchanged(served, *state)


def test_same_machine_clients_without_an_origin_keep_working(served, state):
    emu, url, api = served
    run_id, _ = state
    assert api.post("/__emulator/clock", json={"advance": "1h"}).status_code == 200
    assert emu.run(run_id).status == "QUEUED"
    assert api.post(f"/__emulator/runs/{run_id}/start").status_code == 200  # no body, no content type
    own = {"Origin": url}  # the dashboard's own pages may post JSON too
    assert api.post("/__emulator/faults", json={"status": 500, "path": "/x"}, headers=own).status_code == 200
    assert httpx.post(f"{url}/__emulator/reset").status_code == 200  # curl -X POST …/reset
    assert emu.runs() == [] and emu.faults.list() == []


def csrf_token(api, path="/test"):
    return api.get(path).text.split('name="csrf_token" value="')[1].split('"')[0]


def test_dashboard_forms_need_the_pages_csrf_token(served, state):
    emu, url, api = served
    run_id, _ = state
    same_origin = {"Origin": url}
    for data in ({}, {"csrf_token": "guess"}, {"csrf_token": ""}):
        r = api.post(f"/runs/{run_id}/cancel", data=data, headers=same_origin)
        assert (r.status_code, r.text) == (403, "CSRF token missing or invalid")
    assert emu.run(run_id).status == "DELAYED"
    r = api.post(f"/runs/{run_id}/cancel", data={"csrf_token": csrf_token(api)}, headers=same_origin)
    assert r.status_code == 303 and emu.run(run_id).status == "CANCELED"


def test_the_clock_form_goes_back_only_to_its_own_pages(served, state):
    emu, url, api = served
    token = csrf_token(api)
    r = api.post("/clock", data={"advance": "1m", "csrf_token": token}, headers={"Referer": "https://evil.example/x"})
    assert (r.status_code, r.headers["location"]) == (303, "/")
    r = api.post("/clock", data={"advance": "1m", "csrf_token": token}, headers={"Referer": f"{url}/batches?x=1"})
    assert (r.status_code, r.headers["location"]) == (303, "/batches?x=1")


def test_pages_show_a_key_fingerprint_never_the_key(served, state):
    emu, url, api = served
    for path in ("/", "/test"):
        page = api.get(path).text
        assert emu.secret_key[:10] not in page and emu.secret_key[7:14] not in page
        assert "tr_dev_…" in page


def test_the_cli_allowed_host_flag(tmp_path):
    server = start_server(":memory:", extra=["--allowed-host", "box.internal"])
    try:
        assert httpx.get(server.url + "/healthz", headers={"Host": "box.internal:1234"}).status_code == 200
        assert httpx.get(server.url + "/healthz", headers={"Host": "other.internal"}).status_code == 403
    finally:
        stop_server(server)
