"""Regression on real data: vega-datasets' cars (1970-82) -> Miles_per_Gallon, read as JSONL.

The data has what the preprocessing must handle: missing values (Horsepower, and a missing
target on some rows), an integer column, and a categorical feature (Origin)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from conftest import CARS_SCHEMA, node_predict, reference

ATOL = 1e-4  # miles per gallon, float32 at magnitude ~30: a few ulps


def test_the_model_clearly_beats_the_mean_baseline(cars_run):
    report = cars_run.json("metrics.json")
    m, b = report["metrics"], report["baselineMetrics"]
    assert report["task"] == "regression" and report["baseline"]["kind"] == "trainMean"
    assert m["rmse"] <= 0.6 * b["rmse"], (m, b)
    assert m["mae"] < b["mae"] and m["r2"] >= 0.7
    assert report["rows"]["read"] == 406 and report["rows"]["labeled"] == 398  # 8 cars lack mpg


def test_the_signature_names_a_string_input_for_the_category(cars_run):
    sig = cars_run.json("signature.json")
    by_name = {i["name"]: i for i in sig["inputs"]}
    assert by_name["Origin"]["dtype"] == "string" and by_name["Cylinders"]["dtype"] == "float32"
    assert "Name" not in by_name and "Year" not in by_name  # id and timestamp roles are not features
    assert sig["outputs"] == [{"name": "prediction", "dtype": "float32", "shape": [-1]}]
    assert sig["classLabels"] is None


def test_onnx_and_onnxruntime_node_give_the_pytorch_predictions(cars_run, cars_jsonl, tmp_path):
    ref = reference(cars_run, cars_jsonl, CARS_SCHEMA)
    (pred,) = ort.InferenceSession(str(cars_run.out / "model.onnx")).run(None, ref.inputs)
    np.testing.assert_allclose(pred, ref.torch_out, rtol=0, atol=ATOL)
    node = node_predict(cars_run.out / "model.onnx", ref.inputs, tmp_path)["outputs"]["prediction"]
    assert node["dims"] == [len(ref.test)]
    np.testing.assert_allclose(np.array(node["data"], np.float32), pred, rtol=0, atol=ATOL)


def test_unknown_and_missing_categories_encode_as_all_zeros(cars_run):
    session = ort.InferenceSession(str(cars_run.out / "model.onnx"))
    row = {n: np.array([[v]], np.float32) for n, v in
           {"Cylinders": 4, "Displacement": 120, "Horsepower": 90, "Weight_in_lbs": 2500, "Acceleration": 16}.items()}
    predict = lambda origin: float(session.run(None, row | {"Origin": np.array([[origin]], dtype=object)})[0][0])  # noqa: E731
    unknown, missing, usa = predict("Atlantis"), predict(""), predict("USA")
    assert np.isfinite(unknown) and unknown == missing
    assert unknown != usa
    assert 15 < usa < 45  # a plausible mpg for a light four-cylinder car
