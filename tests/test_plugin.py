"""The pytest plugin, exercised the way users meet it: small application suites run with
pytester, asserting their outcomes and failure messages."""

import pytest

APP = '''
import os

import httpx


def signup(email):
    """Application code: tells Trigger.dev to send a welcome email."""
    response = httpx.post(
        os.environ["TRIGGER_API_URL"] + "/api/v1/tasks/send-welcome-email/trigger",
        headers={"Authorization": "Bearer " + os.environ["TRIGGER_SECRET_KEY"]},
        json={"payload": {"email": email}, "options": {"tags": ["signup"]}},
    )
    response.raise_for_status()
    return response.json()["id"]


async def signup_async(email, client=None):
    async with httpx.AsyncClient() as client:
        response = await client.post(
            "https://api.trigger.dev/api/v1/tasks/send-welcome-email/trigger",
            headers={"Authorization": "Bearer " + os.environ["TRIGGER_SECRET_KEY"]},
            json={"payload": {"email": email}},
        )
        return response.json()["id"]
'''


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(app=APP)
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_the_readme_example(suite):
    suite.makepyfile(test_readme='''
from app import signup

def test_signup_queues_welcome_email(trigger_emulator):
    signup("a@example.com")
    run = trigger_emulator.assert_triggered("send-welcome-email", payload={"email": "a@example.com"}, tags=["signup"])
    assert run.status == "QUEUED"
    trigger_emulator.advance(minutes=10)
    assert trigger_emulator.run(run.id).status == "EXPIRED"
''')
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_fresh_state_env_vars_and_defaults(suite):
    suite.makepyfile(test_env='''
import os
from app import signup

def test_one(trigger_emulator):
    assert os.environ["TRIGGER_API_URL"] == trigger_emulator.base_url == "https://api.trigger.dev"
    assert os.environ["TRIGGER_SECRET_KEY"] == trigger_emulator.secret_key
    assert trigger_emulator.secret_key.startswith("tr_dev_")
    signup("a@b.c")
    assert len(trigger_emulator.runs()) == 1

def test_two_sees_nothing_from_test_one(trigger_emulator):
    assert trigger_emulator.runs() == []
    signup("x@y.z")
    assert [r.payload for r in trigger_emulator.runs("send-welcome-email")] == [{"email": "x@y.z"}]
''')
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_async_pytest_asyncio_and_anyio(suite):
    suite.makepyfile(test_async='''
import pytest
from app import signup_async

async def test_asyncio(trigger_emulator):
    run_id = await signup_async("a@b.c")
    assert trigger_emulator.run(run_id).payload == {"email": "a@b.c"}

@pytest.mark.anyio
async def test_anyio(trigger_emulator):
    run_id = await signup_async("d@e.f")
    trigger_emulator.assert_triggered("send-welcome-email", payload={"email": "d@e.f"}, times=1)

@pytest.fixture
def anyio_backend():
    return "asyncio"
''')
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_starlette_app_and_requests(suite):
    suite.makepyfile(test_web='''
import os

import httpx
import requests
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient


async def signup(request):
    body = await request.json()
    async with httpx.AsyncClient(base_url=os.environ["TRIGGER_API_URL"]) as trigger:
        r = await trigger.post("/api/v1/tasks/welcome/trigger",
                               headers={"Authorization": f"Bearer {os.environ['TRIGGER_SECRET_KEY']}"},
                               json={"payload": body, "options": {"delay": "1h"}})
    return JSONResponse({"run": r.json()["id"]})

app = Starlette(routes=[Route("/signup", signup, methods=["POST"])])


def test_web_app(trigger_emulator):
    client = TestClient(app)
    run_id = client.post("/signup", json={"email": "a@b.c"}).json()["run"]
    run = trigger_emulator.assert_triggered("welcome", payload={"email": "a@b.c"}, status="DELAYED")
    assert run.id == run_id
    trigger_emulator.advance(hours=1)
    assert trigger_emulator.run(run_id).status == "QUEUED"


def test_requests_like_the_public_docs(trigger_emulator):
    r = requests.post("https://api.trigger.dev/api/v1/tasks/report/trigger",
                      headers={"Authorization": f"Bearer {os.environ['TRIGGER_SECRET_KEY']}"},
                      json={"payload": {"month": 5}})
    assert r.status_code == 200
    trigger_emulator.assert_triggered("report", payload={"month": 5})
''')
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_assertion_failure_messages_read_like_a_diff(suite):
    suite.makepyfile(test_fail='''
from unittest.mock import ANY
from app import signup

def test_wrong_payload(trigger_emulator):
    signup("a@example.com")
    trigger_emulator.assert_triggered("send-welcome-email", payload={"email": "b@example.com"})

def test_wrong_count(trigger_emulator):
    signup("a@example.com")
    signup("b@example.com")
    trigger_emulator.assert_triggered("send-welcome-email", payload={"email": ANY}, times=1)

def test_nothing(trigger_emulator):
    trigger_emulator.assert_triggered("send-welcome-email")

def test_not_triggered(trigger_emulator):
    signup("a@example.com")
    trigger_emulator.assert_not_triggered("send-welcome-email")

def test_any_at_depth_and_unordered_tags(trigger_emulator):
    signup("a@example.com")
    trigger_emulator.assert_triggered("send-welcome-email", payload={"email": ANY}, tags=["signup"], times=1)
''')
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=4, passed=1)
    result.stdout.fnmatch_lines([
        "*Expected a run of 'send-welcome-email' with payload={'email': 'b@example.com'}.",
        "*Triggered instead (closest first):",
        "*task='send-welcome-email'  status=QUEUED*",
        "*payload: (- expected, + actual)",
        "*- {'email': 'b@example.com'}",
        "*+ {'email': 'a@example.com'}",
    ])
    result.stdout.fnmatch_lines(["*Expected exactly 1 run(s) of 'send-welcome-email' with payload={'email': <ANY>}, found 2.*"])
    result.stdout.fnmatch_lines(["*Nothing was triggered.*"])
    result.stdout.fnmatch_lines(["*Expected no run of 'send-welcome-email', but 1 was triggered:*"])


