"""Joining a DistDGL job: what ``hetgat partition`` wrote, the graph server, the trainer's
connection (DGL's client, torch's process group, the ``DistGraph``).

Every process of a job is ``hetgat dist-fit PARTS/NAME.json`` (DGL's convention: the training
script is also the server script); DGL's environment says which role it plays:
``DGL_ROLE=server`` runs the graph server of one part (:func:`serve`), anything else a trainer
(:func:`connect`). ``hetgat launch`` sets that environment (:mod:`hetgat.distributed.launch`).

Two departures from DGL's defaults, both so that several parts can be served from one host
(``hetgat launch --local``) and several jobs can share a host:

- A graph server keeps its part's structure out of shared memory (``disable_shared_mem``);
  trainers open the ``DistGraph`` with the partition book of their machine and sample through
  the servers. DGL names the shared memory of a part's structure after the graph, the same
  for every part, so two servers on one host overwrite each other's.
- The shared memory that DGL's key-value store always uses (features, new ``DistTensor``
  rows) is named per job and per part (:data:`JOB`); DGL names it after the data only.

``HETGAT_DIST_MACHINE`` (set by ``hetgat launch``) tells a trainer which machine, hence which
part, is its own; DGL otherwise takes the first line of ``ip_config`` with one of the host's
addresses, which makes every trainer of a one-host job a trainer of part 0.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from hetgat.data import Schema
from hetgat.datasets.source import DataSource
from hetgat.errors import HetgatError
from hetgat.sparse.dgl_interop import require_dgl

#: Names the shared memory of one job (``hetgat launch`` sets it; unset: DGL's own names).
JOB = "HETGAT_DIST_JOB"
#: The machine (index in ``ip_config``, hence the part) a process runs on.
MACHINE = "HETGAT_DIST_MACHINE"
#: Graph formats a server builds: CSC for sampling in-edges, COO for ``find_edges``.
GRAPH_FORMATS = ("csc", "coo")
WHAT = "distributed training (hetgat launch, hetgat dist-fit)"


@dataclass(frozen=True)
class Parts:
    """A partition folder written by ``hetgat partition`` (``hetgat.json`` beside the
    partition config)."""

    part_config: Path
    graph_name: str
    num_parts: int
    schema: Schema
    source: DataSource | None
    node_ids: Path

    @classmethod
    def read(cls, part_config: str | Path) -> Parts:
        part_config = Path(part_config)
        if not part_config.is_file():
            raise HetgatError(f"{part_config}: no such partition config (a `part_config` file)")
        meta = part_config.parent / "hetgat.json"
        if not meta.is_file():
            raise HetgatError(
                f"{part_config} was not written by `hetgat partition` (no {meta.name} beside it)"
            )
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            dgl_info = json.loads(part_config.read_text(encoding="utf-8"))
            parts = cls(
                part_config=part_config,
                graph_name=info["graph_name"],
                num_parts=int(dgl_info["num_parts"]),
                schema=Schema.from_dict(info["schema"]),
                source=DataSource.from_dict(info["source"]) if info.get("source") else None,
                node_ids=part_config.parent / "node_ids.csv",
            )
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise HetgatError(f"{meta}: not a partition description ({exc})") from None
        if info.get("part_config") != part_config.name:
            raise HetgatError(f"{meta} describes {info.get('part_config')}, not {part_config.name}")
        return parts


def watch_parent() -> None:
    """Exit this process at once when the launcher that started it is gone
    (``HETGAT_DIST_PARENT``, set by ``hetgat launch --local``): a killed launcher leaves no
    graph server or trainer behind waiting for the others."""
    parent = os.environ.get("HETGAT_DIST_PARENT")
    if not parent or not parent.isdigit():
        return

    def watch():
        while os.getppid() == int(parent):
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="hetgat-watch-parent", daemon=True).start()


def check_launched() -> None:
    """Refuse to run as a trainer outside a job (``hetgat launch`` sets DGL's environment)."""
    if os.environ.get("DGL_DIST_MODE") != "distributed":
        raise HetgatError(
            "`hetgat dist-fit` is one process of a job that `hetgat launch` starts "
            "(DGL_DIST_MODE=distributed is not set): run `hetgat launch --local PARTS/NAME.json "
            "-- OPTIONS` instead"
        )


def role() -> str:
    """``"server"`` or ``"trainer"``, from DGL's ``DGL_ROLE``."""
    return "server" if os.environ.get("DGL_ROLE") == "server" else "trainer"


def _env_int(name: str, default: int | None = None) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise HetgatError(
            f"{name}={value!r} in the environment: a DistDGL process is started by "
            "`hetgat launch`, which sets DGL_ROLE, DGL_SERVER_ID, DGL_NUM_SERVER, DGL_NUM_CLIENT, "
            "DGL_CONF_PATH and DGL_IP_CONFIG"
        ) from None


def _check_one_server() -> None:
    # Backup servers share their main server's structure through shared memory, which
    # hetgat's servers do not use (see the module notes).
    if _env_int("DGL_NUM_SERVER", 1) != 1:
        raise HetgatError("DGL_NUM_SERVER must be 1: hetgat runs one graph server per machine")


def name_shared_memory(dgl, part: int) -> None:
    """Prefix the shared memory of DGL's key-value store with this job and ``part``."""
    job = os.environ.get(JOB)
    if not job:
        return
    kvstore = dgl.distributed.kvstore
    create = getattr(kvstore.empty_shared_mem, "__wrapped__", kvstore.empty_shared_mem)

    def empty_shared_mem(name, *args):
        return create(f"{job}-{part}-{name}", *args)

    empty_shared_mem.__wrapped__ = create
    kvstore.empty_shared_mem = empty_shared_mem


def serve(part_config: str | Path) -> None:
    """Run the graph server of this machine's part until the trainers have finished.

    Reads DGL's ``DGL_SERVER_ID``, ``DGL_IP_CONFIG``, ``DGL_NUM_SERVER`` (1) and
    ``DGL_NUM_CLIENT`` (all trainers).
    """
    dgl = require_dgl(WHAT)
    Parts.read(part_config)
    _check_one_server()
    server_id = _env_int("DGL_SERVER_ID")
    name_shared_memory(dgl, server_id)
    server = dgl.distributed.DistGraphServer(
        server_id,
        os.environ.get("DGL_IP_CONFIG", "ip_config.txt"),
        1,
        _env_int("DGL_NUM_CLIENT"),
        str(part_config),
        disable_shared_mem=True,
        graph_format=list(GRAPH_FORMATS),
    )
    server.start()


@dataclass
class Session:
    """A trainer's view of the job: the ``DistGraph``, its rank, its machine, the parts."""

    dgl: object
    graph: object
    parts: Parts
    rank: int
    world_size: int
    machine: int

    @property
    def partition_book(self):
        return self.graph.get_partition_book()

    def barrier(self) -> None:
        """Wait for every trainer (torch's process group)."""
        import torch.distributed as dist

        dist.barrier()


@contextlib.contextmanager
def quiet_stderr():
    """DGL's C++ core logs its connections to stderr; send them to stdout (the log)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        os.dup2(1, 2)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def connect(parts: Parts, timeout_s: float = 1800):
    """Join the job as a trainer: DGL's client, torch's ``gloo`` process group (``RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) and the ``DistGraph``; yields a
    :class:`Session`.

    On the way out DGL's client leaves (the last one stops the servers). A trainer that fails
    leaves at once instead: waiting for the others at DGL's exit barrier would hang the job.
    """
    import torch.distributed as dist

    dgl = require_dgl(WHAT)
    _check_one_server()
    if _env_int("DGL_NUM_SAMPLER", 0) != 0:
        raise HetgatError("DGL_NUM_SAMPLER must be 0: hetgat's trainers sample in-process")
    machine = os.environ.get(MACHINE)
    if machine is not None:
        machine = int(machine)
        dgl.distributed.rpc_client.get_local_machine_id = lambda namebook: machine
    with quiet_stderr():
        dgl.distributed.initialize(os.environ.get("DGL_IP_CONFIG", "ip_config.txt"))
    try:
        machine = dgl.distributed.rpc.get_machine_id()
        name_shared_memory(dgl, machine)
        dist.init_process_group("gloo", timeout=timedelta(seconds=timeout_s))
        book = dgl.distributed.load_partition_book(str(parts.part_config), machine)[0]
        with quiet_stderr():
            graph = dgl.distributed.DistGraph(parts.graph_name, gpb=book)
        yield Session(dgl, graph, parts, dist.get_rank(), dist.get_world_size(), machine)
    except BaseException:
        # Leave without DGL's exit barrier, and keep DistTensors from deleting their data
        # (a collective) while the interpreter unwinds.
        dgl.distributed.dist_context.set_initialized(False)
        atexit.unregister(dgl.distributed.exit_client)
        raise
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    with quiet_stderr():
        dgl.distributed.exit_client()
