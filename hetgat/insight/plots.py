"""Pictures of what a run's model learned (``hetgat plot``): the numbers of
:mod:`hetgat.insight.diagnostics` drawn by :mod:`hetgat.insight.figures`, into a run's
``plots/`` folder."""

from __future__ import annotations

import hashlib
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hetgat.errors import HetgatError
from hetgat.insight.diagnostics import (
    accuracy_by_degree,
    attention_entropy,
    embeddings,
    initial_model,
    labelled_nodes,
)
from hetgat.insight.figures import (
    PICTURES,
    degree_accuracy_figure,
    embedding_figure,
    entropy_figure,
    figure_bytes,
    require_plotting,
    semantic_figure,
    training_curves_figure,
)
from hetgat.insight.flags import near_uniform, semantic_notes, unstable
from hetgat.insight.projection import TSNE_MAX_POINTS, project_2d, sample
from hetgat.outputs import atomic_path, check_output_file
from hetgat.runs import run_output
from hetgat.runs.seeds import load_run_or_best, sibling_semantic
from hetgat.tables import semantic_frame

__all__ = [
    "PICTURES",
    "RunPictures",
    "draw_run",
    "figure_bytes",
    "require_plotting",
    "run_figures",
    "write_plots",
]


#: The embedding picture's 2-d points, kept in the plots folder so that ``report`` (and
#: ``plot`` again) do not project them anew; used only when the model and nodes are the same.
EMBEDDING_CACHE = "embedding.npz"


@dataclass
class RunPictures:
    """What :func:`draw_run` computed: ``figures`` (``{name: Figure}`` in :data:`PICTURES`
    order), the run's ``attention`` on its data, and ``notes`` flagging semantic attention that
    says little (:func:`hetgat.insight.flags.semantic_notes`)."""

    figures: dict
    attention: object
    notes: list = field(default_factory=list)


def run_figures(run, data=None, **options) -> dict:
    """Every picture that applies to ``run``, as ``{name: Figure}`` (see :func:`draw_run`)."""
    return draw_run(run, data, **options).figures


def draw_run(
    run,
    data=None,
    *,
    embedding: str = "auto",
    max_points: int | None = None,
    cache: str | Path | None = None,
) -> RunPictures:
    """Every picture that applies to ``run``, with the attention and notes they came from.

    Parameters
    ----------
    run : hetgat.runs.folder.Run
        A loaded run folder.
    data : GraphData, optional
        The graph to draw from [default: the run's own data, loaded again].
    embedding : str, default "auto"
        ``tsne``, ``pca`` or ``auto`` (t-SNE up to :data:`TSNE_MAX_POINTS` labelled nodes,
        PCA beyond).
    max_points : int, optional
        Most nodes in the embedding picture, a seeded sample [default:
        :data:`TSNE_MAX_POINTS`].
    cache : path, optional
        A folder holding (or to hold) :data:`EMBEDDING_CACHE`: the projected points of a
        previous call with the same model, nodes and ``embedding`` are reused, not recomputed
        (t-SNE takes minutes on thousands of nodes). None: always computed, nothing written.
    """
    require_plotting(tsne=embedding != "pca")
    log = logging.getLogger("hetgat")
    figures = {}
    history_path = run.path / "history.csv"
    if history_path.is_file():
        history = pd.read_csv(history_path)
        figures["training_curves"] = training_curves_figure(history, run.metrics.get("best_epoch"))
    data = run.load_data() if data is None else data
    probs, att = run_output(run, data, get_attention=True)
    nodes, classes = labelled_nodes(data)
    chosen = sample(nodes, max_points or TSNE_MAX_POINTS)
    keep = np.isin(nodes, chosen)
    key = _cache_key(run, embedding, nodes[keep])
    found = _read_cache(cache, key)
    if found is not None:
        points, method = found
        figures["embedding"] = embedding_figure(points, classes[keep], data.class_names, method)
    else:
        try:
            views = {
                "untrained (initial weights)": embeddings(initial_model(run, data), data),
                "trained": embeddings(run.model_for(data), data),
            }
        except HetgatError as exc:
            log.warning(f"embedding picture left out: {exc}")
        else:
            points, method = {}, None
            for title, h in views.items():
                points[title], method = project_2d(h[nodes[keep]], embedding)
            figures["embedding"] = embedding_figure(points, classes[keep], data.class_names, method)
            _write_cache(cache, key, points, method)
    table = accuracy_by_degree(data, probs)
    if len(table):
        figures["degree_accuracy"] = degree_accuracy_figure(table)
    groups = attention_entropy(att)
    if any(len(g.entropy) for g in groups):
        figures["attention_entropy"] = entropy_figure(groups)
    notes = []
    if att.semantic:
        what = "meta-path" if run.model_config.name == "han" else "relation"
        frame, seeds = semantic_frame(att.semantic), sibling_semantic(run)
        notes = semantic_notes(frame, seeds)
        flags = {k: "near uniform" for k in near_uniform(frame)}
        if seeds is not None:
            for k in unstable(seeds):
                flags[k] = (flags[k] + ", " if k in flags else "") + "unstable across seeds"
        figures["semantic_attention"] = semantic_figure(frame, what, flags)
    return RunPictures(figures, att, notes)


