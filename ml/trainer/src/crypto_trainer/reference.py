"""Training-split feature distributions, for the PSI drift monitor.

Edges are the deciles (0%, 10%, ..., 100%) of the feature on the training split, de-duplicated.
Bin i is [edges[i], edges[i+1]) except the last, which is closed; a live value below edges[0] counts
in the first bin and one above edges[-1] in the last (bin = number of interior edges <= value).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def decile_reference(values: np.ndarray) -> dict[str, list[float]]:
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, 11)))
    if len(edges) == 1:
        return {"edges": [float(edges[0]), float(edges[0])], "fractions": [1.0]}
    bins = np.searchsorted(edges[1:-1], values, side="right")
    counts = np.bincount(bins, minlength=len(edges) - 1)
    return {"edges": [float(e) for e in edges], "fractions": [float(c) for c in counts / len(values)]}


def feature_reference(x_train: np.ndarray, features: Sequence[str]) -> dict[str, dict[str, list[float]]]:
    return {name: decile_reference(x_train[:, i]) for i, name in enumerate(features)}
