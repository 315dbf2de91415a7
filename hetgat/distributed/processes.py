"""Running the processes of a job: start them, watch them, stop them all.

:func:`run_job` starts every :class:`Process` in its own session (so that Ctrl-C reaches the
launcher, which then stops them in order), forwards the messages of the one marked
``forward`` (rank 0), and ends the whole job as soon as one process fails, on Ctrl-C or after
``timeout_s``: every process it started is terminated (its process group), then killed after
:data:`GRACE_S` seconds. The error names the process and repeats its own last message (its
``Error:`` line, or the last exception line of its traceback).
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from hetgat.errors import HetgatError

#: Seconds between terminating a process and killing it.
GRACE_S = 5.0
#: Lines of each process's output kept for the error message.
TAIL = 40


@dataclass
class Process:
    """One process of a job: its name (``server 0``, ``trainer 1``), command and environment."""

    name: str
    argv: list
    env: dict
    forward: bool = False  # forward its stderr (rank 0's messages) to ours
    popen: subprocess.Popen | None = None
    tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=TAIL))
    readers: list = field(default_factory=list)

    def drain(self, timeout_s: float = 5.0) -> None:
        """Wait until the output of the exited process has been read to its end."""
        for reader in self.readers:
            reader.join(timeout_s)

    @property
    def is_server(self) -> bool:
        return self.name.startswith("server")


def _pump(stream, process: Process, forward: bool) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        process.tail.append(line)
        # Messages until a traceback starts (the job's error line says what went wrong);
        # not torch's own lines, which it marks with the rank.
        forward = forward and not RANK_PREFIX.sub("", line).startswith("Traceback")
        if forward and not RANK_PREFIX.match(line):
            print(line, file=sys.stderr, flush=True)
    stream.close()


def _start(process: Process) -> None:
    process.popen = subprocess.Popen(
        process.argv,
        env=process.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # Ctrl-C reaches the launcher, which stops everything
    )
    for stream, forward in ((process.popen.stdout, False), (process.popen.stderr, process.forward)):
        reader = threading.Thread(target=_pump, args=(stream, process, forward), daemon=True)
        reader.start()
        process.readers.append(reader)


def stop_all(processes: list) -> None:
    """Terminate every running process (its whole process group), then kill what is left."""
    running = [p.popen for p in processes if p.popen is not None and p.popen.poll() is None]
    for popen in running:
        _signal(popen, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for popen in running:
        try:
            popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(popen, signal.SIGKILL)
            popen.wait()


def _signal(popen: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(popen.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _last_message(process: Process, plain_lines: bool = True) -> str:
    """The process's own ``Error:`` line, else the last exception line of its traceback,
    else (``plain_lines``) its last line; "" if none."""
    lines = [RANK_PREFIX.sub("", line).strip() for line in process.tail]
    lines = [line for line in lines if line]
    for pattern in (ERROR_LINE, EXCEPTION_LINE):
        found = [line for line in lines if pattern.match(line)]
        if found:
            return ERROR_LINE.sub("", found[-1])
    return lines[-1] if lines and plain_lines else ""


#: torch.distributed prefixes a trainer's traceback lines with its rank.
RANK_PREFIX = re.compile(r"^\[rank\d+\]:\s?")
ERROR_LINE = re.compile(r"^Error:\s*")
EXCEPTION_LINE = re.compile(r"^[\w.]*(Error|Exception|Interrupt|Exit)\b")


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def run_job(processes: list, timeout_s: float | None = None, poll_s: float = 0.2) -> None:
    """Run a job to its end: return when every trainer has finished well; otherwise stop every
    process and raise a :class:`HetgatError` naming the first that failed (or the timeout)."""
    start = time.monotonic()
    with _ctrl_c_interrupts():
        _run(processes, start, timeout_s, poll_s)


@contextlib.contextmanager
def _ctrl_c_interrupts():
    """Ctrl-C (SIGINT) raises :class:`KeyboardInterrupt` while the job runs, also where the
    launcher was started with SIGINT ignored: a shell script starts its background jobs so,
    and Python then leaves SIGINT ignored. ``hetgat fit`` takes SIGINT during training the
    same way (its checkpoint handler)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _run(processes: list, start: float, timeout_s: float | None, poll_s: float) -> None:
    try:
        for process in processes:
            _start(process)
        trainers = [p for p in processes if not p.is_server]
        while True:
            for p in processes:
                code = p.popen.poll()
                # A server exits 0 when the trainers have shut it down, and only then.
                if code is not None and code != 0:
                    p.drain()
                    if os.environ.get("HETGAT_TRACEBACK", "") not in ("", "0"):
                        for line in p.tail:
                            print(f"[{p.name}] {line}", file=sys.stderr)
                    said = _last_message(p, plain_lines=code > 0)
                    raise HetgatError(
                        f"{p.name} {_describe(code)}{': ' + said if said else ''}; "
                        f"the job was stopped ({len(processes)} processes)"
                    )
            if _done(trainers):
                break
            if timeout_s is not None and time.monotonic() - start > timeout_s:
                raise HetgatError(
                    f"the job ran past `timeout` ({timeout_s:g} s) and was stopped "
                    f"({len(processes)} processes)",
                    params=("timeout",),
                )
            _pause(poll_s)
        # The trainers' exit shuts the graph servers down; give them a moment.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(p.popen.poll() is None for p in processes):
            _pause(poll_s)
    finally:
        stop_all(processes)
        for p in processes:  # rank 0's last messages (its summary) come through
            p.drain()


def _pause(seconds: float) -> None:
    """Wait between looks at the processes (where Ctrl-C usually lands)."""
    time.sleep(seconds)


def _done(trainers: list) -> bool:
    return all(p.popen.poll() == 0 for p in trainers)
