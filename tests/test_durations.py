from trigger_emulator.core.durations import (
    IDEMPOTENCY_DEFAULT_TTL_MS,
    idempotency_ttl_ms,
    parse_duration_ms,
    resolve_delay,
    stringify_duration,
)


def test_duration_grammar():
    assert parse_duration_ms("1h") == 3_600_000
    assert parse_duration_ms("1hr") == 3_600_000
    assert parse_duration_ms("2h30m") == 9_000_000
    assert parse_duration_ms("1w2d") == 9 * 86_400_000
    assert parse_duration_ms("0s") == 0
    assert parse_duration_ms("1m1m") == 60_000  # only the first occurrence of a unit counts
    assert parse_duration_ms("1h1hr") == 3_600_000
    assert parse_duration_ms("1" * 99 + "s") is None  # 100 chars is allowed, but past JS Date's range
    assert parse_duration_ms("9" * 98 + "s") is None
    for bad in ("", "1", "1.5h", "1 h", "10ms", "h", "1y", "1" * 100 + "s", "9" * 30 + "w", 5, None):
        assert parse_duration_ms(bad) is None, bad


def test_stringify_duration():
    assert stringify_duration(3600) == "1h"
    assert stringify_duration(90) == "1m30s"
    assert stringify_duration(694861) == "1w1d1h1m1s"
    assert stringify_duration(0) is None


def test_delay_resolution_prefers_dates_then_durations():
    now = 1_700_000_000_000
    assert resolve_delay("1h", now) == now + 3_600_000
    assert resolve_delay("2030-01-01T00:00:00Z", now) == 1_893_456_000_000
    assert resolve_delay("2001-01-01T00:00:00Z", now) is None  # past date: not delayed
    assert resolve_delay("soon", now) is None  # junk: silently not delayed
    assert resolve_delay(now + 5000, now) == now + 5000  # epoch ms


def test_idempotency_ttl_only_takes_the_strict_grammar():
    assert idempotency_ttl_ms("5m") == 300_000
    assert idempotency_ttl_ms("2d") == 2 * 86_400_000
    for silently_default in ("1w", "1h30m", "90", None):
        assert idempotency_ttl_ms(silently_default) == IDEMPOTENCY_DEFAULT_TTL_MS
