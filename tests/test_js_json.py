"""An NDJSON batch line that is not JSON (issue #19 item 10): ``Invalid JSON at line N: `` and
the message of V8's ``JSON.parse`` in production's Node 24, with its ``(line L column C)``.

``NODE24`` was taken by running Node 24.18.0 (production's) on each line; when ``node`` is
installed, ``test_messages_are_what_the_installed_v8_says`` compares against it too (Node
before 22 prints no ``(line ...)`` suffix, so that part is left out there)."""

import json
import os
import random
import re
import shutil
import subprocess

import pytest

from trigger_emulator.core.js_json import error_message

NODE24 = [
    ("{", "Expected property name or '}' in JSON at position 1 (line 1 column 2)"),
    ("{a:1}", "Expected property name or '}' in JSON at position 1 (line 1 column 2)"),
    ("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON"),
    ("nul", "Unexpected end of JSON input"),
    ('{"a":1,}', "Expected double-quoted property name in JSON at position 7 (line 1 column 8)"),
    ('{"a" 1}', "Expected ':' after property name in JSON at position 5 (line 1 column 6)"),
    ('{"a":1}}', "Unexpected non-whitespace character after JSON at position 7 (line 1 column 8)"),
    ("[1 2]", "Expected ',' or ']' after array element in JSON at position 3 (line 1 column 4)"),
    ('{"a":1 "b":2}', "Expected ',' or '}' after property value in JSON at position 7 (line 1 column 8)"),
    ("'x'", "Unexpected token ''', \"'x'\" is not valid JSON"),
    ('"abc', "Unterminated string in JSON at position 4 (line 1 column 5)"),
    ("tru", "Unexpected end of JSON input"),
    ("1.", "Unterminated fractional number in JSON at position 2 (line 1 column 3)"),
    ("1e", "Exponent part is missing a number in JSON at position 2 (line 1 column 3)"),
    ("-", "No number after minus sign in JSON at position 1 (line 1 column 2)"),
    ("01", "Unexpected number in JSON at position 1 (line 1 column 2)"),
    ('{"a":undefined}', "Unexpected token 'u', \"{\"a\":undefined}\" is not valid JSON"),
    ("NaN", '"NaN" is not valid JSON'),
    ("undefined", '"undefined" is not valid JSON'),
    ("[object Object]", '"[object Object]" is not valid JSON'),
    ('{"a":"\t"}', "Bad control character in string literal in JSON at position 6 (line 1 column 7)"),
    ('"\\x"', "Bad escaped character in JSON at position 2 (line 1 column 3)"),
    ('"\\u12"', "Bad Unicode escape in JSON at position 5 (line 1 column 6)"),
    ('{"index":0,"task":"t"', "Expected ',' or '}' after property value in JSON at position 21 (line 1 column 22)"),
    ("x" + "a" * 37, "Unexpected token 'x', \"xaaaaaaaaa\"... is not valid JSON"),
    ("[1, 2, 3, 4, 5, 6, 7, 8, x, 10, 11, 12]", "Unexpected token 'x', ...\" 6, 7, 8, x, 10, 11,\"... is not valid JSON"),
    ('{"a": 1, "b": 2, "c": x', "Unexpected token 'x', ...\": 2, \"c\": x\" is not valid JSON"),
]


@pytest.mark.parametrize("line, message", NODE24, ids=[json.dumps(line) for line, _ in NODE24])
def test_messages_are_node_24s(line, message):
    assert error_message(line) == message


def test_valid_json_has_no_message():
    assert error_message('{"index": 0, "task": "t", "payload": [1, "x", null, true, {"a": -1.5e3}]}') is None


def _node_messages(lines):
    script = ("const xs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(xs.map(s => { try { JSON.parse(s); return null; } "
              "catch (e) { return e.message; } })))")
    done = subprocess.run([shutil.which("node"), "-e", script], input=json.dumps(lines), capture_output=True,
                          text=True, timeout=60, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _comparable(ours, theirs):
    if theirs is not None and ours is not None and "(line " not in theirs:  # Node < 22
        ours = re.sub(r" \(line \d+ column \d+\)$", "", ours)
    return ours


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_messages_are_what_the_installed_v8_says():
    rng = random.Random(19)
    atoms = ['{', '}', '[', ']', ':', ',', '"a"', '"', '\\', '\\u12', '\\x', '1', '0', '-', '01', '1.', '1e', '1e+',
             'tru', 'true', 'null', ' ', '\t', '\n', '\r\n', 'x', 'é', '\x01', 'NaN', '"k":1', 'aaaaaaaaaaaa']
    lines = [line for line, _ in NODE24] + [
        "".join(rng.choice(atoms) for _ in range(rng.randint(1, 9))) for _ in range(3000)]
    theirs = _node_messages(lines)
    wrong = [(line, t) for line, t in zip(lines, theirs) if _comparable(error_message(line), t) != t]
    assert wrong == []


def _stream(api, batch_id, body):
    return api.post(f"/api/v3/batches/{batch_id}/items", content=body,
                    headers={"content-type": "application/x-ndjson"})


def test_the_items_route_quotes_the_message_with_the_line_number_counting_blank_lines(api):
    batch_id = api.post("/api/v3/batches", json={"runCount": 3}).json()["id"]
    body = b'{"index":0,"task":"t"}\n\n  \n{"index":1,"task":"t",}\n'
    r = _stream(api, batch_id, body)
    assert (r.status_code, r.json()) == (
        400, {"error": "Invalid JSON at line 4: Expected double-quoted property name in JSON at position 22 (line 1 column 23)"})
    # the position counts from the trimmed line (JS trim also takes U+00A0 and U+FEFF)
    r = _stream(api, batch_id, '\u00a0\ufeff[1 2]\n'.encode())
    assert r.json() == {"error": "Invalid JSON at line 1: Expected ',' or ']' after array element in JSON at position 3 (line 1 column 4)"}
    # a line that is only JS whitespace is blank
    r = _stream(api, batch_id, '\u00a0\n{"index":1,"task":"t"}\n{"index":2,"task":"t"}\n'.encode())
    assert r.status_code == 200 and r.json()["sealed"] is True