def test_outcomes_handlers_and_retries(suite):
    suite.makepyfile(test_handlers='''
import httpx, os
from app import signup

def test_handlers(trigger_emulator):
    calls = []

    @trigger_emulator.task("send-welcome-email")
    def send(payload):
        calls.append(payload["email"])
        if len(calls) < 3:
            raise RuntimeError("smtp down")
        return {"sent": True}

    run_id = httpx.post("https://api.trigger.dev/api/v1/tasks/send-welcome-email/trigger",
                        headers={"Authorization": "Bearer " + trigger_emulator.secret_key},
                        json={"payload": {"email": "a@b.c"}, "options": {"maxAttempts": 3}}).json()["id"]
    done = trigger_emulator.execute()
    assert [r.id for r in done] == [run_id]
    run = trigger_emulator.run(run_id)
    assert (run.status, run.output, run.attempt_count) == ("COMPLETED", {"sent": True}, 3)

def test_failing_handler_records_the_error(trigger_emulator):
    @trigger_emulator.task("send-welcome-email")
    async def send(payload, run):
        raise ValueError(f"bad address {payload['email']} in {run.id}")

    run_id = signup("x@y.z")
    trigger_emulator.execute()
    run = trigger_emulator.run(run_id)
    assert run.status == "FAILED" and run.error["name"] == "ValueError"
    assert run.error["message"] == f"bad address x@y.z in {run_id}"

def test_manual_outcomes(trigger_emulator):
    a, b, c = signup("a"), signup("b"), signup("c")
    assert trigger_emulator.start(a).status == "EXECUTING"
    assert trigger_emulator.complete(a, {"ok": 1}).output == {"ok": 1}
    assert trigger_emulator.fail(b, "nope").error["message"] == "nope"
    assert trigger_emulator.cancel(c).status == "CANCELED"
''')
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_markers_and_ini(suite):
    suite.makeini("[pytest]\ntrigger_emulator_environment = prod\nasyncio_default_fixture_loop_scope = function\n")
    suite.makepyfile(test_marks='''
import os
import httpx
import pytest
from app import signup

def test_ini_environment(trigger_emulator):
    assert trigger_emulator.secret_key.startswith("tr_prod_")
    run = trigger_emulator.run(signup("a"))
    assert run.ttl is None  # no dev default TTL outside development

@pytest.mark.trigger_emulator(environment="staging", strict_keys=True)
def test_marker_and_strict_keys(trigger_emulator):
    assert trigger_emulator.secret_key.startswith("tr_stg_")
    r = httpx.post("https://api.trigger.dev/api/v1/tasks/t/trigger", headers={"Authorization": "Bearer tr_dev_someoneelse"}, json={})
    assert r.status_code == 401

@pytest.mark.trigger_emulator(hosts=["trigger.internal.example:8443"])
def test_extra_hosts(trigger_emulator):
    r = httpx.post("https://trigger.internal.example:8443/api/v1/tasks/t/trigger",
                   headers={"Authorization": "Bearer " + trigger_emulator.secret_key}, json={})
    assert r.status_code == 200

@pytest.mark.trigger_emulator(auto_execute=True)
def test_auto_execute(trigger_emulator):
    trigger_emulator.task("send-welcome-email")(lambda payload: "done")
    run_id = signup("a")
    assert trigger_emulator.run(run_id).output == "done"

@pytest.mark.trigger_emulator(strict=True)
def test_strict_fails_unasserted_runs(trigger_emulator):
    signup("forgotten@example.com")
''')
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(["*1 triggered run(s) were never asserted:*", "*forgotten@example.com*"])


