"""`.ci/run` decides about Redis as it should: CI (root) installs it and requires the Redis
tests; without root and without `redis-server` they are skipped, with a message.

The script runs for real, from a copy of `.ci/` in a scratch directory, with every command it
calls after the Redis decision (python3, pip, pytest, ruff, mypy), and `id`, `apt-get` and
`redis-server` as stubs that write down how they were called: nothing is installed and the
suite is not run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash")

STUB = """#!{bash}
echo "{name} $* REQUIRE_REDIS=${{REQUIRE_REDIS:-unset}}" >> "{log}"
{extra}
"""


def stub(bin_dir: Path, name: str, log: Path, extra: str = "") -> None:
    path = bin_dir / name
    path.write_text(STUB.format(bash=BASH, name=name, log=log, extra=extra), encoding="utf-8")
    path.chmod(0o755)


def run_ci(tmp_path: Path, *, uid: int, redis: bool, apt_get: bool = True) -> tuple[int, str, str]:
    """`.ci/run` in a copy of the repository's layout; the stubs' log and stderr."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / ".ci", work / ".ci")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    log.touch()
    for tool in ("dirname", "mkdir"):  # real commands: the script's, and the python3 stub's
        real = shutil.which(tool)
        assert real is not None
        (bin_dir / tool).symlink_to(real)
    stub(bin_dir, "id", log, f"echo {uid}")
    # `python3 -m venv .venv` makes the activate script (the stubs are already on PATH).
    stub(bin_dir, "python3", log, 'mkdir -p .venv/bin && echo ":" > .venv/bin/activate')
    for tool in ("python", "pip", "pytest", "ruff", "mypy"):
        stub(bin_dir, tool, log)
    if redis:
        stub(bin_dir, "redis-server", log)
    if apt_get:
        stub(bin_dir, "apt-get", log)
    assert BASH is not None
    result = subprocess.run(
        [BASH, str(work / ".ci" / "run")],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, log.read_text(encoding="utf-8"), result.stderr


def pytest_line(log: str) -> str:
    [line] = [line for line in log.splitlines() if line.startswith("pytest")]
    return line


@pytest.mark.skipif(BASH is None, reason="bash is needed to run .ci/run")
def test_without_root_and_without_redis_the_redis_tests_are_skipped_with_a_message(
    tmp_path: Path,
) -> None:
    code, log, stderr = run_ci(tmp_path, uid=1000, redis=False)

    assert code == 0, stderr
    assert "apt-get" not in log
    assert pytest_line(log) == "pytest  REQUIRE_REDIS=unset"
    assert "redis-server is not installed and apt-get cannot install it here (not root)" in stderr
    assert "the Redis tests are skipped" in stderr


@pytest.mark.skipif(BASH is None, reason="bash is needed to run .ci/run")
def test_as_root_redis_is_installed_and_required(tmp_path: Path) -> None:
    code, log, stderr = run_ci(tmp_path, uid=0, redis=False)

    assert code == 0, stderr
    assert "apt-get update -qq" in log
    assert "apt-get install -y -qq redis-server" in log
    assert pytest_line(log) == "pytest  REQUIRE_REDIS=1"
    assert "skipped" not in stderr


@pytest.mark.skipif(BASH is None, reason="bash is needed to run .ci/run")
def test_an_installed_redis_is_required_without_root(tmp_path: Path) -> None:
    code, log, _ = run_ci(tmp_path, uid=1000, redis=True)

    assert code == 0
    assert "apt-get" not in log
    assert pytest_line(log) == "pytest  REQUIRE_REDIS=1"


@pytest.mark.skipif(BASH is None, reason="bash is needed to run .ci/run")
def test_root_without_apt_get_says_why(tmp_path: Path) -> None:
    code, log, stderr = run_ci(tmp_path, uid=0, redis=False, apt_get=False)

    assert code == 0
    assert pytest_line(log) == "pytest  REQUIRE_REDIS=unset"
    assert "(no apt-get)" in stderr


def test_the_script_is_executable() -> None:
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
