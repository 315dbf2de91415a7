"""The job runner: the first failure stops every process and names it; a timeout and Ctrl-C
stop everything; a clean job returns. Processes here are tiny Python scripts, not DistDGL."""

import os
import signal
import sys
import threading
import time

import pytest

from hetgat.distributed import processes
from hetgat.distributed.processes import Process, run_job
from hetgat.errors import HetgatError


def script(name: str, code: str, forward: bool = False) -> Process:
    return Process(name, [sys.executable, "-c", code], {}, forward)


SERVER = "import time\nwhile True: time.sleep(0.1)"


def all_stopped(job: list) -> bool:
    return all(p.popen.poll() is not None for p in job)


def test_a_clean_job_returns_and_leaves_nothing_running():
    job = [
        script("server 0", "import time; time.sleep(0.5)"),
        script("trainer 0", "print('done')"),
        script("trainer 1", "pass"),
    ]
    run_job(job, timeout_s=60)
    assert all_stopped(job)


def test_a_failed_trainer_stops_the_job_with_its_own_error_line():
    job = [
        script("server 0", SERVER),
        script("trainer 0", SERVER),
        script(
            "trainer 1",
            "import sys; print('a log'); print('Error: no labels', file=sys.stderr); sys.exit(2)",
        ),
    ]
    start = time.monotonic()
    with pytest.raises(HetgatError) as caught:
        run_job(job, timeout_s=60)
    assert str(caught.value) == (
        "trainer 1 exited with code 2: no labels; the job was stopped (3 processes)"
    )
    assert all_stopped(job) and time.monotonic() - start < 30


def test_a_crashed_server_is_named_with_the_last_line_of_its_traceback():
    job = [
        script("server 0", "import time; time.sleep(0.3); raise IndexError('index 3 is out')"),
        script("trainer 0", SERVER),
    ]
    with pytest.raises(HetgatError, match=r"^server 0 exited with code 1: IndexError: index 3"):
        run_job(job, timeout_s=60)
    assert all_stopped(job)


def test_a_killed_process_is_named_with_its_signal():
    job = [script("server 0", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")]
    job.append(script("trainer 0", SERVER))
    with pytest.raises(HetgatError, match="^server 0 was killed by SIGKILL"):
        run_job(job, timeout_s=60)
    assert all_stopped(job)


def test_a_process_that_ignores_sigterm_is_killed(monkeypatch):
    monkeypatch.setattr(processes, "GRACE_S", 0.5)
    stubborn = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + SERVER
    job = [script("server 0", stubborn), script("trainer 0", "import sys; sys.exit(3)")]
    with pytest.raises(HetgatError, match="trainer 0 exited with code 3"):
        run_job(job, timeout_s=60)
    assert all_stopped(job) and job[0].popen.returncode == -9


def test_the_timeout_stops_a_hung_job():
    job = [script("server 0", SERVER), script("trainer 0", SERVER)]
    with pytest.raises(HetgatError, match=r"ran past `timeout` \(1 s\) and was stopped"):
        run_job(job, timeout_s=1)
    assert all_stopped(job)


def test_ctrl_c_stops_every_process(monkeypatch):
    job = [script("server 0", SERVER), script("trainer 0", SERVER)]
    calls = []

    def interrupt(seconds):
        calls.append(seconds)
        if len(calls) > 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(processes, "_pause", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_job(job, timeout_s=60)
    assert all_stopped(job)


def test_a_real_sigint_stops_the_job_even_when_sigint_was_ignored():
    """A shell script starts its background jobs with SIGINT ignored, and Python keeps it so:
    the runner takes SIGINT back while the job runs, and gives the old disposition back."""
    job = [script("server 0", SERVER), script("trainer 0", SERVER)]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            run_job(job, timeout_s=10)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert all_stopped(job)


def test_rank_0s_messages_come_through_to_the_last_line(capsys):
    code = (
        "import sys\nprint('[rank0]:[W1204] Warning: a torch warning', file=sys.stderr)\n"
        "for i in range(300): print(f'line {i}', file=sys.stderr)"
    )
    run_job([script("server 0", "pass"), script("trainer 0", code, forward=True)], timeout_s=60)
    assert capsys.readouterr().err.splitlines() == [f"line {i}" for i in range(300)]