def test_other_hosts_pass_through_and_user_respx_routes_keep_working(suite):
    suite.makepyfile(test_respx='''
import httpx
from app import signup

def test_user_routes(trigger_emulator, respx_mock):
    respx_mock.get("https://billing.example/api/plan").respond(json={"plan": "pro"})
    assert httpx.get("https://billing.example/api/plan").json() == {"plan": "pro"}
    run_id = signup("a@b.c")
    assert trigger_emulator.run(run_id).status == "QUEUED"

def test_unmocked_hosts_reach_the_network_layer(trigger_emulator):
    try:
        httpx.get("http://127.0.0.1:9/nothing-listens-here", timeout=2)
    except httpx.ConnectError:
        pass  # passed through to a real socket
''')
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_test_without_the_fixture_is_not_answered_by_the_emulator(suite, monkeypatch):
    monkeypatch.setenv("TRIGGER_API_URL", "https://api.trigger.dev")
    monkeypatch.setenv("TRIGGER_SECRET_KEY", "tr_dev_notTheEmulatorsKey")
    suite.makepyfile(test_between='''
import httpx, pytest
from app import signup

def test_first(trigger_emulator):
    signup("a@b.c")
    trigger_emulator.assert_triggered("send-welcome-email")

def test_without_the_fixture(respx_mock):
    respx_mock.post(url__regex=r".*/trigger$").respond(json={"id": "run_from_respx"})
    assert signup("a@b.c") == "run_from_respx"  # the test's own route, not the emulator

def test_without_any_mock():
    with pytest.raises(httpx.ConnectError):
        httpx.post("http://127.0.0.1:9/api/v1/tasks/x/trigger", timeout=2)

def test_again(trigger_emulator):
    signup("d@e.f")
    assert [r.payload for r in trigger_emulator.runs()] == [{"email": "d@e.f"}]
    trigger_emulator.assert_triggered("send-welcome-email")
''')
    suite.runpytest("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(passed=4)


def test_server_fixture_serves_other_processes(suite):
    suite.makepyfile(test_server='''
import os, subprocess, sys
import httpx

def test_subprocess_client(trigger_emulator_server):
    assert trigger_emulator_server.url.startswith("http://127.0.0.1:")
    assert os.environ["TRIGGER_API_URL"] == trigger_emulator_server.url == trigger_emulator_server.base_url
    code = (
        "import os, httpx; r = httpx.post(os.environ['TRIGGER_API_URL'] + '/api/v1/tasks/remote/trigger',"
        " headers={'Authorization': 'Bearer ' + os.environ['TRIGGER_SECRET_KEY']}, json={'payload': 7}); print(r.json()['id'])"
    )
    run_id = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert trigger_emulator_server.run(run_id).payload == 7
    local = httpx.get(trigger_emulator_server.url + "/healthz")
    assert local.status_code == 200

def test_in_process_again(trigger_emulator):
    assert trigger_emulator.base_url == "https://api.trigger.dev"
''')
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_xdist_200_tests_no_leaks(suite):
    suite.makepyfile(test_many='''
import pytest
from app import signup

@pytest.mark.parametrize("n", range(200))
def test_isolated(trigger_emulator, n):
    assert trigger_emulator.runs() == []
    signup(f"user{n}@example.com")
    run = trigger_emulator.assert_triggered("send-welcome-email", payload={"email": f"user{n}@example.com"}, times=1)
    if n % 3 == 0:
        trigger_emulator.advance(minutes=10)
        assert trigger_emulator.run(run.id).status == "EXPIRED"
''')
    suite.runpytest_subprocess("-p", "no:cacheprovider", "-n", "4").assert_outcomes(passed=200)


def test_interception_outlives_another_library_patching_the_same_methods():
    """pytest-httpx patches httpx's transport and ``responses`` patches ``requests`` for one
    test; an emulator that first intercepts inside such a test must still intercept after that
    test's patch is undone, and leave httpx and requests as it found them when it closes."""
    import httpx
    import requests.adapters

    from trigger_emulator import LocalEmulator

    real_httpx, real_requests = httpx.HTTPTransport.handle_request, requests.adapters.HTTPAdapter.send

    def other_httpx(transport, request):
        return httpx.Response(200, json={"from": "other mock"})

    def other_requests(adapter, request, *args, **kwargs):
        response = requests.Response()
        response.status_code, response._content = 200, b'{"from": "other mock"}'
        return response

    with LocalEmulator() as emu:
        headers = {"Authorization": f"Bearer {emu.secret_key}"}
        trigger = "https://api.trigger.dev/api/v1/tasks/t/trigger"
        with pytest.MonkeyPatch.context() as other:  # the other library's test
            other.setattr(httpx.HTTPTransport, "handle_request", other_httpx)
            other.setattr(requests.adapters.HTTPAdapter, "send", other_requests)
            emu.intercept()
            assert httpx.post(trigger, headers=headers, json={}).json()["id"].startswith("run_")
            assert requests.post(trigger, headers=headers, json={}).json()["id"].startswith("run_")
            assert httpx.get("https://elsewhere.example/").json() == {"from": "other mock"}
            assert requests.get("https://elsewhere.example/").json() == {"from": "other mock"}
            emu.stop_intercepting()
        emu.intercept()  # the next test: the other patches are gone, ours is back in place
        assert httpx.post(trigger, headers=headers, json={}).json()["id"].startswith("run_")
        assert requests.post(trigger, headers=headers, json={}).json()["id"].startswith("run_")
        assert len(emu.runs()) == 4
        emu.stop_intercepting()
    assert httpx.HTTPTransport.handle_request is real_httpx
    assert requests.adapters.HTTPAdapter.send is real_requests
