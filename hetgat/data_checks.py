"""The checks :meth:`hetgat.data.GraphData.validate` runs on each field: one
:class:`~hetgat.errors.GraphDataError` naming the field, and the forms PyG users write made to
fit (numpy arrays, float64, scipy sparse features, index masks)."""

from __future__ import annotations

import numpy as np
import torch

from hetgat.errors import GraphDataError


def listed(names) -> str:
    return ", ".join(map(repr, names))


def checked_features(ntype: str, values, count: int) -> torch.Tensor:
    """``values`` as an ``(count, F)`` tensor (dense or sparse CSR) of torch's default dtype,
    the dtype of the model's weights (float32 unless the caller set another)."""
    field = f"features[{ntype!r}]"
    if isinstance(values, np.ndarray):
        values = torch.from_numpy(values)
    elif hasattr(values, "tocsr") and hasattr(values, "shape"):  # scipy.sparse
        csr = values.tocsr()
        values = torch.sparse_csr_tensor(
            torch.from_numpy(csr.indptr).long(),
            torch.from_numpy(csr.indices).long(),
            torch.from_numpy(csr.data),
            size=csr.shape,
            check_invariants=True,
        )
    if not isinstance(values, torch.Tensor):
        raise GraphDataError(field, f"a tensor or array, got {type(values).__name__}")
    if values.dim() != 2:
        raise GraphDataError(field, f"a 2-D (nodes, features) matrix, got {values.dim()}-D")
    if values.shape[0] != count:
        raise GraphDataError(field, f"{values.shape[0]} rows, but type {ntype!r} has {count} nodes")
    if values.is_complex():
        raise GraphDataError(field, f"real numbers, got {values.dtype}")
    dtype = torch.get_default_dtype()
    return values if values.dtype == dtype else values.to(dtype)


def checked_labels(labels, count: int, classes: int, multilabel: bool) -> torch.Tensor:
    if isinstance(labels, np.ndarray):
        labels = torch.from_numpy(labels)
    if not isinstance(labels, torch.Tensor):
        raise GraphDataError("labels", f"a tensor, got {type(labels).__name__}")
    if len(labels) != count:
        raise GraphDataError("labels", f"{len(labels)} rows for {count} target nodes")
    if labels.device.type == "meta":
        return labels
    if multilabel:
        if labels.dim() != 2 or labels.shape[1] != classes:
            raise GraphDataError(
                "labels", f"multi-label: a ({count}, {classes}) 0/1 matrix, got "
                f"{tuple(labels.shape)}"
            )  # fmt: skip
        labels = labels.to(torch.get_default_dtype())
        if not bool(((labels == 0) | (labels == 1)).all()):
            raise GraphDataError("labels", "multi-label: only 0 and 1")
        return labels
    if labels.dim() != 1 or labels.is_floating_point() or labels.dtype == torch.bool:
        raise GraphDataError(
            "labels", f"one class index per node, ({count},) integers with -1 for unlabelled "
            f"(got {tuple(labels.shape)} {labels.dtype}; multi-label data sets multilabel=True)"
        )  # fmt: skip
    labels = labels.long()
    if len(labels) and (int(labels.min()) < -1 or int(labels.max()) >= classes):
        bad = labels[(labels < -1) | (labels >= classes)][0]
        raise GraphDataError(
            "labels", f"class index {int(bad)} out of range: {classes} classes, -1 = unlabelled"
        )
    return labels


def checked_mask(name: str, mask, count: int) -> torch.Tensor:
    """A bool mask over the ``count`` target nodes; an integer tensor is read as node
    indices (PyG's ``train_idx``)."""
    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(mask)
    if not isinstance(mask, torch.Tensor):
        raise GraphDataError(name, f"a bool mask or an index tensor, got {type(mask).__name__}")
    if mask.dtype == torch.bool:
        if mask.shape != (count,):
            raise GraphDataError(
                name, f"a bool mask of {count} values, got shape {tuple(mask.shape)}"
            )
        return mask
    if mask.is_floating_point() or mask.dim() != 1:
        raise GraphDataError(name, f"a bool mask or a 1-D index tensor, got {mask.dtype}")
    index = mask.long()
    if len(index) and (int(index.min()) < 0 or int(index.max()) >= count):
        raise GraphDataError(name, f"node index out of range: {count} target nodes")
    out = torch.zeros(count, dtype=torch.bool, device=mask.device)
    out[index] = True
    return out
