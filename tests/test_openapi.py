"""The OpenAPI document, and schemathesis fuzzing every operation against the in-process app:
no 5xx, and no answer that breaks the document."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from trigger_emulator import Config, LocalEmulator

KEY = "tr_dev_fuzzingKey000000000000001"
# schemathesis calls the ASGI app as "testserver", a Host a served emulator refuses by default.
# Live realtime polls and stream reads answer at once here (no state change would wake them).
emu = LocalEmulator(Config(batch_rate_limit=None, allowed_hosts=["testserver"], realtime_poll_timeout=0,
                           realtime_stream_timeout=0))
schema = schemathesis.openapi.from_asgi("/openapi.json", emu.app)


@schemathesis.serializer("application/x-ndjson")
def ndjson(context, value):
    return value.encode() if isinstance(value, str) else str(value).encode()


@pytest.fixture(scope="module", autouse=True)
def running():
    with emu:
        yield


def test_document_is_served_and_lists_the_api(emu_client=None):
    with emu:
        doc = emu.client().get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    assert {"/api/v1/tasks/{taskIdentifier}/trigger", "/api/v3/runs/{runId}", "/api/v1/runs", "/api/v3/batches"} <= doc["paths"].keys()


# Faults and rate limits would make the fuzzer's own later requests fail on purpose.
fuzzed = schema.exclude(path_regex=r"^/__emulator/(faults|rate-limits)")


OPERATIONS = [result.ok() for result in fuzzed.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_fuzz(operation):
    # One test id per operation. The behavioural checks about undeclared methods and "positive
    # data must be accepted" do not apply: the real API deliberately answers any verb on action
    # routes and refuses schema-valid bodies on business rules (e.g. an 11th tag is a 422).
    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def fuzz(case):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {KEY}"},
            checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
        )

    fuzz()
