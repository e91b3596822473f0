"""Issue #14 finding 5: the packet object store takes only signed, unexpired, size-bounded
requests, at URLs built from the server's own base URL."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from trigger_emulator import LocalEmulator
from trigger_emulator.api import run_data

PACKET_OBJECT_LIMIT = 10 * 1024 * 1024  # the documented 10 MB output limit
PRESIGNED_URL_TTL_S = 300  # production's presign expiry

URL = "/api/v1/tasks/t/trigger"


def presign(api, path="run_x/payload.json"):
    r = api.put("/api/v2/packets/" + path.replace("/", "%2F"))
    assert r.status_code == 200, r.text
    return r.json()["presignedUrl"]


def with_query(url, **changes):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    query = {k: v for k, v in query.items() if v is not None}
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
def anonymous(emu):
    with httpx.Client(transport=httpx.MockTransport(emu.handle)) as client:
        yield client


def test_an_unsigned_object_request_is_refused_and_nothing_is_stored(emu, api, anonymous):
    url = presign(api)
    bare = with_query(url, expires=None, signature=None)
    r = anonymous.put(bare, content=b"x" * 1000)
    assert (r.status_code, r.json()) == (403, {"error": "The request signature does not match"})
    assert anonymous.get(bare).status_code == 403
    assert anonymous.put(with_query(url, signature="A" * 43), content=b"x").status_code == 403
    later = int(parse_qs(urlsplit(url).query)["expires"][0]) + 3600
    assert anonymous.put(with_query(url, expires=str(later)), content=b"x").status_code == 403  # expiry is signed
    assert anonymous.put(url, content=b"mine", headers={"content-type": "text/plain"}).status_code == 200


def test_a_put_url_does_not_read_and_a_read_url_does_not_write(emu, api, anonymous):
    url = presign(api)
    assert anonymous.put(url, content=b'{"a":1}', headers={"content-type": "application/json"}).status_code == 200
    assert anonymous.get(url).status_code == 403
    run_id = api.post(URL, json={"payload": "run_x/payload.json", "options": {"payloadType": "application/store"}}).json()["id"]
    read_url = api.get(f"/api/v3/runs/{run_id}").json()["payloadPresignedUrl"]
    got = anonymous.get(read_url)
    assert got.content == b'{"a":1}' and got.headers["content-type"] == "application/json"
    assert anonymous.put(read_url, content=b"overwrite").status_code == 403
    assert anonymous.get(read_url).content == b'{"a":1}'


def test_urls_expire_on_the_wall_clock_not_the_emulator_clock(emu, api, anonymous, monkeypatch):
    url = presign(api)
    emu.advance(days=3)  # a test moving the emulator clock does not break an upload
    assert anonymous.put(url, content=b"1").status_code == 200
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    monkeypatch.setattr(run_data, "real_time_s", lambda: expires + 1)
    r = anonymous.put(url, content=b"2")
    assert (r.status_code, r.json()) == (403, {"error": "Request has expired"})
    monkeypatch.setattr(run_data, "real_time_s", lambda: expires - PRESIGNED_URL_TTL_S)
    assert anonymous.put(url, content=b"3").status_code == 200


def test_an_upload_larger_than_the_limit_is_refused_unstored(emu, api, anonymous):
    url = presign(api)
    r = anonymous.put(url, content=b"x" * (PACKET_OBJECT_LIMIT + 1))
    assert (r.status_code, r.json()) == (413, {"error": "Request body too large"})
    r = anonymous.put(url, content=iter([b"x" * 1024 * 1024] * 11))  # chunked, no Content-Length
    assert r.status_code == 413
    assert anonymous.put(url, content=b"x" * PACKET_OBJECT_LIMIT).status_code == 200


@pytest.mark.parametrize("path", ["..%2Fx", "a%2F%2Fb", "%2Fabs", "a%2F.%2Fb", "a%5Cb", "a%2F%252e%252e%2Fb", "a%2F%25zz"])
def test_unsafe_packet_paths_are_refused_as_production_does(api, path):
    r = api.put("/api/v2/packets/" + path)
    assert (r.status_code, r.json()) == (400, {"error": "Invalid packet storage path"})


def test_presigned_urls_use_the_servers_own_address_not_the_host_header():
    with LocalEmulator() as emu:
        url = emu.serve()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {emu.secret_key}"}) as api:
            port = urlsplit(url).port
            for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
                r = api.put("/api/v2/packets/x.json", headers={"Host": host})
                assert r.json()["presignedUrl"].startswith(url + "/_emulator/objects/"), host
            signed = r.json()["presignedUrl"]
            assert httpx.put(signed, content=b"{}").status_code == 200


def test_in_process_urls_point_at_the_trigger_dev_host(emu, api):
    assert presign(api).startswith("https://api.trigger.dev/_emulator/objects/")
