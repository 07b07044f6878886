"""`tfsr` is quiet: TensorFlow's start-up notices are hidden unless asked for, and errors still reach stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfsr.cli import build_parser
from tfsr.startup import stderr_fd_hidden, wants_verbose

TFSR = Path(sys.executable).with_name("tfsr")
# Fragments of the lines TensorFlow writes to fd 2 as it starts.
NOTICES = ("absl::InitializeLog()", "cpu_feature_guard", "oneDNN custom operations", "This TensorFlow binary is optimized")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TFSR_VERBOSE", "TF_CPP_MIN_LOG_LEVEL")}
    return {**env, **extra}


def _run(argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=_env(**env), timeout=300, cwd=Path(__file__).parent)


@pytest.fixture(scope="module")
def plain_notices() -> list[str]:
    """The start-up notices TensorFlow prints on this machine when nothing hides them."""
    err = _run([sys.executable, "-c", "import tensorflow as tf; tf.config.list_physical_devices()"]).stderr
    return [n for n in NOTICES if n in err]


@pytest.mark.skipif(not TFSR.exists(), reason="the tfsr console script is not installed next to this Python")
def test_startup_notices_are_hidden_but_errors_reach_stderr(plain_notices: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    result = _run([str(TFSR), "info", str(missing)])
    assert result.returncode == 2
    assert f"tfsr info: error: {missing}: no such config file" in result.stderr
    # `plain_notices` is what would show here; `test_verbose_shows_startup_notices` skips when it is empty.
    assert [n for n in plain_notices if n in result.stderr] == []
    assert [n for n in NOTICES if n in result.stderr] == []


@pytest.mark.skipif(not TFSR.exists(), reason="the tfsr console script is not installed next to this Python")
def test_verbose_shows_startup_notices(plain_notices: list[str]) -> None:
    if not plain_notices:
        pytest.skip("TensorFlow prints no start-up notices on this machine")
    result = _run([str(TFSR), "info", "--help", "--verbose"])
    assert result.returncode == 0
    assert "usage: tfsr info" in result.stdout
    assert all(n in result.stderr for n in plain_notices), result.stderr


def test_verbose_is_asked_by_flag_anywhere_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TFSR_VERBOSE", raising=False)
    assert not wants_verbose(["train", "configs/demo.yaml"])
    assert wants_verbose(["-v", "train", "configs/demo.yaml"])
    assert wants_verbose(["train", "configs/demo.yaml", "--verbose"])
    assert not wants_verbose(["enhance", "--", "-v"])  # after `--` it is a file name
    for value, verbose in [("1", True), ("yes", True), ("0", False), ("", False)]:
        monkeypatch.setenv("TFSR_VERBOSE", value)
        assert wants_verbose(["info"]) is verbose
    parser = build_parser()
    assert parser.parse_args(["-v", "info"]).verbose is True
    assert parser.parse_args(["info", "-v"]).verbose is True
    assert parser.parse_args(["info"]).verbose is False


def test_hidden_fd2_is_restored_and_replayed_on_failure(capfd: pytest.CaptureFixture[str]) -> None:
    with stderr_fd_hidden():
        os.write(2, b"start-up noise\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"
    with pytest.raises(ImportError), stderr_fd_hidden():
        os.write(2, b"libcudart.so: cannot open shared object file\n")
        raise ImportError("broken")
    assert "libcudart.so: cannot open shared object file" in capfd.readouterr().err
