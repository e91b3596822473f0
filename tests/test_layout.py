"""The package's shape, checked as CI sees it: layers only import downward, no module over 400
lines, and the installed wheel cannot collide with an application's own top-level packages."""

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_imports_point_down_the_layers_and_modules_stay_small():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_layers.py")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_the_layer_check_catches_an_upward_import(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import check_layers
    finally:
        sys.path.pop(0)
    fake = tmp_path / "emulator" / "core"
    fake.mkdir(parents=True)
    (tmp_path / "pytest_plugin").mkdir()
    (fake / "bad.py").write_text("from ..service import Services\nimport sqlite3\n")
    monkeypatch.setattr(check_layers, "ROOT", tmp_path)
    problems = check_layers.check()
    assert any("bad.py:1: imports trigger_emulator.service from a layer above" in p for p in problems), problems
    assert any("bad.py:2: imports sqlite3" in p for p in problems), problems



def test_installed_wheel_beside_an_app_with_its_own_emulator_and_pytest_plugin_packages(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(wheels.glob("trigger_emulator-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # The wheel's own files, unpacked as pip would; its dependencies come from this interpreter's
    # site-packages (a path line, so the source checkout's editable finder is not loaded).
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    app = tmp_path / "app"
    for package in ("emulator", "pytest_plugin"):
        (app / package).mkdir(parents=True)
        (app / package / "__init__.py").write_text(f"NAME = 'the app own {package}'\n")
    (app / "emulator" / "config.py").write_text("SETTING = 1\n")
    (app / "tests").mkdir()
    (app / "tests" / "test_app.py").write_text(textwrap.dedent("""
        import httpx
        import emulator.config
        import pytest_plugin

        def test_app_and_emulator_side_by_side(trigger_emulator):
            assert emulator.config.SETTING == 1 and pytest_plugin.NAME == "the app own pytest_plugin"
            r = httpx.post("https://api.trigger.dev/api/v1/tasks/hello/trigger",
                           headers={"Authorization": f"Bearer {trigger_emulator.secret_key}"}, json={"payload": {"a": 1}})
            assert r.status_code == 200
            trigger_emulator.assert_triggered("hello", payload={"a": 1})
    """))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHON"))}
    done = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=app,
                          capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
