"""The split, in process: what ends up in train, validation and test."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import SEATTLE_SCHEMA, run_trainer, trainer_env
from modelops_trainer import config, data


@pytest.fixture(scope="module")
def seattle(seattle_csv):
    schema = config.parse_schema(SEATTLE_SCHEMA)
    return schema, data.clean(data.read_table(seattle_csv, "csv"), schema, "classification")


def test_a_time_split_tests_on_the_latest_rows_and_validates_on_the_ones_before(seattle):
    schema, frame = seattle
    parts = data.split(frame, config.parse_split({"method": "Time"}, schema), seed=1)
    assert parts.train["date"].max() < parts.validation["date"].min()
    assert parts.validation["date"].max() < parts.test["date"].min()
    assert parts.test["date"].max() == pd.Timestamp("2015-12-31", tz="UTC")
    assert (len(parts.train), len(parts.validation), len(parts.test)) == (1023, 219, 219)


def test_a_random_split_depends_on_the_seed_only(seattle):
    schema, frame = seattle
    spec = config.parse_split({}, schema)
    a, b, c = data.split(frame, spec, seed=1), data.split(frame, spec, seed=1), data.split(frame, spec, seed=2)
    assert a.test["date"].tolist() == b.test["date"].tolist()
    assert a.test["date"].tolist() != c.test["date"].tolist()
    assert len(a.train) + len(a.validation) + len(a.test) == len(frame)


def test_a_run_with_a_time_split_and_no_validation_trains_every_epoch(seattle_csv, tmp_path):
    split = '{"method": "Time", "validationFraction": 0, "testFraction": 0.2}'
    result = run_trainer(trainer_env(seattle_csv, tmp_path / "out", SEATTLE_SCHEMA, {"epochs": 15, "patience": 2}, MODELOPS_SPLIT=split))
    assert result.code == 0, result.stderr
    report = result.json("metrics.json")
    assert report["split"] == {"method": "time", "timeColumn": "date", "train": 1169, "validation": 0, "test": 292}
    assert report["training"]["epochs"] == 15 and report["training"]["bestEpoch"] == 15  # no early stopping
    assert report["validationMetrics"] is None
    assert report["beatsBaseline"] is True
