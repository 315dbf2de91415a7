"""hetgat: graph attention networks on homogeneous and heterogeneous graphs.

The public names are imported lazily so that ``hetgat --help`` starts instantly.
"""

__version__ = "0.1.0"

_LAZY = {
    "GraphData": "hetgat.data",
    "ModelConfig": "hetgat.config",
    "TrainConfig": "hetgat.config",
    "HetgatError": "hetgat.errors",
    "DataFormatError": "hetgat.errors",
    "load_graph": "hetgat.datasets",
    "from_pandas": "hetgat.datasets.frames",
    "from_pyg": "hetgat.datasets.pyg",
    "to_pyg": "hetgat.datasets.pyg",
    "GraphDataError": "hetgat.errors",
    "load_planetoid": "hetgat.datasets.planetoid",
    "load_csv_graph": "hetgat.datasets.csv",
    "load_csv_folder": "hetgat.datasets.csv",
    "load_hgb": "hetgat.datasets.hgb",
    "load_han": "hetgat.datasets.han",
    "fit": "hetgat.runs.library",
    "load": "hetgat.runs.library",
    "Run": "hetgat.runs.run",
    "evaluate": "hetgat.train",
    "predict": "hetgat.train",
    "save_run": "hetgat.runs",
    "load_run": "hetgat.runs",
    "attention_frames": "hetgat.tables",
    "GAT": "hetgat.models",
    "GATv2": "hetgat.models",
    "HAN": "hetgat.models",
    "HGT": "hetgat.models",
    "RGAT": "hetgat.models",
    "SimpleHGN": "hetgat.models",
    "MODELS": "hetgat.models",
    "build_model": "hetgat.runs.library",
    "NeighborLoader": "hetgat.train.graph_model",
    "GraphModel": "hetgat.train.graph_model",
    "Schema": "hetgat.data",
    "Attention": "hetgat.records",
    "DataSource": "hetgat.datasets.source",
    "semantic_frame": "hetgat.tables",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hetgat' has no attribute {name!r}")
