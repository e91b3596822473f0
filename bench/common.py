"""Timing helpers shared by the benchmarks: medians over repeats, ratios against a baseline
measured in the same run."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def measure(fn: Callable[[], object], *, repeat: int = 5, number: int = 1, warmup: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def row(name: str, value_s: float, baseline_s: float | None = None, baseline_name: str = "") -> str:
    text = f"{name:<58} {value_s * 1000:10.3f} ms"
    if baseline_s:
        text += f"   {value_s / baseline_s:6.2f}x {baseline_name}"
    return text
