"""Run the browser offset helpers' Node tests (tests/js/) as part of the pytest suite."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_offsets_js_node_suite() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH; cannot run the static/js/offsets.js tests (node --test tests/js/)")
    result = subprocess.run(
        [node, "--test", "tests/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"node --test tests/js/ exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
