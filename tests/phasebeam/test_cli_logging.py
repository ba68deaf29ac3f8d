import subprocess
import sys

import pytest

DRAW = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
figure, axes = plt.subplots()
axes.set_xlabel(r"$\\phi$ (rad)")
figure.savefig({png!r})
"""
CLI_FIRST = """
import logging, sys
from phasebeam.cli import main
try:
    main(["reconstruct", "cdi", {missing!r}, "--out", {out!r}])
except SystemExit:
    pass
"""
BARE_LOGGING = "import logging, sys\nlogging.basicConfig(level=logging.WARNING, stream=sys.stderr)\n"


def _stderr(code: str) -> str:
    command = [sys.executable, "-P", "-c", code]
    return subprocess.run(command, capture_output=True, text=True, timeout=120).stderr


def test_the_cli_keeps_matplotlibs_font_fallback_warnings_off_the_terminal(tmp_path):
    draw = DRAW.format(png=str(tmp_path / "f.png"))
    if "findfont" not in _stderr(BARE_LOGGING + draw):
        pytest.skip("this matplotlib does not warn about mathtext font fallbacks")
    cli = CLI_FIRST.format(missing=str(tmp_path / "missing.h5"), out=str(tmp_path / "out.cxi"))
    stderr = _stderr(cli + draw)
    assert "findfont" not in stderr
    assert "missing.h5" in stderr  # the CLI's own error still reaches the terminal
