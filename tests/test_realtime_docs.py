"""docs/realtime.md's Python example (a Starlette backend relaying a run's progress, and its
tests) runs as written, through the installed pytest plugin."""

import re
from pathlib import Path

DOC = Path(__file__).parent.parent / "docs" / "realtime.md"


def test_the_documented_backend_and_its_tests_pass(pytester):
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[1:]  # the first block is one line
    pytester.makepyfile(test_progress=code)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q")
    result.assert_outcomes(passed=2)
