"""``hetgat launch``: the plan of a job (ip_config, environments, ssh commands) and the real
thing on this machine: ``hetgat partition`` into 2 parts, then 2 graph servers and 2 trainers
as separate processes on 127.0.0.1 (gloo), GAT on Cora and Simple-HGN on ``examples/acm``, the
run folder read back by ``hetgat predict``; a broken part ends the job with one error line.

Every job runs under ``--timeout`` and a subprocess timeout; afterwards no process that the
launcher started is left (they carry ``HETGAT_DIST_PARENT`` in their environment).
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hetgat.cli import main
from hetgat.distributed.launch import local_job, read_ip_config, ssh_job
from hetgat.errors import HetgatError
from tests.conftest import CORA_ARGS, EXAMPLES, needs_dgl

ROOT = Path(__file__).resolve().parents[2]
CORA = CORA_ARGS
ACM = [
    str(EXAMPLES / "acm" / "edges.csv"),
    "--nodes",
    f"paper={EXAMPLES / 'acm' / 'papers.csv'}",
    "--features",
    f"paper={EXAMPLES / 'acm' / 'paper_features.npz'}",
]
#: Seconds a whole job may take here (2 shared cores); the test fails past it.
JOB_TIMEOUT = 240


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# -- the plan ------------------------------------------------------------------------------


def test_ip_config_lines_are_ip_and_optional_port(tmp_path):
    path = tmp_path / "ip.txt"
    path.write_text("10.0.0.1\n\n10.0.0.2 30060\n")
    assert read_ip_config(path) == [("10.0.0.1", 30050), ("10.0.0.2", 30060)]
    path.write_text("10.0.0.1\n10.0.0.2 port\n")
    with pytest.raises(HetgatError, match=r"ip.txt, line 2: expected 'IP \[PORT\]', got"):
        read_ip_config(path)
    path.write_text("\n")
    with pytest.raises(HetgatError, match="no machines listed"):
        read_ip_config(path)


def test_a_local_job_has_one_server_a_part_and_trainers_spread_over_the_parts(tmp_path):
    config = tmp_path / "g.json"
    job = local_job(config, 2, 3, ["--epochs", "2"], tmp_path)
    assert [p.name for p in job] == ["server 0", "server 1", "trainer 0", "trainer 1", "trainer 2"]
    lines = (tmp_path / "ip_config.txt").read_text().splitlines()
    ports = [int(line.split()[1]) for line in lines]
    assert [line.split()[0] for line in lines] == ["127.0.0.1"] * 2 and len(set(ports)) == 2
    servers, trainers = job[:2], job[2:]
    assert [p.env["DGL_SERVER_ID"] for p in servers] == ["0", "1"]
    assert all(p.env["DGL_ROLE"] == "server" for p in servers)
    assert [p.env["RANK"] for p in trainers] == ["0", "1", "2"]
    assert [p.env["HETGAT_DIST_MACHINE"] for p in trainers] == ["0", "1", "0"]
    assert {p.env["DGL_NUM_CLIENT"] for p in job} == {"3"}
    assert {p.env["HETGAT_DIST_JOB"] for p in job} == {job[0].env["HETGAT_DIST_JOB"]}
    assert [p.forward for p in job] == [False, False, True, False, False]
    assert job[2].argv[-3:] == [str(config.resolve()), "--epochs", "2"]
    assert job[2].argv[1:4] == ["-m", "hetgat.cli", "dist-fit"]


def test_an_ssh_job_runs_each_process_on_its_machine(tmp_path):
    ip = tmp_path / "ip.txt"
    ip.write_text("10.0.0.1\n10.0.0.2 30060\n")
    job = ssh_job(tmp_path / "g.json", 2, 2, ["--out", "my run"], ip)
    assert [p.argv[:4] for p in job] == [
        ["ssh", "-o", "BatchMode=yes", host] for host in ["10.0.0.1", "10.0.0.2"] * 2
    ]
    remote = shlex.split(job[3].argv[4])
    assert remote[:3] == ["cd", os.getcwd(), "&&"]
    assert "RANK=1" in remote and "MASTER_ADDR=10.0.0.1" in remote
    assert "HETGAT_DIST_MACHINE=1" in remote and remote[-2:] == ["--out", "my run"]
    with pytest.raises(HetgatError, match="lists 2 machine"):
        ssh_job(tmp_path / "g.json", 3, 2, [], ip)


# -- the real thing --------------------------------------------------------------------------


def left_behind(launcher_pid: int) -> list[int]:
    """Processes started by the launcher ``launcher_pid`` that are still running."""
    mark = f"HETGAT_DIST_PARENT={launcher_pid}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if mark in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def start(*args, cwd: Path, sigint=signal.SIG_DFL) -> subprocess.Popen:
    """``hetgat ARGS`` as its own process, with this checkout's code, started with ``sigint``
    as its SIGINT disposition (what the process inherits, whatever pytest's own is)."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "hetgat.cli", *map(str, args)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, sigint),
    )


