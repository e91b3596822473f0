"""``assert_triggered`` / ``assert_not_triggered``: matching runs by the Run field names, and
failure messages that read like a diff, closest candidate first."""

from __future__ import annotations

import difflib
import pprint
from typing import Any, Iterable
from unittest.mock import ANY

from ..api.snapshots import Run

FIELDS = (
    "payload", "tags", "idempotency_key", "metadata", "delayed_until", "ttl", "machine", "queue",
    "batch_id", "status", "output", "error", "options", "max_attempts", "is_test",
)


def _equal(field: str, actual: Any, expected: Any) -> bool:
    if expected is ANY:
        return True
    if field == "tags":
        if isinstance(expected, str):
            expected = [expected]
        try:
            return sorted(actual) == sorted(expected)
        except TypeError:
            return False
    return actual == expected


def mismatches(run: Run, task: str, expected: dict[str, Any]) -> list[str]:
    out = [] if run.task == task else ["task"]
    for field, value in expected.items():
        if not _equal(field, getattr(run, field), value):
            out.append(field)
    return out


def check_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - set(FIELDS))
    if unknown:
        raise TypeError(f"unknown Run field(s) {', '.join(unknown)}; use any of: {', '.join(FIELDS)}")


def _fmt(value: Any) -> list[str]:
    return pprint.pformat(value, width=88, sort_dicts=True).splitlines()


def describe(run: Run, task: str, expected: dict[str, Any]) -> str:
    lines = [f"  {run.id}  task={run.task!r}  status={run.status}  created_at={run.created_at.isoformat()}"]
    fields = ["task", *expected] if run.task != task else list(expected)
    for field in fields:
        want = task if field == "task" else expected[field]
        got = run.task if field == "task" else getattr(run, field)
        if _equal(field, got, want) and field != "task":
            continue
        if field == "task" and run.task == task:
            continue
        diff = difflib.ndiff(_fmt(want), _fmt(got))
        lines.append(f"    {field}: (- expected, + actual)")
        lines.extend(f"      {line}" for line in diff if not line.startswith("?"))
    return "\n".join(lines)


def failure(task: str, expected: dict[str, Any], runs: Iterable[Run], *, times: int | None = None,
            matched: list[Run] = ()) -> str:
    wanted = ", ".join(f"{k}={v!r}" for k, v in expected.items() if v is not ANY) or "any payload"
    head = f"Expected {'exactly ' + str(times) + ' run(s)' if times is not None else 'a run'} of {task!r} with {wanted}"
    if times is not None:
        head += f", found {len(matched)}"
    if matched:  # the right runs, the wrong count: show them, not the near misses
        body = "\n".join(describe(run, task, expected) for run in matched)
        return f"{head}.\nMatching runs:\n{body}"
    candidates = sorted(runs, key=lambda r: (len(mismatches(r, task, expected)), -r.created_at.timestamp()))
    if not candidates:
        return head + ".\nNothing was triggered."
    shown = candidates[:5]
    body = "\n".join(describe(run, task, expected) for run in shown)
    more = f"\n  ... and {len(candidates) - len(shown)} more" if len(candidates) > len(shown) else ""
    return f"{head}.\nTriggered instead (closest first):\n{body}{more}"
