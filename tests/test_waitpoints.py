"""Waitpoint tokens over HTTP (management.md §5): create, retrieve, list, complete, the callback
URL and timeouts on the emulator clock."""

import json
from datetime import timedelta
from urllib.parse import urlparse

import jwt
import pytest

TOKENS = "/api/v1/waitpoints/tokens"


def create(api, **body):
    response = api.post(TOKENS, json=body)
    assert response.status_code == 200, response.text
    return response


def test_create_answers_id_url_and_a_24h_scoped_token(emu, api):
    response = create(api)
    body = response.json()
    assert list(body) == ["id", "isCached", "url"]
    assert body["id"].startswith("waitpoint_c") and len(body["id"]) == len("waitpoint_") + 25
    assert body["isCached"] is False
    assert urlparse(body["url"]).path.startswith(f"{TOKENS}/{body['id']}/callback/")
    assert len(body["url"].rsplit("/", 1)[1]) == 64
    claims = jwt.decode(response.headers["x-trigger-jwt"], emu.secret_key, algorithms=["HS256"],
                        audience="https://api.trigger.dev")
    assert claims["scopes"] == [f"write:waitpoints:{body['id']}"] and claims["pub"] is True
    assert claims["exp"] - claims["iat"] == 86_400
    header = json.loads(response.headers["x-trigger-jwt-claims"])
    assert header["pub"] is True and list(header) == ["sub", "pub"]


def test_retrieve_shape_of_a_fresh_token(api):
    created = create(api, tags=["b", "A"]).json()
    body = api.get(f"{TOKENS}/{created['id']}").json()
    assert list(body) == ["id", "type", "url", "status", "idempotencyKey", "userProvidedIdempotencyKey",
                          "outputType", "outputIsError", "createdAt", "tags"]
    assert body["type"] == "MANUAL" and body["status"] == "WAITING" and body["url"] == created["url"]
    assert len(body["idempotencyKey"]) == 24 and body["userProvidedIdempotencyKey"] is False
    assert body["outputType"] == "application/json" and body["outputIsError"] is False
    assert body["tags"] == ["b", "A"]  # as stored
    assert api.get(f"{TOKENS}/{created['id'][len('waitpoint_'):]}").json()["id"] == created["id"]  # bare id


def test_missing_token_is_a_404_not_production_500(api):
    response = api.get(f"{TOKENS}/waitpoint_cnothere0000000000000000")
    assert response.status_code == 404 and response.json() == {"error": "Waitpoint not found"}


def test_idempotent_create_returns_the_same_token_whatever_its_status(api):
    first = create(api, idempotencyKey="ik").json()
    assert api.post(f"{TOKENS}/{first['id']}/complete", json={"data": 1}).json() == {"success": True}
    again = create(api, idempotencyKey="ik", timeout="1h").json()
    assert again["id"] == first["id"] and again["isCached"] is True
    assert "timeoutAt" not in api.get(f"{TOKENS}/{first['id']}").json()


def test_an_expired_key_is_retired_and_a_new_token_made(emu, api):
    first = create(api, idempotencyKey="ik", idempotencyKeyTTL="10s").json()
    assert create(api, idempotencyKey="ik").json()["isCached"] is True
    emu.advance(seconds=11)
    second = create(api, idempotencyKey="ik").json()
    assert second["id"] != first["id"] and second["isCached"] is False
    old = api.get(f"{TOKENS}/{first['id']}").json()
    assert old["inactiveIdempotencyKey"] == "ik" and old["idempotencyKey"] != "ik"
    listed = {t["id"]: t for t in api.get(TOKENS, params={"filter[idempotencyKey]": "ik"}).json()["data"]}
    assert set(listed) == {first["id"], second["id"]}
    assert listed[first["id"]]["idempotencyKey"] == "ik"  # the list shows the inactive key


def test_ttl_other_than_smhd_means_no_expiry(emu, api):
    first = create(api, idempotencyKey="w", idempotencyKeyTTL="1w").json()
    assert "idempotencyKeyExpiresAt" not in api.get(f"{TOKENS}/{first['id']}").json()
    emu.advance(days=30)
    assert create(api, idempotencyKey="w").json()["id"] == first["id"]


