"""The metric formulas on small cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelops_trainer import metrics


def test_binary_roc_auc_counts_ordered_pairs_and_halves_ties():
    y = np.array([0, 0, 1, 1])
    # pairs (pos, neg): (0.35>0.1) (0.35<0.4) (0.8>0.1) (0.8>0.4) -> 3/4
    assert metrics.roc_auc(y, np.array([[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]])) == 0.75
    # all scores tied -> 0.5
    assert metrics.roc_auc(y, np.full((4, 2), 0.5)) == 0.5


def test_macro_scores_on_a_three_class_example():
    y = np.array([0, 0, 1, 2])
    proba = np.eye(3)[[0, 1, 1, 2]]  # predictions 0, 1, 1, 2
    m = metrics.classification(y, proba)
    assert m["accuracy"] == 0.75
    # class 0: p=1 r=0.5 f1=2/3; class 1: p=0.5 r=1 f1=2/3; class 2: p=r=f1=1
    assert m["precision_macro"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert m["recall_macro"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert m["f1_macro"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    # one-vs-rest AUCs: class 0 = 3/4 (row 1 ties its negatives), class 1 = 2.5/3, class 2 = 1
    assert m["roc_auc"] == pytest.approx((0.75 + 2.5 / 3 + 1) / 3)


def test_roc_auc_skips_classes_absent_from_the_test_labels():
    y = np.array([0, 1, 0, 1])
    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.3, 0.6, 0.1]])
    assert metrics.roc_auc(y, proba) == 1.0  # class 2 has no positives: left out, not NaN
    assert math.isnan(metrics.roc_auc(np.array([1, 1]), np.array([[0.2, 0.8], [0.4, 0.6]])))


def test_regression_metrics_and_the_mean_baseline():
    m = metrics.regression(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    assert m == {"rmse": pytest.approx(math.sqrt(4 / 3)), "mae": pytest.approx(2 / 3), "r2": pytest.approx(1 - 4 / 2)}
    base = metrics.mean_baseline(np.array([2.0, 4.0]), np.array([1.0, 5.0]))
    assert base["rmse"] == 2.0 and base["r2"] == 0.0


def test_the_majority_baseline_predicts_the_most_frequent_training_class():
    m, majority = metrics.majority_baseline(np.array([2, 2, 1]), np.array([2, 1, 0]), 3)
    assert majority == 2
    assert m["accuracy"] == pytest.approx(1 / 3) and m["roc_auc"] == 0.5
