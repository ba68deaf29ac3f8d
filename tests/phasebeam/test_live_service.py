"""``phasebeam live`` refuses bad options in one line naming the option, before it subscribes."""

import numpy as np
import pytest

from phasebeam.cli import main


@pytest.mark.parametrize(
    "options, message",
    [
        (["--zmq", "localhost"], "--zmq 'localhost' must be HOST:PORT"),
        (["--zmq", "localhost:1", "--publish-period-s", "-1"], "--publish-period-s -1.0 must be >= 0 s"),
        (["--zmq", "localhost:1", "--eiger-mask", "no-such-mask.npy"], "--eiger-mask no-such-mask.npy: "),
        (["--zmq", "localhost:1", "--eiger-mask", "cube.npy"], "a 2-D mask is needed, got shape (2, 3, 4)"),
    ],
)
def test_bad_options_are_refused_naming_the_option(tmp_path, monkeypatch, capsys, options, message):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "cube.npy", np.zeros((2, 3, 4), np.uint8))
    assert main(["live", *options, "--data-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("phasebeam live: error: ") and message in error
    assert error.count("\n") == 1