def _cache_key(run, embedding: str, nodes: np.ndarray) -> str:
    """What the projected points depend on: the weights, the projection and the nodes."""
    digest = hashlib.sha256()
    with open(run.path / "model.pt", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"{embedding}:{run.train_config.seed}:".encode())
    digest.update(np.ascontiguousarray(nodes, dtype=np.int64).tobytes())
    return digest.hexdigest()


def _read_cache(folder, key: str):
    if folder is None or not (Path(folder) / EMBEDDING_CACHE).is_file():
        return None
    try:
        with np.load(Path(folder) / EMBEDDING_CACHE, allow_pickle=False) as saved:
            if str(saved["key"]) != key:
                return None
            titles = [str(x) for x in saved["titles"]]
            points = {title: saved[f"points{i}"] for i, title in enumerate(titles)}
            return points, str(saved["method"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None  # damaged or from another version: computed again


def _write_cache(folder, key: str, points: dict, method: str) -> None:
    if folder is None or not Path(folder).is_dir():
        return
    arrays = {f"points{i}": xy for i, xy in enumerate(points.values())}
    with atomic_path(Path(folder) / EMBEDDING_CACHE) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, key=key, method=method, titles=np.array(list(points)), **arrays)


def write_plots(
    run_dir,
    out=None,
    *,
    svg: bool = False,
    overwrite: bool = False,
    unseen_nodes: str = "error",
    **options,
) -> list[Path]:
    """Draw the pictures of run folder ``run_dir`` into ``out`` [default: ``run_dir/plots``].

    Each picture is written atomically as ``<name>.png`` (and ``<name>.svg`` with ``svg``);
    ``options`` are those of :func:`draw_run`. Pictures that exist in ``out`` are replaced
    only with ``overwrite`` (in the default folder always), never a file of the run or an
    input. In the default folder the embedding's points are kept (:data:`EMBEDDING_CACHE`)
    for ``report``. A ``--runs`` folder draws its best seed (and says so). Notes on semantic
    attention that says little are logged as warnings. Returns the paths written.
    """
    require_plotting(tsne=options.get("embedding", "auto") != "pca")
    run = load_run_or_best(run_dir, unseen_nodes=unseen_nodes)
    default = run.path / "plots"
    out = Path(out) if out is not None else default
    if out.exists() and not out.is_dir():
        raise HetgatError(f"{out} exists and is not a folder")
    fmts = ("png", "svg") if svg else ("png",)
    ours = out.resolve() == default.resolve()
    if ours:  # hetgat's own folder in the run: the embedding's points are kept there
        out.mkdir(exist_ok=True)
    drawn = draw_run(run, cache=out if ours else None, **options)
    paths = [out / f"{n}.{fmt}" for n in drawn.figures for fmt in fmts]
    for path in paths:
        check_output_file(
            path, overwrite, protected=run.protected_paths(), replaceable=paths if ours else ()
        )
    out.mkdir(parents=True, exist_ok=True)
    for note in drawn.notes:
        logging.getLogger("hetgat").warning(note)
    written = []
    for name, fig in drawn.figures.items():
        for fmt in fmts:
            path = out / f"{name}.{fmt}"
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt)
            written.append(path)
    return written