def test_timeout_fires_on_the_emulator_clock(emu, api):
    created = create(api, timeout="1h").json()
    token = api.get(f"{TOKENS}/{created['id']}").json()
    now = emu.now()
    assert token["status"] == "WAITING" and token["timeoutAt"] == token["completedAfter"]
    emu.advance(minutes=59)
    assert api.get(f"{TOKENS}/{created['id']}").json()["status"] == "WAITING"
    emu.advance(minutes=2)
    token = api.get(f"{TOKENS}/{created['id']}").json()
    assert token["status"] == "TIMED_OUT" and token["outputIsError"] is True
    assert token["completedAt"] == token["timeoutAt"]
    assert json.loads(token["output"]) == {"code": "TRIGGER_WAITPOINT_TIMEOUT",
                                           "message": f"Waitpoint timed out at {token['timeoutAt']}"}
    assert token["outputType"] == "application/json"
    assert abs((emu.now() - now) - timedelta(hours=1, minutes=1)) < timedelta(seconds=1)
    # a completion after the timeout changes nothing
    assert api.post(f"{TOKENS}/{created['id']}/complete", json={"data": 1}).json() == {"success": True}
    assert api.get(f"{TOKENS}/{created['id']}").json()["status"] == "TIMED_OUT"


@pytest.mark.parametrize("timeout, waits", [("2025-01-01T00:00:00Z", False), ("soon", False), (5, True), ("30s", True)])
def test_timeout_parsing(emu, api, timeout, waits):
    created = create(api, timeout=timeout).json()
    token = api.get(f"{TOKENS}/{created['id']}").json()
    if timeout == 5:  # a JSON number is a Date in 1970: it times out at once
        assert token["status"] == "TIMED_OUT" and token["timeoutAt"] == "1970-01-01T00:00:00.005Z"
    elif waits:
        assert token["status"] == "WAITING" and "timeoutAt" in token
    else:  # a past date or junk: no timeout at all
        assert token["status"] == "WAITING" and "timeoutAt" not in token


def test_complete_with_data_then_again_is_a_no_op(api):
    created = create(api).json()
    assert api.post(f"{TOKENS}/{created['id']}/complete", json={"data": {"ok": True}}).json() == {"success": True}
    token = api.get(f"{TOKENS}/{created['id']}").json()
    assert token["status"] == "COMPLETED" and token["output"] == '{"json":{"ok":true}}'
    assert token["outputType"] == "application/super+json" and "completedAt" in token
    api.post(f"{TOKENS}/{created['id']}/complete", json={"data": "other"})
    assert api.get(f"{TOKENS}/{created['id']}").json()["output"] == '{"json":{"ok":true}}'


@pytest.mark.parametrize("body, output, output_type", [
    ({}, None, "application/json"),
    ({"data": "text"}, "text", "text/plain"),
    ({"data": None}, '{"json":null}', "application/super+json"),
    ({"data": [1, 2]}, '{"json":[1,2]}', "application/super+json"),
    ({"data": ""}, None, "application/json"),
])
def test_complete_outputs(api, body, output, output_type):
    created = create(api).json()
    api.post(f"{TOKENS}/{created['id']}/complete", json=body)
    token = api.get(f"{TOKENS}/{created['id']}").json()
    assert token["status"] == "COMPLETED" and token.get("output") == output and token["outputType"] == output_type


def test_complete_errors(emu, api):
    response = api.post(f"{TOKENS}/waitpoint_cnothere0000000000000000/complete", json={})
    assert response.status_code == 404 and response.json() == {"error": "Waitpoint not found"}
    created = create(api).json()
    response = api.post(f"{TOKENS}/{created['id']}/complete", content=b"")
    assert response.status_code == 400 and response.json() == {"error": "Request body is empty"}
    response = api.get(f"{TOKENS}/{created['id']}/complete")
    assert response.status_code == 405 and response.content == b""
    with emu.client(headers={"Authorization": "Bearer tr_prod_someOtherEnvironment01"}) as other:
        response = other.post(f"{TOKENS}/{created['id']}/complete", json={})
    assert response.status_code == 404  # another environment's token


