"""Environment variables over HTTP (management.md §4): every success shape and error row."""

import json

import pytest

from trigger_emulator import Config, LocalEmulator

BASE = "/api/v1/projects/proj_any/envvars/dev"


def test_list_starts_empty_and_shows_created_variables_in_order(api):
    assert api.get(BASE).json() == []
    assert api.post(BASE, json={"name": "B", "value": "2"}).json() == {"success": True}
    assert api.post(BASE, json={"name": "A", "value": "1", "isSecret": False}).json() == {"success": True}
    response = api.get(BASE)
    assert response.status_code == 200
    assert response.json() == [{"name": "B", "value": "2", "isSecret": False}, {"name": "A", "value": "1", "isSecret": False}]


def test_secret_values_are_redacted_and_isSecret_false_unsecrets(api):
    api.post(BASE, json={"name": "TOKEN", "value": "s3cret", "isSecret": True})
    assert api.get(BASE + "/TOKEN").json() == {"name": "TOKEN", "value": "<redacted>", "isSecret": True}
    api.post(BASE, json={"name": "TOKEN", "value": "other"})  # omitted flag keeps it secret
    assert api.get(BASE + "/TOKEN").json()["value"] == "<redacted>"
    api.post(BASE, json={"name": "TOKEN", "value": "other", "isSecret": False})
    assert api.get(BASE + "/TOKEN").json() == {"name": "TOKEN", "value": "other", "isSecret": False}


def test_create_is_an_upsert(api):
    api.post(BASE, json={"name": "A", "value": "1"})
    api.post(BASE, json={"name": "A", "value": "2"})
    assert api.get(BASE).json() == [{"name": "A", "value": "2", "isSecret": False}]


@pytest.mark.parametrize("body, issues", [
    ({"name": "A"}, [{"code": "invalid_type", "expected": "string", "received": "undefined", "path": ["value"], "message": "Required"}]),
    ({"name": 1, "value": "x", "isSecret": "yes"}, [
        {"code": "invalid_type", "expected": "string", "received": "number", "path": ["name"], "message": "Expected string, received number"},
        {"code": "invalid_type", "expected": "boolean", "received": "string", "path": ["isSecret"], "message": "Expected boolean, received string"}]),
    ([], [{"code": "invalid_type", "expected": "object", "received": "array", "path": [], "message": "Expected object, received array"}]),
    (None, [{"code": "invalid_type", "expected": "object", "received": "null", "path": [], "message": "Expected object, received null"}]),
])
def test_create_validation_issues_are_zods(api, body, issues):
    response = api.post(BASE, content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid request body", "issues": issues}


def test_create_not_json_is_a_400_not_a_500(api):
    response = api.post(BASE, content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json() == {"error": "Invalid request body"}


@pytest.mark.parametrize("body, error", [
    ({"name": "TRIGGER_SECRET_KEY", "value": "x"},
     "You must set at least one valid variable. All the variables submitted are not allowed."),
    ({"name": "A", "value": "   "}, "You must set at least one valid variable."),
    ({"name": " ", "value": "x"}, "You must set at least one valid variable."),
])
def test_create_refuses_reserved_and_blank(api, body, error):
    response = api.post(BASE, json=body)
    assert response.status_code == 400 and response.json() == {"error": error}
    assert api.get(BASE).json() == []


def test_retrieve_404_for_unknown_and_for_a_key_only_in_another_environment(emu, api):
    response = api.get(BASE + "/NOPE")
    assert response.status_code == 404 and response.json() == {"error": "Environment variable not found"}
    with emu.client(headers={"Authorization": "Bearer tr_prod_otherEnvironmentKey0001"}) as prod:
        prod.post(BASE, json={"name": "ONLY_PROD", "value": "p"})
        assert prod.get(BASE + "/ONLY_PROD").json()["value"] == "p"
    response = api.get(BASE + "/ONLY_PROD")
    assert response.status_code == 404 and response.json() == {"error": "Environment variable not found"}


def test_the_slug_is_ignored_for_secret_keys(api):
    """A dev key writing to /envvars/prod writes DEV variables (production's quirk)."""
    api.post("/api/v1/projects/p/envvars/prod", json={"name": "A", "value": "dev-value"})
    assert api.get("/api/v1/projects/p/envvars/staging").json() == [{"name": "A", "value": "dev-value", "isSecret": False}]


def test_update_replaces_keeps_the_secret_flag_and_ignores_blank(api):
    api.post(BASE, json={"name": "A", "value": "1", "isSecret": True})
    assert api.put(BASE + "/A", json={"value": "2"}).json() == {"success": True}
    assert api.get(BASE + "/A").json() == {"name": "A", "value": "<redacted>", "isSecret": True}
    api.post(BASE, json={"name": "B", "value": "1"})
    assert api.put(BASE + "/B", json={"value": "  "}).json() == {"success": True}
    assert api.get(BASE + "/B").json()["value"] == "1"  # a blank value writes nothing
    assert api.post(BASE + "/B", json={"value": "3"}).json() == {"success": True}  # POST = PUT
    assert api.get(BASE + "/B").json()["value"] == "3"


def test_update_errors(emu, api):
    response = api.put(BASE + "/MISSING", content=b"not even json")
    assert response.status_code == 404 and response.json() == {"error": "Environment variable not found"}
    api.post(BASE, json={"name": "A", "value": "1"})
    response = api.put(BASE + "/A", json={"value": 5})
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid request body", "issues": [
        {"code": "invalid_type", "expected": "string", "received": "number", "path": ["value"], "message": "Expected string, received number"}]}