def finish(proc: subprocess.Popen) -> subprocess.CompletedProcess:
    """Wait for ``proc`` (bounded in time); check that no process it started is left."""
    try:
        out, err = proc.communicate(timeout=JOB_TIMEOUT + 60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{shlex.join(proc.args)} hung:\n{err[-3000:]}")
    deadline = time.monotonic() + 10  # orphans notice their launcher is gone within 1 s
    while left_behind(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    stray = left_behind(proc.pid)
    for pid in stray:
        os.kill(pid, signal.SIGKILL)
    assert not stray, f"processes left running: {stray}"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def hetgat(*args, cwd: Path) -> subprocess.CompletedProcess:
    return finish(start(*args, cwd=cwd))


def wait_for(launcher: subprocess.Popen, rank: int) -> int:
    """The pid of the launcher's trainer ``rank``, once it runs."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pid in left_behind(launcher.pid):
            try:
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"RANK={rank}".encode() in env:
                return pid
        time.sleep(0.1)
    pytest.fail(f"trainer {rank} did not start")


@pytest.fixture(scope="module")
def cora_parts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cora")
    result = invoke("partition", *CORA, "--parts", 2, folder / "parts" / "cora", "-q")
    assert result.exit_code == 0, result.output
    return folder


def check_read_back(folder: Path, run: str) -> None:
    """``hetgat predict`` on one machine gives the run's own predictions."""
    result = invoke("predict", folder / run, "-o", folder / f"{run}.csv")
    assert result.exit_code == 0, result.output
    theirs = pd.read_csv(folder / run / "predictions.csv", keep_default_na=False)
    ours = pd.read_csv(folder / f"{run}.csv", keep_default_na=False)
    assert list(ours["id"]) == list(theirs["id"])
    probs = [c for c in ours.columns if c.startswith("prob_")]
    np.testing.assert_allclose(ours[probs].to_numpy(), theirs[probs].to_numpy(), atol=1e-5)


@needs_dgl
def test_gat_on_cora_with_two_servers_and_two_trainers(cora_parts, tmp_path):
    # The local form, with a time limit and fewer epochs.
    result = hetgat(
        "launch", "--local", "--trainers", 2, "--timeout", JOB_TIMEOUT, "parts/cora/cites.json",
        "--", "--model", "gat", "--epochs", 3, "--out", "run-dist",
        cwd=cora_parts,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cites gat (2 trainers, 2 parts): test accuracy" in result.stderr
    run = cora_parts / "run-dist"
    assert not (cora_parts / "run-dist.partial").exists()
    for name in ("model.pt", "config.json", "history.csv", "predictions.csv", "attention.csv"):
        assert (run / name).is_file()
    one = invoke("fit", *CORA, "--epochs", 1, "--out", tmp_path / "one", "-q", "--no-attention")
    assert one.exit_code == 0, one.output
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics.keys() == json.loads((tmp_path / "one" / "metrics.json").read_text()).keys()
    assert metrics["epochs_run"] == 3 and len(pd.read_csv(run / "history.csv")) == 3
    check_read_back(cora_parts, "run-dist")
    attention = pd.read_csv(run / "attention.csv", keep_default_na=False)
    sums = attention.groupby(["layer", "head", "dst"])["attention"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-4)


@needs_dgl
def test_simplehgn_on_acm_with_featureless_authors(tmp_path):
    result = invoke("partition", *ACM, "--parts", 2, tmp_path / "parts", "-q")
    assert result.exit_code == 0, result.output
    result = hetgat(
        "launch", "--local", "--trainers", 2, "--timeout", JOB_TIMEOUT, "parts/edges.json",
        "--", "--model", "simplehgn", "--layers", 2, "--fanouts", "5,5", "--batch-size", 256,
        "--epochs", 2, "--out", "run-acm",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "edges simplehgn (2 trainers, 2 parts)" in result.stderr
    check_read_back(tmp_path, "run-acm")
    model = pd.read_csv(tmp_path / "run-acm" / "attention.csv", keep_default_na=False)
    assert {"self-loop", "writes", "cites", "about"} <= set(model["edge_type"])


@needs_dgl
def test_a_server_that_dies_ends_the_job_with_one_error_line(cora_parts, tmp_path):
    shutil.copytree(cora_parts / "parts", tmp_path / "parts")
    (tmp_path / "parts" / "cora" / "part1" / "graph.dgl").write_bytes(b"not a graph")
    result = hetgat(
        "launch", "--local", "--timeout", JOB_TIMEOUT, "parts/cora/cites.json",
        "--", "--epochs", 2, "--out", "run-bad",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: server 1 exited with code "), result.stderr[-3000:]
    assert last.endswith("the job was stopped (4 processes); run-bad was not written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts"]


@needs_dgl
def test_a_trainer_that_dies_ends_the_job_with_one_error_line(cora_parts, tmp_path):
    launcher = start(
        "launch", "--local", "--trainers", 2, "--timeout", JOB_TIMEOUT,
        cora_parts / "parts" / "cora" / "cites.json",
        "--", "--epochs", 500, "--out", "run-killed",
        cwd=tmp_path,
    )  # fmt: skip
    os.kill(wait_for(launcher, 1), signal.SIGKILL)
    result = finish(launcher)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: trainer 1 was killed by SIGKILL; the job was stopped (4 processes); "
        "run-killed was not written"
    ), result.stderr[-3000:]
    assert list(tmp_path.iterdir()) == []


@needs_dgl
@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_ctrl_c_stops_every_process(cora_parts, tmp_path, sigint):
    # "ignored": how a shell script starts its background jobs (`hetgat launch ... &`), and how
    # this test ran in CI when the suite itself was started so; the launcher must still stop.
    launcher = start(
        "launch", "--local", "--timeout", JOB_TIMEOUT, cora_parts / "parts" / "cora" / "cites.json",
        "--", "--epochs", 500, "--out", "run-stopped",
        cwd=tmp_path, sigint=signal.SIG_IGN if sigint == "ignored" else signal.SIG_DFL,
    )  # fmt: skip
    wait_for(launcher, 1)
    launcher.send_signal(signal.SIGINT)
    result = finish(launcher)
    assert result.returncode == 130
    assert result.stderr.strip().splitlines()[-1] == "Interrupted."
    assert list(tmp_path.iterdir()) == []


@needs_dgl
def test_dist_fit_by_hand_says_to_use_launch(cora_parts, monkeypatch):
    monkeypatch.delenv("DGL_DIST_MODE", raising=False)
    monkeypatch.delenv("DGL_ROLE", raising=False)
    result = invoke("dist-fit", cora_parts / "parts" / "cora" / "cites.json", "--out", "x")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: `hetgat dist-fit` is one process of a job that `hetgat launch` starts "
        "(DGL_DIST_MODE=distributed is not set): run `hetgat launch --local PARTS/NAME.json "
        "-- OPTIONS` instead"
    )


@needs_dgl
def test_models_without_distributed_training_are_refused_before_any_process(cora_parts):
    config = cora_parts / "parts" / "cora" / "cites.json"
    result = invoke("launch", "--local", config, "--", "--model", "han", "--out", "x")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: --model: expected one of gat, gatv2, simplehgn for distributed training, got 'han'"
    )
    result = invoke("launch", "--local", config, "--", "--label-hops", 2, "--out", "x")
    assert result.output.strip() == (
        "Error: --label-hops: expected 0: the label input is not built on a DistGraph, got 2"
    )
    result = invoke("launch", "--local", config, "--", "--out", cora_parts / "parts")
    assert result.exit_code == 2 and "already exists" in result.output
