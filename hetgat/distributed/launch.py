"""``hetgat launch``: start a DistDGL job's graph servers and trainers, watch them, stop them.

Every process runs ``hetgat dist-fit PARTS/NAME.json FIT_OPTIONS``; the environment says what
it is (:mod:`hetgat.distributed.connect`): DGL's ``DGL_ROLE``, ``DGL_SERVER_ID``,
``DGL_NUM_SERVER`` (1), ``DGL_NUM_CLIENT`` (the trainers), ``DGL_CONF_PATH``,
``DGL_IP_CONFIG``, torch's ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``, and
hetgat's ``HETGAT_DIST_MACHINE`` (the part of the machine) and ``HETGAT_DIST_JOB``.

- **Local** (:func:`local_job`): machine ``i`` of the job is ``127.0.0.1`` with a free port,
  one per part; the ``ip_config`` file is written to a temporary folder, removed afterwards.
- **ssh** (:func:`ssh_job`): the machines of an ``ip_config`` file (``IP [PORT]`` a line, part
  ``i`` on line ``i``); each process is ``ssh IP 'cd CWD && env ... python -m hetgat.cli ...'``.

:func:`launch` checks the options, plans the processes and runs them
(:func:`hetgat.distributed.processes.run_job`: the first failure stops them all).
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
import tempfile
import uuid
from pathlib import Path

from hetgat.config import ModelConfig, TrainConfig
from hetgat.distributed.connect import WHAT, Parts
from hetgat.distributed.fit import settle
from hetgat.distributed.processes import Process, run_job
from hetgat.errors import ConfigError, HetgatError
from hetgat.outputs import check_out_folder
from hetgat.runs.settings import default_out
from hetgat.sparse.dgl_interop import require_dgl

#: DistDGL's default port of a graph server.
DEFAULT_PORT = 30050


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct ports that nothing listens on now (the OS picks them)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def read_ip_config(path: str | Path) -> list[tuple[str, int]]:
    """``(ip, port)`` of every machine of an ``ip_config`` file (DGL's format)."""
    machines = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise HetgatError(f"{path}: cannot read the `ip_config` file ({exc})") from None
    for number, line in enumerate(lines, 1):
        words = line.split()
        if not words:
            continue
        try:
            port = int(words[1]) if len(words) > 1 else DEFAULT_PORT
            if len(words) > 2 or not 0 < port < 65536:
                raise ValueError
        except ValueError:
            raise HetgatError(
                f"{path}, line {number}: expected 'IP [PORT]', got {line.strip()!r}"
            ) from None
        machines.append((words[0], port))
    if not machines:
        raise HetgatError(f"{path}: no machines listed (one 'IP [PORT]' a line)")
    return machines


def job_env(machines: list, part_config: Path, ip_config: Path, trainers: int, threads: int):
    """The environment of every process, then the ``(server, trainer)`` additions."""
    master = free_ports(1, machines[0][0])[0] if machines[0][0] == "127.0.0.1" else 29500
    common = {
        "DGL_DIST_MODE": "distributed",
        "DGL_NUM_SERVER": "1",
        "DGL_NUM_CLIENT": str(trainers),
        "DGL_NUM_SAMPLER": "0",
        "DGL_CONF_PATH": str(part_config),
        "DGL_IP_CONFIG": str(ip_config),
        "DGL_GRAPH_FORMAT": "csc,coo",
        "HETGAT_DIST_JOB": "hetgat-" + uuid.uuid4().hex[:12],
        "MASTER_ADDR": machines[0][0],
        "MASTER_PORT": str(master),
        "WORLD_SIZE": str(trainers),
        "OMP_NUM_THREADS": str(threads),
    }
    servers = [
        {"DGL_ROLE": "server", "DGL_SERVER_ID": str(i), "HETGAT_DIST_MACHINE": str(i)}
        for i in range(len(machines))
    ]
    clients = [
        {
            "DGL_ROLE": "default",
            "RANK": str(r),
            "LOCAL_RANK": str(r // len(machines)),
            "HETGAT_DIST_MACHINE": str(r % len(machines)),
        }
        for r in range(trainers)
    ]
    return common, servers, clients


def _fit_argv(part_config: Path, fit_args: list) -> list:
    return [sys.executable, "-m", "hetgat.cli", "dist-fit", str(part_config), *fit_args]


def local_job(part_config: Path, num_parts: int, trainers: int, fit_args: list, folder):
    """The processes of a job on this machine: one graph server per part on 127.0.0.1 (free
    ports; ``ip_config`` written in ``folder``) and ``trainers`` trainers spread over the parts.
    """
    if trainers < 1:
        raise ConfigError("trainers", trainers, "at least 1")
    machines = [("127.0.0.1", port) for port in free_ports(num_parts)]
    ip_config = Path(folder) / "ip_config.txt"
    ip_config.write_text("".join(f"{ip} {port}\n" for ip, port in machines), encoding="utf-8")
    threads = max(1, (os.cpu_count() or 1) // (num_parts + trainers))
    common, servers, clients = job_env(machines, part_config, ip_config, trainers, threads)
    # A process whose launcher is gone stops (see dist_fit): nothing outlives the job.
    common["HETGAT_DIST_PARENT"] = str(os.getpid())
    argv = _fit_argv(part_config.resolve(), fit_args)
    base = {**os.environ, **common}
    return [
        *(Process(f"server {i}", argv, {**base, **env}) for i, env in enumerate(servers)),
        *(Process(f"trainer {r}", argv, {**base, **env}, r == 0) for r, env in enumerate(clients)),
    ]


def ssh_job(part_config: Path, num_parts: int, trainers: int, fit_args: list, ip_config: Path):
    """The processes of a job on the machines of ``ip_config`` over ssh (password-less):
    machine ``i`` serves part ``i``; the partition folder, the working folder and this Python
    environment must be at the same paths on every machine."""
    machines = read_ip_config(ip_config)
    if len(machines) != num_parts:
        raise HetgatError(
            f"{ip_config} lists {len(machines)} machine(s) for {num_parts} parts: "
            "one machine a part (line i serves part i)"
        )
    if trainers < 1:
        raise ConfigError("trainers", trainers, "at least 1")
    common, servers, clients = job_env(
        machines, part_config.resolve(), ip_config.resolve(), trainers, 1
    )
    del common["OMP_NUM_THREADS"]
    argv = _fit_argv(part_config.resolve(), fit_args)
    processes = []
    for name, host, env in [
        *((f"server {i}", machines[i][0], e) for i, e in enumerate(servers)),
        *((f"trainer {r}", machines[r % num_parts][0], e) for r, e in enumerate(clients)),
    ]:
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in {**common, **env}.items())
        remote = f"cd {shlex.quote(os.getcwd())} && env {assignments} {shlex.join(argv)}"
        ssh = ["ssh", "-o", "BatchMode=yes", host, remote]
        processes.append(Process(name, ssh, dict(os.environ), name == "trainer 0"))
    return processes


def launch(
    part_config: str | Path,
    fit_args: list,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    trainers: int | None = None,
    ip_config: str | Path | None = None,
    timeout_s: float | None = None,
) -> Path:
    """Run ``hetgat dist-fit PART_CONFIG FIT_ARGS`` as a whole job, locally (``ip_config``
    None: servers and trainers on 127.0.0.1) or over ssh on the machines of ``ip_config``.

    ``model_config``, ``train_config``, ``out`` and ``overwrite`` are what ``fit_args`` say;
    they are checked here before any process starts. ``trainers`` defaults to one per part;
    ``out`` to ``runs/<name>-<model>-<time>`` (added to ``fit_args``). Returns the run folder,
    which exists when this returns.
    """
    require_dgl(WHAT)
    parts = Parts.read(part_config)
    settle(model_config, train_config, parts)
    fit_args = list(fit_args)
    if out is None:
        out = default_out(parts.graph_name, model_config.name)
        fit_args += ["--out", str(out)]
    out = Path(out)
    check_out_folder(out, overwrite, ("run",), parts.source.input_paths())
    trainers = parts.num_parts if trainers is None else trainers
    before = _stamp(out)
    try:
        if ip_config is not None:
            job = ssh_job(parts.part_config, parts.num_parts, trainers, fit_args, Path(ip_config))
            run_job(job, timeout_s)
        else:
            with tempfile.TemporaryDirectory(prefix="hetgat-launch-") as folder:
                job = local_job(parts.part_config, parts.num_parts, trainers, fit_args, folder)
                run_job(job, timeout_s)
    except HetgatError as exc:
        written = _stamp(out) not in (None, before)
        raise HetgatError(
            f"{exc}; "
            + (f"{out} had been written before" if written else f"{out} was not written"),
            params=exc.params,
        ) from None
    if not out.is_dir():
        raise HetgatError(f"the job ended without writing the run folder {out}")
    return out


def _stamp(folder: Path):
    """What tells a new run folder from the one there before (its ``metrics.json``'s time)."""
    try:
        return (folder / "metrics.json").stat().st_mtime_ns
    except OSError:
        return None
