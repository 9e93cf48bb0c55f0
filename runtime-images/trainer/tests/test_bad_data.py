"""Bad data and bad specs fail fast, with a message that names the column and the problem,
in the exit code (3 data, 2 configuration) and in the termination message."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import SEATTLE_SCHEMA, run_trainer, trainer_env

HEADER = "date,precipitation,temp_max,temp_min,wind,weather\n"
GOOD_ROWS = [f"2012-01-{d:02d},{d % 3 * 1.5},{10 + d % 7},{2 + d % 5},{3 + d % 4},{'rain' if d % 2 else 'sun'}\n" for d in range(1, 29)]


def schema_with(**changes) -> dict:
    schema = copy.deepcopy(SEATTLE_SCHEMA)
    for name, fields in changes.items():
        column = next((c for c in schema["columns"] if c["name"] == name), None)
        if column is None:
            schema["columns"].append({"name": name, **fields})
        else:
            column.update(fields)
    return schema


def rows_with(index: int, row: str) -> str:
    rows = list(GOOD_ROWS)
    rows[index] = row
    return HEADER + "".join(rows)


# (case, file content, schema, hyperparameters, exit code, reason, column, words in the message)
CASES = [
    ("a feature column missing from the file", HEADER + "".join(GOOD_ROWS),
     schema_with(humidity={"type": "number", "role": "feature"}), None, 3, "MissingColumn", "humidity", ["humidity", "not in the dataset"]),
    ("the target column missing from the file", HEADER.replace(",weather", "") + "".join(r.rsplit(",", 1)[0] + "\n" for r in GOOD_ROWS),
     SEATTLE_SCHEMA, None, 3, "MissingColumn", "weather", ["weather", "target"]),
    ("text in a number column", rows_with(5, "2012-01-06,0.0,warm,2.0,3.0,sun\n"),
     SEATTLE_SCHEMA, None, 3, "WrongType", "temp_max", ["temp_max", "number", "'warm'"]),
    ("a fraction in an integer column", HEADER + "".join(GOOD_ROWS),
     schema_with(precipitation={"type": "integer"}), None, 3, "WrongType", "precipitation", ["precipitation", "integer", "1.5"]),
    ("a date that is not a timestamp", rows_with(0, "someday,0.0,10,2,3,sun\n"),
     SEATTLE_SCHEMA, None, 3, "WrongType", "date", ["date", "timestamp"]),
    ("an empty file", "", SEATTLE_SCHEMA, None, 3, "EmptyDataset", None, ["empty"]),
    ("a header without rows", HEADER, SEATTLE_SCHEMA, None, 3, "EmptyDataset", None, ["no rows"]),
    ("a target with one class", HEADER + "".join(r.replace(",rain", ",sun") for r in GOOD_ROWS),
     SEATTLE_SCHEMA, None, 3, "SingleClass", "weather", ["weather", "one class", "'sun'"]),
    ("an empty value in a non-nullable target", rows_with(3, "2012-01-04,0.0,10,2,3,\n"),
     SEATTLE_SCHEMA, None, 3, "NullValues", "weather", ["weather", "not nullable"]),
    ("a value below the column's min", rows_with(2, "2012-01-03,-4.0,10,2,3,sun\n"),
     SEATTLE_SCHEMA, None, 3, "OutOfRange", "precipitation", ["precipitation", "below min"]),
    ("a category outside allowedValues", HEADER + "".join(GOOD_ROWS),
     schema_with(weather={"allowedValues": ["sun", "fog"]}), None, 3, "ValueNotAllowed", "weather", ["weather", "'rain'"]),
    ("too few rows to split", HEADER + "".join(GOOD_ROWS[:6]), SEATTLE_SCHEMA, None, 3, "TooFewRows", "weather", ["6"]),
    ("a schema without a target", HEADER + "".join(GOOD_ROWS),
     schema_with(weather={"role": "feature"}), None, 2, "InvalidSchema", None, ["target"]),
    ("an unknown column type", HEADER + "".join(GOOD_ROWS),
     schema_with(wind={"type": "float"}), None, 2, "InvalidSchema", "wind", ["wind", "'float'"]),
    ("a misspelt hyperparameter", HEADER + "".join(GOOD_ROWS), SEATTLE_SCHEMA, {"epoch": 3}, 2, "InvalidHyperparameter", None, ["'epoch'"]),
    ("a Time split without a time column", HEADER + "".join(GOOD_ROWS), schema_with(date={"role": "ignore"}),
     {"epochs": 2, "@split": {"method": "Time"}}, 2, "InvalidConfig", None, ["timeColumn"]),
    ("regression asked of a category target", HEADER + "".join(GOOD_ROWS), SEATTLE_SCHEMA, {"epochs": 2, "@task": "Regression"},
     2, "InvalidConfig", "weather", ["weather", "category"]),
]


@pytest.mark.parametrize(
    "content, schema, hp, code, reason, column, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_fails_fast_and_says_what_is_wrong(tmp_path, content, schema, hp, code, reason, column, words):
    dataset = tmp_path / "data.csv"
    dataset.write_text(content)
    hp = dict(hp if hp is not None else {"epochs": 2})
    extra = {}
    if "@split" in hp:
        extra["MODELOPS_SPLIT"] = json.dumps(hp.pop("@split"))
    if "@task" in hp:
        extra["MODELOPS_TASK"] = hp.pop("@task")
    result = run_trainer(trainer_env(dataset, tmp_path / "out", schema, hp, **extra), timeout=120)

    assert result.code == code, result.stderr
    term = result.termination
    assert term["status"] == "Failed" and term["reason"] == reason, term
    assert term.get("column") == column
    for word in words:
        assert word in term["message"], term["message"]
    assert result.termination_bytes < 4096
    error = result.event("error")
    assert error and error[-1]["reason"] == reason and error[-1]["exitCode"] == code
    assert reason in result.stderr
    assert not result.event("epoch"), "it must fail before training"
    assert not (tmp_path / "out" / "model.onnx").exists()


def test_a_missing_required_setting_is_a_configuration_error(tmp_path, seattle_csv):
    env = trainer_env(seattle_csv, tmp_path / "out", SEATTLE_SCHEMA)
    del env["MODELOPS_OUTPUT_URI"]
    env["MODELOPS_TERMINATION_LOG"] = str(tmp_path / "term")
    proc = run_trainer(env | {"MODELOPS_OUTPUT_URI": ""}, timeout=60)
    assert proc.code == 2
    assert json.loads((tmp_path / "term").read_text())["message"] == "MODELOPS_OUTPUT_URI is required"
