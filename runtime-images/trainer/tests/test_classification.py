"""Classification on real data: Seattle daily weather (vega-datasets) -> the `weather` label."""

from __future__ import annotations

import hashlib

import numpy as np
import onnxruntime as ort

from conftest import SEATTLE_SCHEMA, reference, run_trainer, trainer_env

# Stated tolerance between PyTorch, onnxruntime (Python) and onnxruntime-node: all compute in
# float32 with the same graph; kernels may differ in summation order by a few ulps.
ATOL = 1e-5


def test_the_model_clearly_beats_the_majority_class_baseline(seattle_run):
    report = seattle_run.json("metrics.json")
    m, b = report["metrics"], report["baselineMetrics"]
    assert report["task"] == "classification"
    assert report["baseline"]["kind"] == "majorityClass"
    assert report["baseline"]["majorityClass"] in ("rain", "sun")  # 641 vs 640 rows
    assert m["accuracy"] >= b["accuracy"] + 0.25, (m, b)
    assert m["f1_macro"] >= b["f1_macro"] + 0.15, (m, b)
    assert m["roc_auc"] >= 0.80 and b["roc_auc"] == 0.5
    assert report["beatsBaseline"] is True
    for key in ("accuracy", "f1_macro", "precision_macro", "recall_macro", "roc_auc"):
        assert 0.0 <= m[key] <= 1.0


def test_the_run_leaves_every_file_of_the_contract(seattle_run):
    out = seattle_run.out
    model = (out / "model.onnx").read_bytes()
    digest = hashlib.sha256(model).hexdigest()
    assert (out / "model.onnx.sha256").read_text() == f"{digest}  model.onnx\n"
    assert seattle_run.json("metrics.json")["model"]["sha256"] == digest

    term = seattle_run.termination
    assert seattle_run.termination_bytes < 4096
    assert term["status"] == "Succeeded" and term["model"]["sha256"] == digest
    assert term["model"]["uri"] == (out / "model.onnx").as_uri()
    assert set(term["metrics"]) == {"accuracy", "f1_macro", "precision_macro", "recall_macro", "roc_auc"}
    assert set(term["baselineMetrics"]) == set(term["metrics"])

    sig = seattle_run.json("signature.json")
    assert sig["featureNames"] == ["precipitation", "temp_max", "temp_min", "wind"]
    assert sig["classLabels"] == ["drizzle", "fog", "rain", "snow", "sun"]
    assert [i["name"] for i in sig["inputs"]] == sig["featureNames"]
    assert all(i["dtype"] == "float32" and i["shape"] == [-1, 1] for i in sig["inputs"])
    assert sig["outputs"] == [
        {"name": "label", "dtype": "string", "shape": [-1]},
        {"name": "probabilities", "dtype": "float32", "shape": [-1, 5]},
    ]
    session = ort.InferenceSession(str(out / "model.onnx"))
    assert [i.name for i in session.get_inputs()] == sig["featureNames"]
    assert [o.name for o in session.get_outputs()] == ["label", "probabilities"]


def test_progress_is_reported_as_json_lines(seattle_run):
    epochs = seattle_run.event("epoch")
    assert epochs and epochs[0]["epoch"] == 1
    assert {"trainLoss", "valLoss", "valAccuracy", "seconds"} <= set(epochs[0])
    assert seattle_run.event("start")[0]["device"] == "cpu"
    assert seattle_run.event("done")


def test_a_fixed_seed_gives_the_same_metrics_and_the_same_model_twice(seattle_run, seattle_csv, tmp_path):
    again = run_trainer(trainer_env(seattle_csv, tmp_path / "out", SEATTLE_SCHEMA))
    assert again.code == 0, again.stderr
    assert again.json("metrics.json")["metrics"] == seattle_run.json("metrics.json")["metrics"]
    assert (again.out / "model.onnx").read_bytes() == (seattle_run.out / "model.onnx").read_bytes()


