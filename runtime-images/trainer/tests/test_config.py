"""The environment contract, in process: config.from_env on hand-built environments."""

from __future__ import annotations

import json

import pytest

from conftest import SEATTLE_SCHEMA
from modelops_trainer import config, report
from modelops_trainer.errors import ConfigError

BASE = {
    "MODELOPS_DATASET_URI": "s3://data/seattle/v3.parquet",
    "MODELOPS_OUTPUT_URI": "s3://models/runs/1",
    "MODELOPS_SCHEMA": json.dumps(SEATTLE_SCHEMA),
}


def test_defaults_fill_everything_not_given():
    cfg = config.from_env(BASE)
    assert cfg.dataset_format == "parquet"  # from the extension
    assert cfg.task == "auto" and cfg.seed == 42 and cfg.device == "auto"
    assert cfg.split == config.Split("random", 0.15, 0.15, None)
    assert cfg.hyperparameters == config.Hyperparameters()
    assert cfg.distributed == config.Distributed()
    assert cfg.termination_log == "/dev/termination-log"


def test_hyperparameters_may_come_as_strings_from_a_kubernetes_map():
    hp = config.parse_hyperparameters({"epochs": "5", "hiddenSizes": "16, 8", "learningRate": "0.01", "patience": 0})
    assert (hp.epochs, hp.hidden_sizes, hp.learning_rate, hp.patience) == (5, (16, 8), 0.01, 0)
    assert config.parse_hyperparameters({"hiddenSizes": [128]}).hidden_sizes == (128,)


@pytest.mark.parametrize("raw, words", [
    ({"epochs": 2.5}, "'epochs'"),
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"dropout": 1}, "dropout"),
    ({"hiddenSizes": "0"}, "'hiddenSizes'"),
    ({"learning_rate": 0.1}, "unknown hyperparameter 'learning_rate'"),
])
def test_bad_hyperparameters_are_named(raw, words):
    with pytest.raises(ConfigError) as e:
        config.parse_hyperparameters(raw)
    assert e.value.reason == "InvalidHyperparameter" and words in e.value.message


def test_an_indexed_job_pod_takes_its_rank_from_the_completion_index():
    cfg = config.from_env(BASE | {"MODELOPS_WORLD_SIZE": "4", "JOB_COMPLETION_INDEX": "3", "MODELOPS_MASTER_ADDR": "train-0.train"})
    assert cfg.distributed == config.Distributed(world_size=4, rank=3, master_addr="train-0.train", master_port=29500)


def test_torchrun_variables_are_understood_too():
    cfg = config.from_env(BASE | {"WORLD_SIZE": "2", "RANK": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "1234", "LOCAL_RANK": "1"})
    assert cfg.distributed == config.Distributed(world_size=2, rank=1, master_addr="127.0.0.1", master_port=1234, local_rank=1)


@pytest.mark.parametrize("extra, words", [
    ({"MODELOPS_WORLD_SIZE": "2"}, "MODELOPS_MASTER_ADDR is required"),
    ({"MODELOPS_WORLD_SIZE": "2", "JOB_COMPLETION_INDEX": "2", "MODELOPS_MASTER_ADDR": "x"}, "rank 2 is outside world size 2"),
    ({"MODELOPS_DATASET_URI": "s3://data/v3"}, "format cannot be told"),
    ({"MODELOPS_DATASET_FORMAT": "xlsx"}, "'xlsx'"),
    ({"MODELOPS_TASK": "clustering"}, "'clustering'"),
    ({"MODELOPS_SPLIT": '{"method": "Stratified"}'}, "'stratified'"),
    ({"MODELOPS_SPLIT": '{"testFraction": 0.6, "validationFraction": 0.5}'}, "must be < 1"),
    ({"MODELOPS_SPLIT": '{"method": "Time", "timeColumn": "weather"}'}, "timeColumn 'weather'"),
    ({"MODELOPS_SCHEMA": "{not json"}, "not valid JSON"),
    ({"MODELOPS_SEED": "abc"}, "MODELOPS_SEED must be an integer"),
])
def test_bad_settings_are_configuration_errors_that_name_the_setting(extra, words):
    with pytest.raises(ConfigError) as e:
        config.from_env(BASE | extra)
    assert words in e.value.message, e.value.message


def test_a_time_split_defaults_to_the_schema_timestamp_column_and_the_api_spelling():
    cfg = config.from_env(BASE | {"MODELOPS_SPLIT": '{"method": "Time", "testFraction": 0.2}', "MODELOPS_TASK": "Classification"})
    assert cfg.split == config.Split("time", 0.15, 0.2, "date") and cfg.task == "classification"


def test_the_schema_may_come_from_a_file(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(SEATTLE_SCHEMA["columns"]))  # a bare list is accepted
    env = {k: v for k, v in BASE.items() if k != "MODELOPS_SCHEMA"} | {"MODELOPS_SCHEMA_FILE": str(path)}
    assert config.from_env(env).schema.target.name == "weather"


def test_the_termination_message_stays_under_4_kib_whatever_it_carries():
    summary = {"status": "Succeeded", "metrics": {f"m{i}": 0.123456 for i in range(400)}, "training": {"epochs": 3}}
    raw = report.termination_message(summary)
    assert len(raw) <= 4096 and json.loads(raw)["status"] == "Succeeded" and "metrics" not in json.loads(raw)
    failed = report.termination_message({"status": "Failed", "reason": "WrongType", "column": "x", "message": "y" * 10_000})
    assert len(failed) <= 4096 and json.loads(failed)["reason"] == "WrongType"
