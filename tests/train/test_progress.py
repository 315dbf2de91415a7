"""Progress in a log (stderr not a terminal): a line with an ETA now and then, and the same
training with or without it."""

import re

import hetgat.train.loop as loop
from hetgat.train.loop import LogProgress
from tests.insight.plot_runs import homogeneous_csv, invoke


def test_log_progress_lines_with_eta(capsys):
    now = [0.0]
    bar = LogProgress(200, every=30, clock=lambda: now[0])
    for epoch in range(1, 8):  # 18 s an epoch, as Simple-HGN on a large graph
        now[0] += 18
        bar.update(1)
        bar.set_postfix(loss="0.532", val="0.713")
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    # A line once 30 s have passed, then at most one per 30 s: epochs 2, 4, 6.
    assert lines == [
        "epoch 2/200: loss 0.532, val 0.713; 18 s/epoch, at most 59 min left",
        "epoch 4/200: loss 0.532, val 0.713; 18 s/epoch, at most 59 min left",
        "epoch 6/200: loss 0.532, val 0.713; 18 s/epoch, at most 58 min left",
    ]


def test_log_progress_after_a_resume_counts_this_session_only(capsys):
    now = [100.0]
    bar = LogProgress(10, initial=6, every=0, clock=lambda: now[0])
    now[0] += 2
    bar.update(1)
    bar.set_postfix(loss="1.0")
    assert capsys.readouterr().err == "epoch 7/10: loss 1.0; 2 s/epoch, at most 6 s left\n"


def test_fit_in_a_log_prints_progress_lines_and_trains_the_same(tmp_path, monkeypatch):
    graph = homogeneous_csv(tmp_path)
    args = ["fit", graph / "edges.csv", "--nodes", graph / "nodes.csv", "--epochs", "4",
            "--patience", "0", "--hidden", "4", "--heads", "1"]  # fmt: skip
    quiet = invoke(*args, "--out", tmp_path / "quiet", "-q")
    monkeypatch.setattr(loop, "LOG_EVERY_SECONDS", 0.0)
    logged = invoke(*args, "--out", tmp_path / "logged")  # CliRunner's stderr is no terminal
    assert quiet.exit_code == logged.exit_code == 0, logged.output
    lines = [x for x in logged.stderr.splitlines() if x.startswith("epoch ")]
    assert len(lines) == 4
    assert re.fullmatch(
        r"epoch 1/4: loss \d\.\d{3}, val \d\.\d{3}; [\d.e-]+ s/epoch, at most \d+ s left", lines[0]
    ), lines[0]
    assert "epoch 1/4" not in quiet.stderr
    for name in ("metrics.json", "history.csv", "predictions.csv"):
        if name == "history.csv":  # the seconds column differs; the rest must not
            a, b = ((tmp_path / d / name).read_text().splitlines() for d in ("quiet", "logged"))
            assert [r.rsplit(",", 1)[0] for r in a] == [r.rsplit(",", 1)[0] for r in b]
        else:
            assert (tmp_path / "quiet" / name).read_bytes() == (
                tmp_path / "logged" / name
            ).read_bytes()
