"""One training run from a Config to the files the contract promises (docs/contracts.md)."""

from __future__ import annotations

import datetime
import hashlib
import json
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist

from . import __version__, data, export, metrics, preprocess
from .config import Config, hyperparameters_as_contract
from .errors import ConfigError, DataError
from .model import ServingHead
from .storage import Output, fetch
from .train import Loop, train


def run(cfg: Config, emit: Callable[..., None]) -> dict:
    """Trains, evaluates and exports; returns the summary for the termination message."""
    began = time.monotonic()
    hp, schema = cfg.hyperparameters, cfg.schema
    rank, world = cfg.distributed.rank, cfg.distributed.world_size
    output = Output(cfg.output_uri, cfg.s3_endpoint_url)
    task = data.resolve_task(schema, cfg.task)
    device = _device(cfg)
    emit("start", task=task, device=str(device), rank=rank, worldSize=world, dataset=cfg.dataset_uri, version=__version__)

    with tempfile.TemporaryDirectory(prefix="modelops-") as tmp:
        path = fetch(cfg.dataset_uri, Path(tmp), cfg.s3_endpoint_url)
        dataset_sha256 = _sha256_file(path)
        frame = data.read_table(path, cfg.dataset_format)
    rows_read = len(frame)
    cleaned = data.clean(frame, schema, task, also=(cfg.split.time_column,) if cfg.split.time_column else ())
    parts = data.split(cleaned, cfg.split, cfg.seed)
    features = preprocess.fit(parts.train, schema, hp.max_categories)
    target = schema.target.name

    x = {name: preprocess.transform(getattr(parts, name), features) for name in ("train", "validation", "test")}
    if task == "classification":
        labels = _class_labels(cleaned[target], schema)
        index = {label: i for i, label in enumerate(labels)}
        y = {name: getattr(parts, name)[target].map(index).to_numpy(dtype=np.int64) for name in x}
        n_outputs, y_mean, y_std = len(labels), 0.0, 1.0
        if len(np.unique(y["train"])) < 2:
            raise DataError(
                "SingleClass", f"the training split of {target!r} has only one class; use more data or a Random split", target
            )
        y_fit = y
    else:
        labels = []
        y = {name: getattr(parts, name)[target].to_numpy(dtype=np.float64) for name in x}
        y_mean, y_std = float(y["train"].mean()), float(y["train"].std()) or 1.0
        n_outputs = 1
        y_fit = {name: (v - y_mean) / y_std for name, v in y.items()}
    emit("data", rows=rows_read, labeledRows=len(cleaned), train=len(parts.train), validation=len(parts.validation),
         test=len(parts.test), inputs=int(x["train"].shape[1]), features=len(features), classes=len(labels) or None)

    fingerprint = _fingerprint(cfg, dataset_sha256)
    if world > 1:
        dist.init_process_group(
            backend="nccl" if device.type == "cuda" else "gloo",
            init_method=f"tcp://{cfg.distributed.master_addr}:{cfg.distributed.master_port}",
            world_size=world,
            rank=rank,
            timeout=datetime.timedelta(seconds=cfg.distributed.timeout_seconds),
        )
    try:
        result = train(
            x["train"], y_fit["train"], x["validation"], y_fit["validation"], task, n_outputs,
            Loop(hp=hp, seed=cfg.seed, device=device, rank=rank, world_size=world, output=output,
                 fingerprint=fingerprint, emit=emit if rank == 0 else (lambda *a, **k: None),
                 fail_after_epoch=cfg.fail_after_epoch),
        )
    finally:
        if world > 1 and dist.is_initialized():
            dist.destroy_process_group()

    training = {
        "epochs": result.epochs_run, "bestEpoch": result.best_epoch, "stoppedEarly": result.stopped_early,
        "resumedFromEpoch": result.resumed_from_epoch, "seconds": round(result.seconds, 3),
        "secondsPerEpoch": round(float(np.mean(result.epoch_seconds)), 5) if result.epoch_seconds else None,
        "device": str(device), "worldSize": world,
    }
    if rank != 0:
        emit("done", rank=rank, training=training)
        return {"status": "Succeeded", "rank": rank, "note": "rank 0 writes the model"}

    head = ServingHead(result.model.cpu(), task, y_mean, y_std).eval()
    with torch.no_grad():
        evaluated = {name: head(torch.as_tensor(v)).numpy() for name, v in x.items() if name != "train" and len(v)}
    if task == "classification":
        test_metrics = metrics.classification(y["test"], evaluated["test"])
        val_metrics = metrics.classification(y["validation"], evaluated["validation"]) if "validation" in evaluated else None
        baseline_metrics, majority = metrics.majority_baseline(y["train"], y["test"], len(labels))
        baseline = {"kind": "majorityClass", "majorityClass": labels[majority]}
        beats = test_metrics["accuracy"] > baseline_metrics["accuracy"] and test_metrics["f1_macro"] > baseline_metrics["f1_macro"]
    else:
        test_metrics = metrics.regression(y["test"], evaluated["test"])
        val_metrics = metrics.regression(y["validation"], evaluated["validation"]) if "validation" in evaluated else None
        baseline_metrics = metrics.mean_baseline(y["train"], y["test"])
        baseline = {"kind": "trainMean", "mean": float(y["train"].mean())}
        beats = test_metrics["rmse"] < baseline_metrics["rmse"]

    model = export.build(head, features, task, labels, int(x["train"].shape[1]), __version__)
    model_bytes = model.SerializeToString()
    model_sha256 = hashlib.sha256(model_bytes).hexdigest()
    model_uri = output.write("model.onnx", model_bytes)
    output.write("model.onnx.sha256", f"{model_sha256}  model.onnx\n".encode())

    signature = _signature(features, task, labels, schema)
    signature_uri = output.write("signature.json", _json_bytes(signature))
    dataset = {"uri": cfg.dataset_uri, "version": cfg.dataset_version, "format": cfg.dataset_format, "sha256": dataset_sha256}
    report = {
        "task": task,
        "target": target,
        "metrics": test_metrics,
        "baselineMetrics": baseline_metrics,
        "baseline": baseline,
        "beatsBaseline": bool(beats),
        "validationMetrics": val_metrics,
        "split": {"method": parts.method, "timeColumn": cfg.split.time_column, "train": len(parts.train), "validation": len(parts.validation), "test": len(parts.test)},
        "rows": {"read": rows_read, "labeled": len(cleaned)},
        "training": training,
        "hyperparameters": hyperparameters_as_contract(hp),
        "seed": cfg.seed,
        "dataset": dataset,
        "model": {"uri": model_uri, "sha256": model_sha256, "bytes": len(model_bytes), "format": "onnx"},
        "trainer": {"version": __version__, "torch": torch.__version__},
        "seconds": round(time.monotonic() - began, 3),
    }
    metrics_uri = output.write("metrics.json", _json_bytes(report))
    summary = {
        "status": "Succeeded",
        "task": task,
        "model": {"uri": model_uri, "sha256": model_sha256, "format": "onnx"},
        "signatureUri": signature_uri,
        "metricsUri": metrics_uri,
        "metrics": _rounded(test_metrics),
        "baselineMetrics": _rounded(baseline_metrics),
        "beatsBaseline": bool(beats),
        "dataset": {"version": cfg.dataset_version, "sha256": dataset_sha256},
        "training": {k: training[k] for k in ("epochs", "bestEpoch", "device", "worldSize", "seconds")},
    }
    emit("done", **{k: summary[k] for k in ("model", "metrics", "baselineMetrics", "beatsBaseline")})
    return summary


