import httpx


def post(emu, key, path="/api/v1/tasks/t/trigger", **kw):
    with emu.client() as c:
        headers = {} if key is None else {"Authorization": key}
        c.headers.pop("Authorization")
        return c.post(path, json={"payload": 1}, headers=headers, **kw)


def test_missing_header_is_the_rate_limit_middlewares_problem_json(emu):
    r = post(emu, None)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json; charset=utf-8"
    assert r.json() == {
        "title": "Unauthorized",
        "status": 401,
        "type": "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/401",
        "detail": "No authorization header provided",
        "error": "No authorization header provided",
    }


def test_empty_and_malformed_keys(emu):
    assert post(emu, "Bearer ").json() == {"error": "Invalid or Missing API key"}
    assert post(emu, "Bearer ").status_code == 401
    for bad in ("Bearer pk_dev_abc", "Bearer nonsense", "Bearer tr_live_abc", "Bearer tr_dev_"):
        r = post(emu, bad)
        assert (r.status_code, r.json()) == (401, {"error": "Invalid API key"}), bad


def test_every_environment_type_is_accepted(emu):
    for key in ("tr_dev_a1", "tr_stg_a1", "tr_prod_a1", "tr_dev_sk_abc"):
        assert post(emu, f"Bearer {key}").status_code == 200, key


def test_preview_keys_need_a_branch(emu):
    r = post(emu, "Bearer tr_preview_abc")
    assert (r.status_code, r.json()) == (401, {"error": "x-trigger-branch header required for preview env"})
    with emu.client(headers={"Authorization": "Bearer tr_preview_abc", "x-trigger-branch": "feat"}) as c:
        assert c.post("/api/v1/tasks/t/trigger", json={}).status_code == 200


def test_two_keys_never_see_each_others_runs(emu):
    with emu.client(headers={"Authorization": "Bearer tr_dev_alice"}) as alice, emu.client(
        headers={"Authorization": "Bearer tr_dev_bob"}
    ) as bob:
        run_id = alice.post("/api/v1/tasks/t/trigger", json={"options": {"idempotencyKey": "k"}}).json()["id"]
        assert alice.get(f"/api/v3/runs/{run_id}").status_code == 200
        missing = bob.get(f"/api/v3/runs/{run_id}")
        assert (missing.status_code, missing.json()) == (404, {"error": "Not found"})
        assert bob.post(f"/api/v2/runs/{run_id}/cancel").status_code == 404
        # the same idempotency key in another environment is independent
        other = bob.post("/api/v1/tasks/t/trigger", json={"options": {"idempotencyKey": "k"}}).json()
        assert other["id"] != run_id and other["isCached"] is False


def test_strict_keys_accept_only_configured_keys():
    from trigger_emulator import Config
    from trigger_emulator import LocalEmulator

    with LocalEmulator(Config(strict_keys=True, keys=["tr_dev_known"]), secret_key="tr_dev_known") as emu:
        assert post(emu, "Bearer tr_dev_known").status_code == 200
        r = post(emu, "Bearer tr_dev_unknown")
        assert (r.status_code, r.json()) == (401, {"error": "Invalid API key"})


def test_public_access_token_from_a_trigger_reads_its_run(emu, api):
    r = api.post("/api/v1/tasks/t/trigger", json={})
    token = r.headers["x-trigger-jwt"]
    with httpx.Client(transport=httpx.MockTransport(emu.handle), base_url=emu.base_url) as c:
        ok = c.get(f"/api/v3/runs/{r.json()['id']}", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        other = api.post("/api/v1/tasks/t/trigger", json={}).json()["id"]
        denied = c.get(f"/api/v3/runs/{other}", headers={"Authorization": f"Bearer {token}"})
        assert denied.status_code == 403
        assert denied.json() == {"error": "Unauthorized", "code": "unauthorized", "param": "access_token", "type": "authorization"}
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        bad = c.get(f"/api/v3/runs/{other}", headers={"Authorization": f"Bearer {forged}"})
        assert (bad.status_code, bad.json()) == (401, {"error": "Public Access Token is invalid"})


def test_minted_public_tokens_are_the_jwts_pyjwt_writes_and_reads(api):
    """The trigger's x-trigger-jwt is minted without PyJWT (it is on the hot path): it must be
    byte-identical to PyJWT's HS256 token for the same claims, and verify with PyJWT."""
    import warnings

    import jwt

    r = api.post("/api/v1/tasks/hello/trigger", json={"payload": {}})
    token = r.headers["x-trigger-jwt"]
    key = api.headers["authorization"].split(" ", 1)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        claims = jwt.decode(token, key, algorithms=["HS256"], audience="https://api.trigger.dev")
        assert jwt.encode(claims, key, algorithm="HS256") == token
    assert claims["scopes"][0] == f"read:runs:{r.json()['id']}" and claims["pub"] is True
