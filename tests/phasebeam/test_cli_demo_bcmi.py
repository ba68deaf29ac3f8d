"""``phasebeam demo bcmi``: its arguments are checked before anything runs."""

import re

import pytest

from phasebeam.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "bcmi"], "demo bcmi needs --out DIR"),
        (["demo", "bcmi", "--out", "x", "--runs", "1"], "runs must be >= 2"),
        (
            ["demo", "bcmi", "--out", "x", "--phase-range", "0"],
            r"phase ranges must be in \(0, 20\] rad, got \(0.0,\)",
        ),
        (["demo", "bcmi", "--out", "x", "--crystals", "0"], "crystals must be >= 1, got 0"),
        (
            ["demo", "bcmi", "--out", "x", "--upsample", "0"],
            r"upsample must be an integer in \[1, 8\], got 0",
        ),
    ],
)
def test_bad_demo_arguments_are_refused_with_the_parameter_named(
    argv, message, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "x").exists()  # nothing written