def _device(cfg: Config) -> torch.device:
    if cfg.device == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", cfg.distributed.local_rank % torch.cuda.device_count())
    if cfg.device == "cuda":
        raise ConfigError("NoGPU", "MODELOPS_DEVICE=cuda but no CUDA device is visible to the container")
    return torch.device("cpu")


def _class_labels(values, schema) -> list[str]:
    target = schema.target
    if target.allowed_values is not None:
        return [data._as_text(v) for v in target.allowed_values]
    if target.type == "boolean":
        return ["false", "true"]
    return sorted(str(v) for v in values.unique())


def _signature(features, task: str, labels: list[str], schema) -> dict:
    inputs = []
    for f in features:
        numeric = isinstance(f, preprocess.NumericFeature)
        inputs.append({
            "name": f.name, "dtype": "float32" if numeric else "string", "shape": [-1, 1],
            "columnType": f.type, "missing": "NaN" if numeric else "empty string",
        })
    if task == "classification":
        outputs = [
            {"name": "label", "dtype": "string", "shape": [-1]},
            {"name": "probabilities", "dtype": "float32", "shape": [-1, len(labels)]},
        ]
    else:
        outputs = [{"name": "prediction", "dtype": "float32", "shape": [-1]}]
    return {
        "format": "onnx",
        "opsets": {"ai.onnx": export.OPSET, "ai.onnx.ml": export.ML_OPSET},
        "task": task,
        "target": {"name": schema.target.name, "type": schema.target.type},
        "featureNames": [f.name for f in features],
        "classLabels": labels if task == "classification" else None,
        "inputs": inputs,
        "outputs": outputs,
        "preprocessing": preprocess.describe(features),
    }


def _fingerprint(cfg: Config, dataset_sha256: str) -> str:
    """What a checkpoint must match to be resumed: same data, schema, hyperparameters, seed, world."""
    material = {
        "dataset": dataset_sha256, "schema": [asdict(c) for c in cfg.schema.columns],
        "hp": hyperparameters_as_contract(cfg.hyperparameters), "seed": cfg.seed, "task": cfg.task,
        "split": asdict(cfg.split),
        "world": cfg.distributed.world_size, "version": __version__,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _json_bytes(value) -> bytes:
    return (json.dumps(_finite(value), indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


def _finite(value):
    """JSON has no NaN: an undefined metric (e.g. ROC-AUC with one class in the test split) is null."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _rounded(values: dict) -> dict:
    """Metrics for Kubernetes status (map[string]number): undefined ones are left out."""
    return {k: round(float(v), 6) for k, v in values.items() if v is not None and np.isfinite(v)}