def test_complete_with_the_public_token_from_create(emu, api):
    response = create(api)
    token_id, jwt_token = response.json()["id"], response.headers["x-trigger-jwt"]
    other = create(api).json()["id"]
    with emu.client(headers={"Authorization": f"Bearer {jwt_token}", "Origin": "https://app.example"}) as browser:
        denied = browser.post(f"{TOKENS}/{other}/complete", json={})
        assert denied.status_code == 403 and denied.json()["code"] == "unauthorized"
        allowed = browser.post(f"{TOKENS}/{token_id}/complete", json={"data": 1})
        assert allowed.json() == {"success": True}
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert browser.get(f"{TOKENS}/{token_id}").status_code == 401  # retrieve takes secret keys only


def test_callback_url_completes_without_auth(emu, api):
    created = create(api).json()
    with emu.client() as anonymous:
        del anonymous.headers["Authorization"]
        response = anonymous.post(created["url"], json={"paid": True})
    assert response.status_code == 200 and response.json() == {"success": True}
    token = api.get(f"{TOKENS}/{created['id']}").json()
    assert token["status"] == "COMPLETED" and token["output"] == '{"json":{"paid":true}}'


def test_callback_errors(emu, api):
    created = create(api).json()
    path = urlparse(created["url"]).path
    with emu.client() as anonymous:
        del anonymous.headers["Authorization"]
        response = anonymous.get(path)
        assert response.status_code == 405 and response.json() == {"error": "Method not allowed"}
        assert response.headers["allow"] == "POST"
        wrong = path[:-1] + ("0" if path[-1] != "0" else "1")
        response = anonymous.post(wrong, json={})
        assert response.status_code == 401 and response.json() == {"error": "Invalid URL, hash doesn't match"}
        response = anonymous.post(path[:-64] + "z" * 64, json={})
        assert response.status_code == 401  # production: a 500 from timingSafeEqual
        response = anonymous.post(f"{TOKENS}/waitpoint_cnothere0000000000000000/callback/{'a' * 64}", json={})
        assert response.status_code == 404 and response.json() == {"error": "Waitpoint not found"}
        response = anonymous.post(path, content=b"x" * 10, headers={"content-length": "99999999"})
        assert response.status_code == 413 and response.json() == {"error": "Request body too large"}
        response = anonymous.post(path, content=b"not json")
        assert response.json() == {"success": True}
    assert api.get(f"{TOKENS}/{created['id']}").json()["output"] == '{"json":{}}'


def test_callback_without_content_length_is_411(emu, api):
    from trigger_emulator.local.loop import asgi_call

    created = create(api).json()
    path = urlparse(created["url"]).path
    status, _, body = emu._call(asgi_call(emu.app, "POST", "http://x" + path, [], b""))
    assert status == 411 and json.loads(body) == {"error": "Content-Length header is required"}


