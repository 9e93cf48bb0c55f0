"""Feature preprocessing fitted on the training split: imputation, standardisation, one-hot.

The same statistics drive two implementations that must agree bit for bit: `transform` here
(numpy, for training) and the ONNX nodes in export.py (for serving). Both compute in float32
with the same elementwise operations in the same order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .config import Schema
from .data import CATEGORICAL_TYPES


@dataclass(frozen=True)
class NumericFeature:
    name: str
    type: str
    fill: float  # training median, replaces NaN (missing)
    mean: float
    std: float


@dataclass(frozen=True)
class CategoricalFeature:
    name: str
    type: str
    categories: tuple[str, ...]  # one-hot order; anything else (unknown or missing) is all zeros


Feature = NumericFeature | CategoricalFeature


def fit(train: pd.DataFrame, schema: Schema, max_categories: int) -> list[Feature]:
    features: list[Feature] = []
    for column in schema.features:
        values = train[column.name]
        if column.type in CATEGORICAL_TYPES:
            if column.allowed_values is not None:
                from .data import _as_text

                cats = tuple(_as_text(v) for v in column.allowed_values)
            else:
                counts = values.dropna().value_counts()
                # Most frequent first, ties by value, so the order never depends on row order.
                ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                cats = tuple(str(k) for k, _ in ranked[:max_categories])
            features.append(CategoricalFeature(column.name, column.type, cats))
        else:
            x = values.to_numpy(dtype="float64")
            present = x[~np.isnan(x)]
            fill = float(np.median(present)) if present.size else 0.0
            filled = np.where(np.isnan(x), fill, x)
            std = float(filled.std())
            features.append(
                NumericFeature(column.name, column.type, fill, float(filled.mean()), std if std > 1e-12 else 1.0)
            )
    return features


def width(features: list[Feature]) -> int:
    return sum(1 if isinstance(f, NumericFeature) else len(f.categories) for f in features)


def transform(frame: pd.DataFrame, features: list[Feature]) -> np.ndarray:
    parts = []
    for f in features:
        if isinstance(f, NumericFeature):
            x = raw_numeric(frame[f.name])
            x = np.where(np.isnan(x), np.float32(f.fill), x)
            parts.append(((x - np.float32(f.mean)) / np.float32(f.std)).astype(np.float32))
        else:
            text = raw_text(frame[f.name])[:, 0]
            onehot = np.zeros((len(frame), len(f.categories)), dtype=np.float32)
            index = {c: i for i, c in enumerate(f.categories)}
            for row, value in enumerate(text):
                i = index.get(value)
                if i is not None:
                    onehot[row, i] = 1.0
            parts.append(onehot)
    return np.concatenate(parts, axis=1) if parts else np.zeros((len(frame), 0), np.float32)


def raw_numeric(values: pd.Series) -> np.ndarray:
    """A numeric feature as the server sends it: float32 [N, 1], NaN for missing."""
    return values.to_numpy(dtype="float64").astype(np.float32).reshape(-1, 1)


def raw_text(values: pd.Series) -> np.ndarray:
    """A categorical feature as the server sends it: string [N, 1], "" for missing."""
    return np.array([("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)) for v in values], dtype=object).reshape(-1, 1)


def raw_inputs(frame: pd.DataFrame, features: list[Feature]) -> dict[str, np.ndarray]:
    """The ONNX model's inputs for these rows: one named tensor per feature."""
    return {
        f.name: raw_numeric(frame[f.name]) if isinstance(f, NumericFeature) else raw_text(frame[f.name])
        for f in features
    }


def describe(features: list[Feature]) -> list[dict]:
    return [asdict(f) | {"encoding": "standardize" if isinstance(f, NumericFeature) else "onehot"} for f in features]
