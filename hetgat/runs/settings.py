"""What a fit job is and the rules for settling it, whoever asks (the CLI or a Python caller).

- :func:`read_settings`: the one reader of a run's ``config.json`` and an interrupted job's
  ``job.json`` (the data source and the two configurations), refusing tampered files with one
  :class:`~hetgat.errors.DataFormatError`.
- :func:`merge_settings`: saved settings with the values given anew (``hetgat fit --config``).
- :func:`check_seeds`, :func:`default_out`, :data:`RESUME_KEEPS`: the seed range, the default
  output folder, what may accompany a resume.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

from hetgat.config import ModelConfig, TrainConfig, from_dict
from hetgat.datasets.source import DataSource
from hetgat.errors import ConfigError, DataFormatError, HetgatError

#: NumPy's seeds are 32-bit: seeds SEED..SEED+RUNS-1 must stay below this.
SEED_LIMIT = 2**32

#: Parameters that may be given with a resume (they do not change what is trained).
RESUME_KEEPS = frozenset({"threads", "quiet", "checkpoint_every", "resume"})

#: The folder runs go to when no output folder is given.
RUNS_FOLDER = "runs"


@dataclass(frozen=True)
class Settings:
    """A data source and the model and training configurations read from a JSON file;
    ``extra`` holds the file's other top-level keys (a job's ``runs``, ``attention``)."""

    source: DataSource
    model_config: ModelConfig
    train_config: TrainConfig
    extra: dict = dataclasses.field(default_factory=dict)


def _load_json(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFormatError(path, "file not found") from None
    except IsADirectoryError:
        raise DataFormatError(path, "a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, f"not UTF-8 text ({exc.reason})") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise DataFormatError(path, "not valid JSON (nested too deeply)") from None
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, f"not valid JSON ({exc.msg})", line=exc.lineno) from None


def read_settings(path: str | Path, what: str = "run configuration") -> Settings:
    """``source``, ``model`` and ``train`` of a run's ``config.json`` or a job's ``job.json``."""
    path = Path(path)
    saved = _load_json(path)
    try:
        if not isinstance(saved, dict):
            raise TypeError("not a JSON object")
        source = saved["source"]  # null: a run of data given in memory
        return Settings(
            source=None if source is None else DataSource.from_dict(source),
            model_config=from_dict(ModelConfig, saved["model"]),
            # a run folder written before Correct and Smooth existed had none
            train_config=from_dict(TrainConfig, {"correct_smooth": 0.0, **saved["train"]}),
            extra={k: v for k, v in saved.items() if k not in ("source", "model", "train")},
        )
    except KeyError as exc:
        raise DataFormatError(path, f"not a {what} (no {exc} key)") from None
    except (ConfigError, TypeError, ValueError) as exc:
        raise DataFormatError(path, f"not a valid {what} ({exc})") from None


def merge_settings(
    saved: Settings,
    *,
    model: str | None = None,
    model_values: dict | None = None,
    train_values: dict | None = None,
) -> tuple[ModelConfig, TrainConfig]:
    """The saved configurations with the values given anew.

    Another ``model`` than the saved one starts from that model's own defaults, not from the
    saved values (which were chosen for another architecture).
    """
    model_values, train_values = model_values or {}, train_values or {}
    if model is not None and model != saved.model_config.name:
        return (
            ModelConfig.for_model(model, **model_values),
            TrainConfig.for_model(model, **train_values),
        )
    return (
        dataclasses.replace(saved.model_config, **model_values),
        dataclasses.replace(saved.train_config, **train_values),
    )


def check_seeds(seed: int, runs: int) -> None:
    """Refuse ``runs`` seeds from ``seed`` on that leave NumPy's 32-bit range."""
    if seed + runs - 1 > SEED_LIMIT - 1:
        raise ConfigError(
            "runs", runs, f"at most {SEED_LIMIT - seed} with `seed` {seed}", params=("seed",)
        )


def check_resume(given) -> None:
    """Refuse settings given beside a resume: it continues with its own."""
    extra = sorted(set(given) - RESUME_KEEPS)
    if extra:
        raise HetgatError(
            f"`resume` continues a run with its own settings: drop `{extra[0]}`",
            params=("resume", extra[0]),
        )


def default_out(data_name: str, model_name: str) -> Path:
    """``runs/<data>-<model>-<YYYYmmdd-HHMMSS>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(RUNS_FOLDER) / f"{data_name}-{model_name}-{stamp}"
