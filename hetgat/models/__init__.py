"""Node classifiers. :data:`MODELS` maps a ``--model`` name to its class."""

from hetgat.models.gat import GAT
from hetgat.models.gatv2 import GATv2

MODELS = {"gat": GAT, "gatv2": GATv2}


def build_model(config, in_feats: int, num_classes: int):
    """Instantiate the model a :class:`~hetgat.config.ModelConfig` describes."""
    from hetgat.errors import ConfigError

    if config.name not in MODELS:
        raise ConfigError("model", config.name, f"one of {', '.join(MODELS)}")
    kwargs = {k: v for k, v in vars(config).items() if k != "name"}
    return MODELS[config.name](in_feats, num_classes, **kwargs)


__all__ = ["GAT", "GATv2", "MODELS", "build_model"]