def test_update_creates_a_value_for_a_key_set_elsewhere(emu, api):
    with emu.client(headers={"Authorization": "Bearer tr_prod_otherEnvironmentKey0001"}) as prod:
        prod.post(BASE, json={"name": "SHARED", "value": "p", "isSecret": True})
    assert api.put(BASE + "/SHARED", json={"value": "d"}).json() == {"success": True}
    assert api.get(BASE + "/SHARED").json() == {"name": "SHARED", "value": "d", "isSecret": False}


def test_delete_404_400_and_200(emu, api):
    response = api.delete(BASE + "/NOPE")
    assert response.status_code == 404 and response.json() == {"error": "Environment variable not found"}
    with emu.client(headers={"Authorization": "Bearer tr_prod_otherEnvironmentKey0001"}) as prod:
        prod.post(BASE, json={"name": "ONLY_PROD", "value": "p"})
        response = api.delete(BASE + "/ONLY_PROD")
        assert response.status_code == 400 and response.json() == {"error": "Environment variable value not found"}
        api.post(BASE, json={"name": "ONLY_PROD", "value": "d"})
        assert api.delete(BASE + "/ONLY_PROD").json() == {"success": True}
        assert api.get(BASE).json() == []
        assert prod.get(BASE + "/ONLY_PROD").json()["value"] == "p"  # the other value stays
        assert prod.delete(BASE + "/ONLY_PROD").json() == {"success": True}
    assert api.delete(BASE + "/ONLY_PROD").status_code == 404  # gone from the project


def test_import_with_and_without_override(api):
    body = {"variables": {"A": "1", "B": "2"}}
    assert api.post(BASE + "/import", json=body).json() == {"success": True}
    response = api.post(BASE + "/import", json={"variables": {"A": "9", "C": "3"}})
    assert response.status_code == 400
    assert response.json() == {
        "error": "Some of the variables are already set for these environments. Set override to true to override them.",
        "variableErrors": [{"key": "A", "error": "Variable already set in Development."}],
    }
    assert [v["name"] for v in api.get(BASE).json()] == ["A", "B"]  # nothing written
    assert api.post(BASE + "/import", json={"variables": {"A": "9", "C": "3"}, "override": True, "isSecret": True}).json() == {"success": True}
    assert api.get(BASE).json() == [
        {"name": "A", "value": "<redacted>", "isSecret": True}, {"name": "B", "value": "2", "isSecret": False},
        {"name": "C", "value": "<redacted>", "isSecret": True}]


@pytest.mark.parametrize("body", [{}, {"variables": {"A": 1}}, {"variables": {}, "override": "yes"}, [], "x",
                                  {"variables": {"A": "1"}, "source": {"type": "robot"}}])
def test_import_bad_bodies_are_a_bare_invalid_body(api, body):
    response = api.post(BASE + "/import", json=body)
    assert response.status_code == 400 and response.json() == {"error": "Invalid body"}


def test_import_of_nothing_valid(api):
    response = api.post(BASE + "/import", json={"variables": {"TRIGGER_API_URL": "x", "E": ""}})
    assert response.status_code == 400
    assert response.json() == {"error": "You must set at least one valid variable. All the variables submitted are not allowed."}
    response = api.post(BASE + "/import", json={"variables": {}})
    assert response.json() == {"error": "You must set at least one valid variable."}


def test_keys_with_a_colon_are_listed_cut_and_cannot_be_retrieved(api):
    api.post(BASE, json={"name": "A:B", "value": "1"})
    assert api.get(BASE).json() == [{"name": "A", "value": "1", "isSecret": False}]
    assert api.get(BASE + "/A:B").status_code == 404


@pytest.mark.parametrize("header, error", [
    ("Bearer ", "Invalid or Missing API key"),
    ("Bearer tr_dev_", "Invalid API key"),
    ("Bearer nonsense", "Invalid API key"),
])
def test_auth_errors(emu, header, error):
    with emu.client(headers={"Authorization": header}) as client:
        response = client.get(BASE)
    assert response.status_code == 401 and response.json() == {"error": error}


def test_no_authorization_header_is_the_limiters_problem_json(emu):
    with emu.client() as client:
        del client.headers["Authorization"]
        response = client.get(BASE)
    assert response.status_code == 401 and response.headers["content-type"].startswith("application/problem+json")


def test_a_configured_project_ref_is_enforced():
    with LocalEmulator(Config(project_ref="proj_mine")) as emu, emu.client() as api:
        assert api.get("/api/v1/projects/proj_mine/envvars/dev").json() == []
        response = api.get("/api/v1/projects/proj_other/envvars/dev")
        assert response.status_code == 400
        assert response.json() == {"error": "Invalid project ref for this API key. Make sure you are using an API key associated with that project."}


def test_import_get_is_405(api):
    response = api.get(BASE + "/import")
    assert response.status_code == 405 and response.json() == {"error": "Method not allowed"}