def test_create_validation(api):
    response = api.post(TOKENS, json={"tags": ["x" * 129]})
    assert response.status_code == 400
    assert response.json() == {"error": 'Validation error: Tags must be less than 128 characters at "tags[0]"'}
    response = api.post(TOKENS, json={"idempotencyKey": 5})
    assert response.json() == {"error": 'Validation error: Expected string, received number at "idempotencyKey"'}
    response = api.post(TOKENS, json={"idempotencyKey": "k" * 2049})
    assert response.json() == {"error": 'Validation error: idempotencyKey must be 2048 characters or less at "idempotencyKey"'}
    response = api.post(TOKENS, json={"tags": [f"t{i}" for i in range(11)]})
    assert response.status_code == 422
    assert response.json() == {"error": "Waitpoints can only have 10 tags, you're trying to set 11."}
    response = api.post(TOKENS, content=b"")
    assert response.status_code == 400 and response.json() == {"error": "Request body is empty"}
    response = api.post(TOKENS, content=b"x" * 10_241, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json() == {"error": "Request body too large"}
    response = api.put(TOKENS, json={})
    assert response.status_code == 405


def test_list_filters_order_and_pagination(emu, api):
    made = [create(api, tags=[f"t{i % 2}", "all"], idempotencyKey=f"k{i}").json()["id"] for i in range(5)]
    plain = create(api).json()["id"]
    api.post(f"{TOKENS}/{made[0]}/complete", json={"data": 1})
    timed = create(api, timeout=1).json()["id"]
    page = api.get(TOKENS).json()
    ids = [t["id"] for t in page["data"]]
    assert ids == [timed, plain, *reversed(made)] and page["pagination"] == {}
    item = page["data"][-1]
    assert list(item) == ["id", "url", "status", "completedAt", "idempotencyKey", "tags", "createdAt"]
    assert item["tags"] == ["all", "t0"] and item["idempotencyKey"] == "k0"
    assert "idempotencyKey" not in page["data"][1]  # a random key is hidden in lists

    def ids_of(**params):
        return [t["id"] for t in api.get(TOKENS, params=params).json()["data"]]

    assert ids_of(**{"filter[status]": "COMPLETED"}) == [made[0]]
    assert ids_of(**{"filter[status]": "TIMED_OUT"}) == [timed]
    assert set(ids_of(**{"filter[status]": "WAITING,TIMED_OUT"})) == {timed, plain, made[0], *made[1:]}  # over-matches
    assert ids_of(**{"filter[tags]": "t1"}) == [made[3], made[1]]
    assert ids_of(**{"filter[idempotencyKey]": "k2"}) == [made[2]]
    first = api.get(TOKENS, params={"page[size]": 3}).json()
    assert [t["id"] for t in first["data"]] == [timed, plain, made[4]] and "previous" not in first["pagination"]
    second = api.get(TOKENS, params={"page[size]": 3, "page[after]": first["pagination"]["next"]}).json()
    assert [t["id"] for t in second["data"]] == [made[3], made[2], made[1]]
    assert second["pagination"]["previous"] == made[3][len("waitpoint_"):]
    back = api.get(TOKENS, params={"page[size]": 3, "page[before]": second["pagination"]["previous"]}).json()
    assert [t["id"] for t in back["data"]] == [timed, plain, made[4]]
    emu.advance(days=2)
    newer = create(api).json()["id"]
    assert ids_of(**{"filter[createdAt][period]": "1d"}) == [newer]


@pytest.mark.parametrize("params, details", [
    ({"filter[status]": "WAITING,FOO"}, [{"code": "custom", "message": "Invalid status values: FOO", "path": ["filter[status]"]}]),
    ({"page[size]": "101"}, [{"code": "too_big", "maximum": 100, "type": "number", "inclusive": True, "exact": False,
                              "message": "Number must be less than or equal to 100", "path": ["page[size]"]}]),
    ({"page[size]": "abc"}, [{"code": "invalid_type", "expected": "number", "received": "nan", "path": ["page[size]"],
                              "message": "Expected number, received nan"}]),
    ({"filter[createdAt][from]": "not a date"}, [{"code": "invalid_date", "message": "Invalid date", "path": ["filter[createdAt][from]"]}]),
])
def test_list_query_errors(api, params, details):
    response = api.get(TOKENS, params=params)
    assert response.status_code == 400 and response.json() == {"error": "Query Error", "details": details}


def test_legacy_auth_strings(emu):
    with emu.client(headers={"Authorization": "Bearer "}) as client:
        response = client.get(TOKENS)
    assert response.status_code == 401 and response.json() == {"error": "Invalid or Missing API key"}
    with emu.client(headers={"Authorization": "Bearer tr_bogus"}) as client:
        response = client.post(TOKENS, json={})
    assert response.status_code == 401 and response.json() == {"error": "Invalid API key"}


def test_callback_on_a_completed_token_changes_nothing(emu, api):
    created = create(api).json()
    api.post(f"{TOKENS}/{created['id']}/complete", json={"data": "first"})
    with emu.client() as anonymous:
        del anonymous.headers["Authorization"]
        response = anonymous.post(created["url"], json={"second": True})
    assert response.status_code == 200 and response.json() == {"success": True}
    assert api.get(f"{TOKENS}/{created['id']}").json()["output"] == "first"


def test_complete_answers_a_cors_preflight(api):
    created = create(api).json()
    response = api.options(f"{TOKENS}/{created['id']}/complete", headers={"Origin": "https://app.example"})
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["access-control-allow-origin"] == "https://app.example"
