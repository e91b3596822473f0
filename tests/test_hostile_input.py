"""A hypothesis barrage of hostile input at every route: the public API, the control API,
the packet object store and the dashboard's forms. Strings carry lone surrogates and NULs,
numbers are huge or past every range, JSON nests past every limit, cursors and tokens are
forged. Runs of every kind are made first; the barrage must get no 5xx answer (and, in
process, no exception), and afterwards every one of those runs still retrieves, lists and
renders (issue #14)."""

import base64
import json
import os
from urllib.parse import quote

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trigger_emulator import Config, LocalEmulator
from trigger_emulator.core import tokens

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")
# Per route family; 19 families, several requests each: well over 300 requests. More with
# HOSTILE_EXAMPLES=300 (what was run before each commit touching input handling).
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "30"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

# -- strategies ---------------------------------------------------------------------------
SPECIAL_TEXT = [
    "\ud83d", "\udc00", "a\ud800b", "\ud83d\ude00", "\x00", "a\x00b", "\ufeff", "💥", "%00", "../..", "a/../b",
    "\r\n", " ", "", "x" * 3000, "<script>alert(1)</script>", "'; DROP TABLE runs;--", "__proto__", "$.a.b[0]",
    "$.__proto__.x", "1h", "9999999999w", "0s", "+275760-09-13T00:00:00.000Z", "-271821-04-20T00:00:00.000Z",
    "2001-01-01", "99999-01-01", "application/store", "text/plain", "application/super+json", "micro", "run_x",
    "batch_x", "tr_dev_x", "read:runs", "*", "NaN", "Infinity", "1e999",
]
HUGE_NUMBERS = [
    1e306, -1e306, 1.7976931348623157e308, 2**63, -(2**63), 2**64, 10**30, -(10**30), 8.64e15, -8.64e15,
    8_640_000_000_000_001, 2.6e14, 2147483648, -2147483649, 0, -1, 0.5, -0.0, 1e-300, 5e-324, 10**400,
]

text = st.one_of(st.sampled_from(SPECIAL_TEXT), st.text(st.characters(exclude_categories=()), max_size=12))
number = st.one_of(st.sampled_from(HUGE_NUMBERS), st.integers(), st.floats(allow_nan=False, allow_infinity=False))
leaf = st.one_of(text, number, st.booleans(), st.none())
value = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=12)
DEEP = "__DEEP_{}__"
deep = st.sampled_from([254, 255, 300, 510, 511, 512, 513, 600, 5_000, 20_000]).map(DEEP.format)
anything = st.one_of(value, deep)


