"""Run folders: what ``hetgat fit`` writes and every later command reads.

- :mod:`hetgat.runs.folder`: write and load a run folder (:class:`Run`).
- :mod:`hetgat.runs.apply`: the one place that runs a saved model (predictions, attention).
- :mod:`hetgat.runs.fit`: train one or several seeds into run folders, resume an interrupted job.
- :mod:`hetgat.runs.settings`: reading saved settings, merging new values, seeds, default folder.
"""

from hetgat.runs.apply import run_attention, run_output, run_predictions, run_semantic
from hetgat.runs.fit import fit_runs, read_job
from hetgat.runs.folder import Run, load_run, save_run, write_run

__all__ = [
    "Run",
    "fit_runs",
    "load_run",
    "read_job",
    "run_attention",
    "run_output",
    "run_predictions",
    "run_semantic",
    "save_run",
    "write_run",
]
