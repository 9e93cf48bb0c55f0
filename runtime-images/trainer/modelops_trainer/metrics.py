"""Test-split metrics and the trivial baselines a gate compares them with.

Written out with numpy (no scikit-learn in the image); the tests check them against known
values. Averages over classes are macro averages over the classes that occur in the
test labels or the predictions. Names are those TrainingJob gates use (f1_macro, roc_auc, ...).
"""

from __future__ import annotations

import numpy as np


def classification(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """y_true: int class indices [N]; proba: [N, C] probabilities."""
    y_pred = proba.argmax(axis=1)
    n_classes = proba.shape[1]
    precision, recall, f1 = [], [], []
    present = [c for c in range(n_classes) if (y_true == c).any() or (y_pred == c).any()]
    for c in present:
        tp = float(np.sum((y_pred == c) & (y_true == c)))
        fp = float(np.sum((y_pred == c) & (y_true != c)))
        fn = float(np.sum((y_pred != c) & (y_true == c)))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        precision.append(p)
        recall.append(r)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
    return {
        "accuracy": float(np.mean(y_pred == y_true)),
        "f1_macro": float(np.mean(f1)),
        "precision_macro": float(np.mean(precision)),
        "recall_macro": float(np.mean(recall)),
        "roc_auc": roc_auc(y_true, proba),
    }


def roc_auc(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Binary: AUC of the positive class. Multiclass: macro one-vs-rest over the classes that
    occur in y_true (a class absent from the test split has no defined AUC)."""
    if proba.shape[1] == 2:
        return _binary_auc(y_true == 1, proba[:, 1])
    scores = [_binary_auc(y_true == c, proba[:, c]) for c in range(proba.shape[1])]
    scores = [s for s in scores if not np.isnan(s)]
    return float(np.mean(scores)) if scores else float("nan")


def _binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    # Mann-Whitney U with average ranks for ties.
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score), dtype=np.float64)
    sorted_scores = score[order]
    i = 0
    while i < len(score):
        j = i
        while j + 1 < len(score) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def majority_baseline(y_train: np.ndarray, y_test: np.ndarray, n_classes: int) -> tuple[dict[str, float], int]:
    """Always predicting the most frequent training class, with the training frequencies as
    the probability vector (so ROC-AUC is 0.5: constant scores). Returns (metrics, class)."""
    prior = np.bincount(y_train, minlength=n_classes).astype(np.float64)
    prior /= prior.sum()
    proba = np.tile(prior, (len(y_test), 1))
    return classification(y_test, proba), int(prior.argmax())


def regression(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    err = y_pred.astype(np.float64) - y_true.astype(np.float64)
    ss_res = float(np.sum(err**2))
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
    }


def mean_baseline(y_train: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    return regression(y_test, np.full(len(y_test), float(np.mean(y_train))))