def nested(depth: int) -> str:
    return '{"n":' * (depth // 2) + "[" * (depth - depth // 2) + "1" + "]" * (depth - depth // 2) + "}" * (depth // 2)


def encode(body) -> bytes:
    """JSON text as a hostile client writes it: lone surrogates and NUL as escapes, ``DEEP``
    placeholders replaced by JSON nested that deep, numbers past a double kept verbatim."""
    out = json.dumps(body)
    for depth in (254, 255, 300, 510, 511, 512, 513, 600, 5_000, 20_000):
        out = out.replace(json.dumps(DEEP.format(depth)), nested(depth))
    return out.encode()


OPTION_NAMES = [
    "payloadType", "payloadSize", "idempotencyKey", "idempotencyKeyTTL", "delay", "ttl", "tags", "metadata",
    "metadataType", "concurrencyKey", "machine", "maxAttempts", "maxDuration", "priority", "test", "region",
    "lockToVersion", "parentRunId", "resumeParentOnCompletion", "parentBatch", "bulkActionId",
]
options = st.fixed_dictionaries({}, optional={
    **{name: anything for name in OPTION_NAMES},
    "tags": st.one_of(text, st.lists(text, max_size=12), anything),
    "idempotencyKeyOptions": st.fixed_dictionaries({"key": st.one_of(text, anything), "scope": st.sampled_from(["run", "global", "x"])}),
    "debounce": st.fixed_dictionaries({"key": text, "delay": st.one_of(text, anything)},
                                      optional={"mode": text, "maxDelay": text}),
    "queue": st.fixed_dictionaries({"name": st.one_of(text, anything)}, optional={"concurrencyLimit": number}),
})
trigger_body = st.one_of(
    st.fixed_dictionaries({}, optional={"payload": anything, "options": options, "context": anything}),
    anything,
)
query = st.dictionaries(st.sampled_from([
    "page[size]", "page[after]", "page[before]", "filter[status]", "filter[taskIdentifier]", "filter[tag]",
    "filter[createdAt][from]", "filter[createdAt][to]", "filter[createdAt][period]", "filter[machine]",
    "filter[isTest]", "filter[batch]", "filter[version]", "filter[queue]", "filter[env]", "env", "task",
    "status", "tag", "partial", "message",
]), st.one_of(text, number.map(str)), max_size=5)
forged_cursor = st.fixed_dictionaries({"c": st.one_of(number, text, st.none()), "r": st.one_of(text, number)}).map(
    lambda c: base64.urlsafe_b64encode(json.dumps(c).encode()).decode().rstrip("="))
path_part = st.one_of(st.sampled_from(["run_x", "batch_x", "%00", "%ff%fe", "x" * 500, "a%2Fb", "..", "%2e%2e", "%F0%9F%92%A5"]),
                      st.text("abcxyz_-.%0123456789", max_size=20))


# -- the emulator and the runs that must stay readable -------------------------------------
@pytest.fixture(scope="module")
def world():
    with LocalEmulator(Config(batch_rate_limit=None, realtime_poll_timeout=0, realtime_stream_timeout=0)) as emu:
        api = emu.client()
        runs = {
            "queued": api.post("/api/v1/tasks/t/trigger", json={"payload": {"a": "é😀"}, "options": {"tags": ["x", "y"]}}),
            "delayed": api.post("/api/v1/tasks/t/trigger", json={"options": {"delay": "30d", "ttl": "90d"}}),
            "meta": api.post("/api/v1/tasks/m/trigger", json={"options": {"metadata": {"k": [1, {"z": None}]}}}),
            "keyed": api.post("/api/v1/tasks/k/trigger", json={"options": {"idempotencyKey": "seed-key"}}),
            "done": api.post("/api/v1/tasks/d/trigger", json={"payload": "text", "options": {"payloadType": "text/plain"}}),
            "failed": api.post("/api/v1/tasks/f/trigger", json={}),
        }
        ids = {name: r.json()["id"] for name, r in runs.items()}
        api.post(f"/__emulator/runs/{ids['done']}/complete", json={"output": {"ok": True}})
        api.post(f"/__emulator/runs/{ids['failed']}/fail", json={"error": {"message": "boom"}})
        batch = api.post("/api/v1/tasks/batch", json={"items": [{"task": "b", "payload": i} for i in range(3)]}).json()
        ids.update({f"batch{i}": run["id"] for i, run in enumerate(batch["runs"])})
        v3 = api.post("/api/v3/batches", json={"runCount": 2}).json()["id"]
        api.post(f"/api/v3/batches/{v3}/items", content=b'{"index":0,"task":"v"}\n',
                 headers={"content-type": "application/x-ndjson"})
        token = runs["queued"].headers["x-trigger-jwt"]
        env_id = json.loads(runs["queued"].headers["x-trigger-jwt-claims"])["sub"]
        yield {"emu": emu, "api": api, "ids": ids, "batches": [batch["id"], v3], "token": token, "env_id": env_id,
               "sent": 0, "families": set()}
        api.close()


def query_string(params) -> str:
    """Percent-encoded as a hostile client may: a lone surrogate becomes the bytes of its
    UTF-8-ish ``surrogatepass`` form, which is no valid UTF-8."""
    return "&".join(
        f"{quote(str(k).encode('utf-8', 'surrogatepass'), safe='')}={quote(str(v).encode('utf-8', 'surrogatepass'), safe='')}"
        for k, v in params.items()
    )


def call(world, method, path, content=None, headers=None, params=None, authorized=True):
    """One hostile request: never a 5xx, never an exception out of the app."""
    emu = world["emu"]
    world["sent"] += 1
    base = {"Authorization": f"Bearer {emu.secret_key}"} if authorized else {}
    if params:
        path = f"{path}?{query_string(params)}"
    with httpx.Client(transport=httpx.MockTransport(emu.handle), base_url=emu.base_url, headers=base) as client:
        r = client.request(method, path, content=content, headers=headers or {})
    assert r.status_code < 500, (method, path, content[:300] if content else None, r.status_code, r.text[:300])
    kind = r.headers.get("content-type", "")
    if kind.startswith(("application/json", "text/")):
        r.content.decode("utf-8")  # every text answer is valid UTF-8 (stored objects are bytes)
    if kind.startswith("application/json") and r.content:
        json.loads(r.content)
    return r


def still_readable(world):
    emu, api = world["emu"], world["api"]
    api.post("/__emulator/rate-limits", json={"api": "generous", "batch": None})
    api.delete("/__emulator/faults")
    listed: set[str] = set()
    params = {"page[size]": 100, "filter[createdAt][period]": "100000d"}
    for _ in range(200):  # every page, until the runs made first have all been listed
        page = api.get("/api/v1/runs", params=params).json()
        listed |= {r["id"] for r in page["data"]}
        after = page["pagination"].get("next")
        if after is None or set(world["ids"].values()) <= listed:
            break
        params = {**params, "page[after]": after}
    for run_id in world["ids"].values():
        assert api.get(f"/api/v3/runs/{run_id}").status_code == 200, run_id
        assert api.get(f"/runs/{run_id}").status_code == 200, run_id
    assert set(world["ids"].values()) <= listed
    for path in ("/", "/batches", "/test", "/schedules", "/waitpoints", "/queues", "/envvars",
                 *(f"/batches/{b}" for b in world["batches"])):
        assert api.get(path).status_code == 200, path
    for batch_id in world["batches"]:
        assert api.get(f"/api/v2/batches/{batch_id}").status_code == 200
    assert len(emu.runs()) >= len(world["ids"])


@pytest.fixture(autouse=True)
def readable_after(world, request):
    """After each route family's barrage (whichever worker ran it), the runs still read."""
    yield
    world["families"].add(request.node.name)
    still_readable(world)


JSON = {"content-type": "application/json"}


# -- the barrage, one test per route family -------------------------------------------------
@SETTINGS
@given(task=path_part, body=trigger_body, key=st.one_of(st.none(), st.text("abc", max_size=3)))
def test_trigger(world, task, body, key):
    headers = {**JSON, **({"idempotency-key": key} if key is not None else {})}
    call(world, "POST", f"/api/v1/tasks/{task}/trigger", encode(body), headers)


@SETTINGS
@given(items=st.lists(st.fixed_dictionaries({"task": st.one_of(text, anything)}, optional={"payload": anything, "options": options}), max_size=4),
       extra=st.fixed_dictionaries({}, optional={"parentRunId": anything, "resumeParentOnCompletion": anything}))
def test_v1_and_v2_batches(world, items, extra):
    for path in ("/api/v1/tasks/batch", "/api/v2/tasks/batch"):
        call(world, "POST", path, encode({"items": items, **extra}), JSON)
    call(world, "POST", "/api/v1/tasks/t/batch", encode({"items": [{"payload": i.get("payload"), "options": i.get("options", {})} for i in items]}), JSON)


@SETTINGS
@given(create=st.fixed_dictionaries({"runCount": st.one_of(st.integers(1, 3), anything)},
                                    optional={"idempotencyKey": anything, "taskIdentifiers": anything, "parentRunId": anything,
                                              "idempotencyKeyOptions": anything}),
       lines=st.lists(st.one_of(
           st.fixed_dictionaries({"index": st.one_of(st.integers(0, 3), anything), "task": st.one_of(text, anything)},
                                 optional={"payload": anything, "options": options}).map(lambda d: encode(d)),
           st.sampled_from([b"", b"\n" * 1000, b"{", b"\xff\xfe", b" " * 10, b"[" * 600]),
       ), max_size=4))
def test_v3_batches(world, create, lines):
    r = call(world, "POST", "/api/v3/batches", encode(create), JSON)
    batch_id = r.json().get("id", "batch_x") if r.status_code < 300 else "batch_x"
    call(world, "POST", f"/api/v3/batches/{batch_id}/items", b"\n".join(lines), {"content-type": "application/x-ndjson"})
    call(world, "GET", f"/api/v2/batches/{batch_id}")


@SETTINGS
@given(params=query, cursor=forged_cursor, which=st.sampled_from(["page[after]", "page[before]"]))
def test_lists_and_pages(world, params, cursor, which):
    call(world, "GET", "/api/v1/runs", params=params)
    call(world, "GET", "/api/v1/runs", params={which: cursor})
    call(world, "GET", "/api/v1/projects/proj_x/runs", params={**params, which: cursor})
    call(world, "GET", "/", params=params)


@SETTINGS
@given(target=st.sampled_from(["queued", "delayed", "done", "failed", "missing"]), delay=anything, body=anything)
def test_run_actions(world, target, delay, body):
    run_id = world["ids"].get(target, "run_missing")
    call(world, "POST", f"/api/v1/runs/{run_id}/reschedule", encode({"delay": delay}), JSON)
    call(world, "POST", f"/api/v1/runs/{run_id}/reschedule", encode(body), JSON)
    call(world, "POST", f"/api/v1/runs/{run_id}/replay", encode(body), JSON)
    call(world, "GET", f"/api/v3/runs/{run_id}")
    call(world, "GET", f"/api/v1/runs/{run_id}/result")


@SETTINGS
@given(target=st.sampled_from(["queued", "meta", "done", "missing"]), tags=anything, metadata=anything,
       operations=st.lists(st.fixed_dictionaries({"type": st.sampled_from(["update", "set", "delete", "append", "remove", "increment", "x"])},
                                                 optional={"key": st.one_of(text, anything), "value": anything}), max_size=4))
def test_tags_and_metadata(world, target, tags, metadata, operations):
    run_id = world["ids"].get(target, "run_missing")
    call(world, "POST", f"/api/v1/runs/{run_id}/tags", encode({"tags": tags}), JSON)
    call(world, "PUT", f"/api/v1/runs/{run_id}/metadata", encode({"metadata": metadata}), JSON)
    call(world, "PUT", f"/api/v1/runs/{run_id}/metadata",
         encode({"operations": operations, "parentOperations": operations, "rootOperations": operations}), JSON)
    call(world, "GET", f"/api/v1/runs/{run_id}/metadata")


@SETTINGS
@given(key=path_part, body=anything, task=st.one_of(text, anything))
def test_idempotency_reset_and_cancel(world, key, body, task):
    call(world, "POST", f"/api/v1/idempotencyKeys/{key}/reset", encode({"taskIdentifier": task}), JSON)
    call(world, "POST", f"/api/v1/idempotencyKeys/{key}/reset", encode(body), JSON)
    call(world, "POST", f"/api/v2/runs/{key}/cancel", encode(body), JSON)


@SETTINGS
@given(path=path_part, content_type=st.one_of(st.none(), text.filter(lambda t: t.isprintable() and t.isascii())),
       data=st.binary(max_size=64), expires=st.one_of(st.none(), text, number.map(str)), signature=st.one_of(st.none(), text))
def test_packets_and_objects(world, path, content_type, data, expires, signature):
    r = call(world, "PUT", f"/api/v2/packets/{path}")
    url = r.json()["presignedUrl"] if r.status_code == 200 else f"https://api.trigger.dev/_emulator/objects/{world['env_id']}/{path}"
    headers = {"content-type": content_type} if content_type else {}
    call(world, "PUT", url, data, headers, authorized=False)
    call(world, "GET", url, authorized=False)
    params = {k: v for k, v in (("expires", expires), ("signature", signature)) if v is not None}
    call(world, "PUT", f"/_emulator/objects/{world['env_id']}/{path}", data, headers, params=params, authorized=False)
    call(world, "GET", f"/api/v1/batches/{path}/results")


@SETTINGS
@given(clock=st.fixed_dictionaries({}, optional={"advance": anything, "set": anything}), limits=st.fixed_dictionaries({}, optional={"api": anything, "batch": anything}))
def test_clock_and_rate_limits(world, clock, limits):
    call(world, "POST", "/__emulator/clock", encode(clock), JSON)
    call(world, "POST", "/__emulator/rate-limits", encode(limits), JSON)
    world["api"].post("/__emulator/rate-limits", json={"api": "generous", "batch": None})
    call(world, "GET", "/__emulator/clock")


@SETTINGS
@given(rule=st.one_of(anything, st.fixed_dictionaries({"status": st.sampled_from([400, 404, 429])}, optional={
    "path": text, "method": text, "task": text, "body": anything, "content_type": text,
    "headers": st.dictionaries(text, text, max_size=2), "times": anything, "latency_ms": st.sampled_from([0, 1]),
    "should_retry": anything, "reset_in_ms": anything, "retry_after_s": anything})))
def test_fault_rules(world, rule):
    if isinstance(rule, dict) and isinstance(rule.get("status"), int):
        rule = {**rule, "path": "/api/v1/nowhere/*"}  # a rule may not answer the barrage's own later calls
    r = call(world, "POST", "/__emulator/faults", encode(rule), JSON)
    call(world, "GET", "/__emulator/faults")
    if r.status_code == 200:
        call(world, "GET", "/api/v1/nowhere/x")
    world["api"].delete("/__emulator/faults")


@SETTINGS
@given(target=st.sampled_from(["queued", "delayed", "done", "missing"]), action=st.sampled_from(["start", "complete", "fail", "expire", "x"]),
       body=st.one_of(anything, st.fixed_dictionaries({}, optional={"output": anything, "error": anything, "status": anything})))
def test_control_outcomes(world, target, action, body):
    run_id = world["ids"].get(target, "run_missing")
    call(world, "POST", f"/__emulator/runs/{run_id}/{action}", encode(body), JSON)


@SETTINGS
@given(target=st.sampled_from(["queued", "delayed", "done", "missing"]), action=st.sampled_from(["complete", "fail", "cancel", "reschedule", "replay", "x"]),
       fields=st.dictionaries(st.sampled_from(["output", "message", "delay", "advance", "task", "payload", "options", "env"]),
                              st.one_of(text, anything.map(lambda v: encode(v).decode())), max_size=4),
       with_token=st.booleans())
def test_dashboard_forms(world, target, action, fields, with_token):
    run_id = world["ids"].get(target, "run_missing")
    form = {**fields, **({"csrf_token": world["emu"].engine.csrf_token} if with_token else {})}
    encoded = httpx.Request("POST", "http://x", data={k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in form.items()}).read()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    for path in (f"/runs/{run_id}/{action}", "/clock", "/test"):
        call(world, "POST", path, encoded, headers, authorized=False)


@SETTINGS
@given(scopes=st.lists(st.one_of(text, anything), max_size=3), sub=st.one_of(st.just("ENV"), text, anything),
       extra=st.dictionaries(st.sampled_from(["pub", "exp", "nbf", "realtime", "iss", "aud"]), anything, max_size=2))
def test_forged_tokens(world, scopes, sub, extra):
    emu = world["emu"]
    claims = {"sub": world["env_id"] if sub == "ENV" else sub, "pub": True, "scopes": scopes,
              "iss": tokens.ISSUER, "aud": tokens.AUDIENCE, **extra}
    try:
        token = jwt.encode(claims, emu.secret_key, algorithm="HS256")
    except (TypeError, ValueError):
        return  # PyJWT cannot write these claims; nothing to send
    auth = {"Authorization": f"Bearer {token}"}
    run_id = world["ids"]["queued"]
    for method, path, body in (("GET", f"/api/v3/runs/{run_id}", None), ("GET", "/api/v1/runs", None),
                               ("POST", "/api/v1/tasks/t/trigger", b"{}"), ("POST", f"/api/v2/runs/{run_id}/cancel", b"{}"),
                               ("POST", "/api/v3/batches", b'{"runCount": 1}'), ("GET", f"/api/v2/batches/{world['batches'][0]}", None),
                               ("POST", "/api/v1/idempotencyKeys/k/reset", b'{"taskIdentifier": "k"}')):
        call(world, method, path, body, {**JSON, **auth}, authorized=False)


@SETTINGS
@given(body=st.one_of(anything, st.fixed_dictionaries({}, optional={
    "timeout": anything, "idempotencyKey": st.one_of(text, anything), "idempotencyKeyTTL": st.one_of(text, anything),
    "tags": st.one_of(text, st.lists(text, max_size=12), anything)})), data=anything, token_id=path_part)
def test_waitpoint_tokens(world, body, data, token_id):
    r = call(world, "POST", "/api/v1/waitpoints/tokens", encode(body), JSON)
    made = r.json()["id"] if r.status_code == 200 else token_id
    for target in (made, token_id):
        call(world, "GET", f"/api/v1/waitpoints/tokens/{target}")
        call(world, "POST", f"/api/v1/waitpoints/tokens/{target}/complete", encode({"data": data}), JSON)
        call(world, "POST", f"/api/v1/waitpoints/tokens/{target}/complete", encode(data), JSON)
    if r.status_code == 200:
        auth = {"Authorization": f"Bearer {r.headers['x-trigger-jwt']}"}
        call(world, "POST", f"/api/v1/waitpoints/tokens/{made}/complete", encode({"data": data}), {**JSON, **auth}, authorized=False)


@SETTINGS
@given(body=anything, worker=st.fixed_dictionaries({}, optional={
    "localOnly": anything, "metadata": anything, "supportsLazyAttempts": anything, "engine": anything}),
       run=st.one_of(st.sampled_from(["queued", "delayed"]), path_part), snapshot=path_part)
def test_dev_worker_and_telemetry_routes(world, body, worker, run, snapshot):
    run_id = world["ids"].get(run, run)
    pat = {"Authorization": "Bearer tr_pat_emulatorlocal0000000000000000000000"}
    for path in ("/api/v2/whoami", "/api/v1/projects/proj_x/dev", "/api/v1/projects/proj_x/envvars"):
        call(world, "GET", path, headers=pat, authorized=False)
        call(world, "GET", path)
    call(world, "POST", "/api/v1/projects/proj_x/background-workers", encode(worker), JSON)
    call(world, "POST", "/api/v1/projects/proj_x/background-workers", encode(body), JSON)
    for path in ("/engine/v1/dev/dequeue", "/engine/v1/dev/disconnect", "/engine/v1/dev/logs/debug" if False else
                 f"/engine/v1/dev/runs/{run_id}/logs/debug", f"/engine/v1/runs/{run_id}/wait/duration",
                 f"/engine/v1/runs/{run_id}/waitpoints/tokens/{snapshot}/wait",
                 f"/engine/v1/dev/runs/{run_id}/snapshots/{snapshot}/attempts/start",
                 f"/engine/v1/dev/runs/{run_id}/snapshots/{snapshot}/attempts/complete",
                 f"/engine/v1/dev/runs/{run_id}/snapshots/{snapshot}/heartbeat", "/otel/v1/traces", "/otel/v1/logs"):
        call(world, "POST", path, encode(body), JSON)
    call(world, "GET", f"/engine/v1/dev/runs/{run_id}/snapshots/latest")
    call(world, "GET", "/engine/v1/dev/config")


@SETTINGS
@given(run=st.one_of(st.sampled_from(["queued", "done", "meta"]), path_part), key=path_part,
       params=st.dictionaries(st.sampled_from(["offset", "handle", "shape_id", "live", "cursor", "tags", "createdAt", "skipColumns",
                                               "log", "where", "columns", "replica"]), st.one_of(text, number.map(str)), max_size=4),
       target=st.sampled_from(["self", "parent", "root", "x"]), body=st.one_of(anything, st.binary(max_size=64)),
       headers=st.dictionaries(st.sampled_from(["timeout-seconds", "last-event-id", "x-client-id", "x-resume-from-chunk"]),
                               st.one_of(text, number.map(str)).filter(lambda v: v.isascii() and v.isprintable()), max_size=2))
def test_realtime_feeds_and_streams(world, run, key, params, target, body, headers):
    run_id = world["ids"].get(run, run)
    content = body if isinstance(body, bytes) else encode(body)
    for path in (f"/realtime/v1/runs/{run_id}", "/realtime/v1/runs", f"/realtime/v1/batches/{world['batches'][0]}"):
        call(world, "GET", path, params=params)
        call(world, "GET", path, params=params, headers={"Authorization": f"Bearer {world['token']}"}, authorized=False)
    call(world, "PUT", f"/realtime/v1/streams/{run_id}/{target}/{key}", content, headers)
    call(world, "POST", f"/realtime/v1/streams/{run_id}/{target}/{key}/append", content, headers)
    call(world, "POST", f"/realtime/v1/streams/{run_id}/input/{key}", content, {**JSON, **headers})
    call(world, "GET", f"/realtime/v1/streams/{run_id}/{key}", headers={**headers, "timeout-seconds": "1"})
    call(world, "POST", f"/__emulator/runs/{run_id}/streams/{key}", content, JSON)
    call(world, "POST", "/api/v1/auth/jwt/claims", content, JSON)


schedule_body = st.one_of(anything, st.fixed_dictionaries({}, optional={
    "task": st.one_of(st.just("t"), text, anything), "cron": st.one_of(st.sampled_from(["0 * * * *", "* * * * *", "@daily", "0 0 31 2 *"]), text, anything),
    "deduplicationKey": st.one_of(text, anything), "externalId": st.one_of(text, anything),
    "timezone": st.one_of(st.sampled_from(["UTC", "Europe/London", "Etc/GMT+14"]), text, anything), "environments": anything,
}))


@SETTINGS
@given(body=schedule_body, update=schedule_body, schedule=path_part, query=query)
def test_management_schedules(world, body, update, schedule, query):
    call(world, "POST", "/__emulator/tasks", encode({"id": "t", "scheduled": True}), JSON)
    r = call(world, "POST", "/api/v1/schedules", encode(body), JSON)
    made = r.json().get("id", schedule) if r.status_code == 200 else schedule
    for target in (made, schedule):
        call(world, "GET", f"/api/v1/schedules/{target}")
        call(world, "PUT", f"/api/v1/schedules/{target}", encode(update), JSON)
        call(world, "POST", f"/api/v1/schedules/{target}/deactivate", b"{}", JSON)
        call(world, "POST", f"/api/v1/schedules/{target}/activate", b"{}", JSON)
    call(world, "GET", "/api/v1/schedules", params=query)
    call(world, "GET", "/api/v1/timezones", params=query)
    call(world, "POST", "/__emulator/schedules", encode(body), JSON)
    call(world, "POST", "/__emulator/clock", b'{"advance": "1h"}', JSON)
    call(world, "DELETE", f"/api/v1/schedules/{made}")


@SETTINGS
@given(name=path_part, value=st.one_of(text, anything), variables=st.one_of(anything, st.dictionaries(text, text, max_size=3)),
       env=st.sampled_from(["dev", "staging", "prod", "x"]), queue=path_part, override=anything, query=query)
def test_management_env_vars_and_queues(world, name, value, variables, env, queue, override, query):
    base = f"/api/v1/projects/proj_x/envvars/{env}"
    call(world, "POST", base, encode({"name": name, "value": value}), JSON)
    call(world, "POST", f"{base}/import", encode({"variables": variables, "override": override}), JSON)
    call(world, "GET", base, params=query)
    call(world, "GET", f"{base}/{name}")
    call(world, "PUT", f"{base}/{name}", encode({"value": value}), JSON)
    call(world, "DELETE", f"{base}/{name}")
    for target in (queue, "task/t"):
        call(world, "GET", f"/api/v1/queues/{target}", params=query)
        call(world, "POST", f"/api/v1/queues/{target}/pause", encode({"action": value, "type": override}), JSON)
        call(world, "POST", f"/api/v1/queues/{target}/concurrency/override", encode({"concurrencyLimit": override}), JSON)
        call(world, "POST", f"/api/v1/queues/{target}/concurrency/reset", encode(override), JSON)
    call(world, "GET", "/api/v1/queues", params=query)
    call(world, "GET", "/api/v1/waitpoints/tokens", params=query)


@SETTINGS
@given(target=path_part, fields=st.dictionaries(st.sampled_from(["data", "env", "id", "name", "value", "secret"]),
                                                st.one_of(text, anything.map(lambda v: encode(v).decode())), max_size=4),
       action=st.sampled_from(["activate", "deactivate", "pause", "resume", "set", "delete", "x"]), with_token=st.booleans())
def test_management_dashboard_forms(world, target, fields, action, with_token):
    form = {**fields, **({"csrf_token": world["emu"].engine.csrf_token} if with_token else {})}
    encoded = httpx.Request("POST", "http://x", data={k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in form.items()}).read()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    for path in (f"/schedules/{target}/{action}", f"/waitpoints/{target}/complete", f"/queues/{action}", f"/envvars/{action}"):
        call(world, "POST", path, encoded, headers, authorized=False)
    for page in ("/schedules", "/waitpoints", "/queues", "/envvars"):
        call(world, "GET", page, params={"env": target})


def test_every_run_made_before_the_barrage_is_still_readable(world):
    still_readable(world)
    if len(world["families"]) == 19:  # every family ran in this process (not split by xdist)
        assert world["sent"] >= 300, world["sent"]
    print(f"{world['sent']} hostile requests from {len(world['families'])} route families")
