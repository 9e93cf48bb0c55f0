"""Shared helpers: real data sets from packages, and the trainer run the way a Pod runs it
(a subprocess with the contract's environment, judged by exit code, stdout and the
termination message)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

TRAINER_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = TRAINER_DIR.parents[1]
VEGA_DATA = Path(os.environ.get("MODELOPS_VEGA_DATA", REPO_ROOT / "node_modules/vega-datasets/data"))
NODE_CHECK_DIR = TRAINER_DIR / "tests/node"

# Small enough for 2 busy cores, large enough that the model clearly beats the baseline.
FAST = {"epochs": 60, "patience": 10, "batchSize": 64, "hiddenSizes": [32, 16]}

SEATTLE_SCHEMA = {
    "columns": [
        {"name": "date", "type": "timestamp", "role": "timestamp"},
        {"name": "precipitation", "type": "number", "role": "feature", "min": 0},
        {"name": "temp_max", "type": "number", "role": "feature"},
        {"name": "temp_min", "type": "number", "role": "feature"},
        {"name": "wind", "type": "number", "role": "feature"},
        {"name": "weather", "type": "category", "role": "target", "nullable": False},
    ]
}

CARS_SCHEMA = {
    "columns": [
        {"name": "Name", "type": "string", "role": "id"},
        {"name": "Miles_per_Gallon", "type": "number", "role": "target"},
        {"name": "Cylinders", "type": "integer", "role": "feature"},
        {"name": "Displacement", "type": "number", "role": "feature"},
        {"name": "Horsepower", "type": "number", "role": "feature"},
        {"name": "Weight_in_lbs", "type": "number", "role": "feature"},
        {"name": "Acceleration", "type": "number", "role": "feature"},
        {"name": "Year", "type": "timestamp", "role": "timestamp"},
        {"name": "Origin", "type": "category", "role": "feature"},
    ]
}


@dataclass
class Result:
    code: int
    events: list[dict]
    stderr: str
    termination: dict
    termination_bytes: int
    out: Path

    def event(self, name: str) -> list[dict]:
        return [e for e in self.events if e.get("event") == name]

    def json(self, name: str) -> dict:
        return json.loads((self.out / name).read_text())


def trainer_env(dataset: Path | str, out: Path, schema: dict, hyperparameters: dict | None = None, **extra: str) -> dict:
    uri = dataset if isinstance(dataset, str) else dataset.resolve().as_uri()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(TRAINER_DIR),
        "OMP_NUM_THREADS": "1",  # the CI machine has 2 cores, shared with other work
        "MODELOPS_DATASET_URI": uri,
        "MODELOPS_OUTPUT_URI": out.resolve().as_uri(),
        "MODELOPS_SCHEMA": json.dumps(schema),
        "MODELOPS_HYPERPARAMETERS": json.dumps(hyperparameters if hyperparameters is not None else FAST),
        "MODELOPS_SEED": "7",
        "MODELOPS_TERMINATION_LOG": str(out.parent / f"{out.name}.termination-log"),
        "MODELOPS_DEVICE": "cpu",
    }
    env.update(extra)
    return env


def start_trainer(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "modelops_trainer"], env=env, cwd=TRAINER_DIR,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(proc: subprocess.Popen, env: dict, timeout: float = 300) -> Result:
    stdout, stderr = proc.communicate(timeout=timeout)
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    term_path = Path(env["MODELOPS_TERMINATION_LOG"])
    raw = term_path.read_bytes() if term_path.exists() else b"{}"
    return Result(proc.returncode, events, stderr, json.loads(raw), len(raw), Path(env["MODELOPS_OUTPUT_URI"][len("file://"):]))


def run_trainer(env: dict, timeout: float = 300) -> Result:
    return finish(start_trainer(env), env, timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def seattle_csv() -> Path:
    path = VEGA_DATA / "seattle-weather.csv"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `npm ci` at the repository root (vega-datasets is a devDependency)")
    return path


@pytest.fixture(scope="session")
def cars_jsonl(tmp_path_factory, seattle_csv) -> Path:
    """vega-datasets' cars.json (a JSON array) rewritten as JSON lines, as a Dataset version
    would store it; nulls (missing horsepower, missing mpg) are kept."""
    frame = pd.read_json(VEGA_DATA / "cars.json", convert_dates=False)
    path = tmp_path_factory.mktemp("data") / "cars.jsonl"
    frame.to_json(path, orient="records", lines=True)
    return path


@pytest.fixture(scope="session")
def seattle_run(tmp_path_factory, seattle_csv) -> Result:
    out = tmp_path_factory.mktemp("seattle") / "out"
    result = run_trainer(trainer_env(seattle_csv, out, SEATTLE_SCHEMA))
    assert result.code == 0, result.stderr
    return result


@pytest.fixture(scope="session")
def cars_run(tmp_path_factory, cars_jsonl) -> Result:
    out = tmp_path_factory.mktemp("cars") / "out"
    result = run_trainer(trainer_env(cars_jsonl, out, CARS_SCHEMA))
    assert result.code == 0, result.stderr
    return result


@dataclass
class Reference:
    """The trained PyTorch model and the test split, rebuilt in process from the run's inputs
    and its checkpoint (the best weights are what was exported)."""

    inputs: dict  # raw ONNX inputs for the test split, one array per feature
    torch_out: "object"  # numpy: probabilities [N, C] or predictions [N]
    labels: list[str]
    test: pd.DataFrame


def reference(result: Result, dataset: Path, schema: dict, hyperparameters: dict = FAST, seed: int = 7) -> Reference:
    import io

    import numpy as np
    import torch

    from modelops_trainer import config, data, preprocess
    from modelops_trainer.model import ServingHead, TabularMLP

    sch = config.parse_schema(schema)
    hp = config.parse_hyperparameters(hyperparameters)
    task = data.resolve_task(sch, "auto")
    fmt = "jsonl" if dataset.suffix == ".jsonl" else "csv"
    cleaned = data.clean(data.read_table(dataset, fmt), sch, task)
    parts = data.split(cleaned, config.Split(), seed)
    features = preprocess.fit(parts.train, sch, hp.max_categories)
    signature = result.json("signature.json")
    labels = signature["classLabels"] or []
    checkpoint = torch.load(io.BytesIO((result.out / "checkpoints/checkpoint.pt").read_bytes()), weights_only=False)
    mlp = TabularMLP(preprocess.width(features), hp.hidden_sizes, hp.dropout, len(labels) or 1)
    mlp.load_state_dict(checkpoint["best_state"])
    if task == "regression":
        y = parts.train[sch.target.name].to_numpy(dtype=np.float64)
        head = ServingHead(mlp, task, float(y.mean()), float(y.std()))
    else:
        head = ServingHead(mlp, task)
    with torch.no_grad():
        out = head.eval()(torch.as_tensor(preprocess.transform(parts.test, features))).numpy()
    return Reference(preprocess.raw_inputs(parts.test, features), out, labels, parts.test)


def node_predict(model: Path, inputs: dict, workdir: Path) -> dict:
    """Runs the model in onnxruntime-node (tests/node/predict.mjs) and returns its outputs."""
    import math

    request = {"inputs": []}
    for name, array in inputs.items():
        if array.dtype == object:
            request["inputs"].append({"name": name, "dtype": "string", "shape": list(array.shape), "data": [str(v) for v in array.ravel()]})
        else:
            data = [None if math.isnan(v) else float(v) for v in array.ravel()]
            request["inputs"].append({"name": name, "dtype": "float32", "shape": list(array.shape), "data": data})
    req, resp = workdir / "request.json", workdir / "response.json"
    req.write_text(json.dumps(request))
    if not (NODE_CHECK_DIR / "node_modules/onnxruntime-node").is_dir():
        pytest.fail("tests/node/node_modules is missing: run `make test-trainer` (it runs npm ci there)")
    proc = subprocess.run(["node", "predict.mjs", str(model), str(req), str(resp)], cwd=NODE_CHECK_DIR, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(resp.read_text())
