"""Loaders. Every loader returns one :class:`~hetgat.data.GraphData`.

:func:`load_graph` reads a GRAPH argument of the CLI: ``planetoid:cora``, ``planetoid:citeseer``
or ``planetoid:pubmed``.
"""

from __future__ import annotations

from hetgat.errors import ConfigError

SOURCES = ("planetoid",)


def load_graph(spec: str, data_dir: str | None = None, **options):
    """Load the graph a GRAPH argument names.

    Parameters
    ----------
    spec : str
        ``<source>:<name>``, e.g. ``planetoid:cora``.
    data_dir : str, optional
        Folder holding the files; default ``$HETGAT_DATA/<source>`` or
        ``~/.hetgat/data/<source>``.
    **options
        Passed to the source's loader (e.g. ``normalize_features``).
    """
    source, sep, name = spec.partition(":")
    if not sep or not name:
        raise ConfigError("GRAPH", spec, "planetoid:cora|citeseer|pubmed")
    if source == "planetoid":
        from hetgat.datasets.planetoid import load_planetoid

        return load_planetoid(name, data_dir, **options)
    raise ConfigError("GRAPH", spec, f"a source among {', '.join(SOURCES)} (e.g. planetoid:cora)")


__all__ = ["load_graph"]