def test_onnx_gives_the_pytorch_outputs_on_the_test_split(seattle_run, seattle_csv):
    ref = reference(seattle_run, seattle_csv, SEATTLE_SCHEMA)
    labels, proba = ort.InferenceSession(str(seattle_run.out / "model.onnx")).run(None, ref.inputs)
    np.testing.assert_allclose(proba, ref.torch_out, rtol=0, atol=ATOL)
    assert list(labels) == [ref.labels[i] for i in ref.torch_out.argmax(axis=1)]
    # and the served labels score exactly what metrics.json reports
    accuracy = float(np.mean(labels == ref.test["weather"].to_numpy()))
    assert accuracy == seattle_run.json("metrics.json")["metrics"]["accuracy"]


def test_onnxruntime_node_serves_the_same_labels_and_probabilities(seattle_run, seattle_csv, tmp_path):
    ref = reference(seattle_run, seattle_csv, SEATTLE_SCHEMA)
    py_labels, py_proba = ort.InferenceSession(str(seattle_run.out / "model.onnx")).run(None, ref.inputs)
    node = node_predict_outputs(seattle_run.out / "model.onnx", ref.inputs, tmp_path)
    n = len(ref.test)
    assert node["label"]["dims"] == [n] and node["probabilities"]["dims"] == [n, 5]
    assert node["label"]["data"] == list(py_labels)
    node_proba = np.array(node["probabilities"]["data"], dtype=np.float32).reshape(n, 5)
    np.testing.assert_allclose(node_proba, py_proba, rtol=0, atol=ATOL)
    np.testing.assert_allclose(node_proba, ref.torch_out, rtol=0, atol=ATOL)


def test_missing_numeric_values_are_imputed_inside_the_graph(seattle_run):
    session = ort.InferenceSession(str(seattle_run.out / "model.onnx"))
    prep = {p["name"]: p for p in seattle_run.json("signature.json")["preprocessing"]}
    nan = {n: np.array([[np.nan]], np.float32) for n in prep}
    filled = {n: np.array([[prep[n]["fill"]]], np.float32) for n in prep}
    a, b = session.run(None, nan), session.run(None, filled)
    assert a[0][0] == b[0][0]
    np.testing.assert_array_equal(a[1], b[1])


def node_predict_outputs(model, inputs, tmp_path) -> dict:
    from conftest import node_predict

    response = node_predict(model, inputs, tmp_path)
    return response["outputs"]


def test_a_boolean_target_is_binary_classification_with_true_false_labels(seattle_csv, tmp_path):
    """Derived from the same real data: did it rain, snow or drizzle (a boolean written as
    yes/no), from a boolean feature (windy, written as true/false) and the temperatures."""
    import pandas as pd

    frame = pd.read_csv(seattle_csv)
    frame["wet"] = frame["weather"].isin(["rain", "drizzle", "snow"]).map({True: "yes", False: "no"})
    frame["windy"] = (frame["wind"] > 4).map({True: "true", False: "false"})
    path = tmp_path / "wet.csv"
    frame[["date", "temp_max", "temp_min", "windy", "wet"]].to_csv(path, index=False)
    schema = {"columns": [
        {"name": "date", "type": "timestamp", "role": "timestamp"},
        {"name": "temp_max", "type": "number"}, {"name": "temp_min", "type": "number"},
        {"name": "windy", "type": "boolean"},
        {"name": "wet", "type": "boolean", "role": "target"},
    ]}
    result = run_trainer(trainer_env(path, tmp_path / "out", schema, {"epochs": 20, "hiddenSizes": [16]}))
    assert result.code == 0, result.stderr
    sig = result.json("signature.json")
    assert sig["classLabels"] == ["false", "true"]
    assert {i["name"]: i["dtype"] for i in sig["inputs"]} == {"temp_max": "float32", "temp_min": "float32", "windy": "float32"}
    report = result.json("metrics.json")
    assert report["metrics"]["roc_auc"] > 0.65 and report["beatsBaseline"] is True
    session = ort.InferenceSession(str(result.out / "model.onnx"))
    labels, proba = session.run(None, {"temp_max": np.array([[5.0]], np.float32), "temp_min": np.array([[1.0]], np.float32), "windy": np.array([[1.0]], np.float32)})
    assert labels[0] in ("true", "false") and proba.shape == (1, 2)
    assert result.termination["status"] == "Succeeded"
