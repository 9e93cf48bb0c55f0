"""Dataset versions in every format (CSV, JSONL, Parquet) and from every source the contract
names that this machine can reach (file://, http://; s3:// when an S3 endpoint is given)."""

from __future__ import annotations

import functools
import http.server
import os
from pathlib import Path
import subprocess
import threading

import pandas as pd
import pytest

from conftest import SEATTLE_SCHEMA, run_trainer, trainer_env

QUICK = {"epochs": 3}


@pytest.fixture()
def http_root(tmp_path):
    """A real HTTP server on a free port, serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_the_same_rows_train_from_parquet_and_jsonl(seattle_csv, tmp_path, fmt):
    frame = pd.read_csv(seattle_csv)  # typed: floats stay floats in Parquet and JSON
    path = tmp_path / f"seattle.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    result = run_trainer(trainer_env(path, tmp_path / "out", SEATTLE_SCHEMA, QUICK))
    assert result.code == 0, result.stderr
    report = result.json("metrics.json")
    assert report["dataset"]["format"] == fmt
    assert report["rows"] == {"read": 1461, "labeled": 1461}


def test_a_dataset_version_is_read_over_http(seattle_csv, tmp_path, http_root):
    root, base = http_root
    (root / "seattle.csv").write_bytes(seattle_csv.read_bytes())
    result = run_trainer(trainer_env(f"{base}/seattle.csv", tmp_path / "out", SEATTLE_SCHEMA, QUICK))
    assert result.code == 0, result.stderr
    assert result.json("metrics.json")["rows"]["read"] == 1461


def test_a_missing_http_object_is_reported_as_not_found(tmp_path, http_root):
    _, base = http_root
    result = run_trainer(trainer_env(f"{base}/nope.csv", tmp_path / "out", SEATTLE_SCHEMA, QUICK))
    assert result.code == 1  # maybe transient (the object may appear): the Job retries
    assert result.termination["reason"] == "DatasetNotFound"
    assert "HTTP 404" in result.termination["message"]


@pytest.fixture
def s3_server(tmp_path):
    """A real S3-compatible server (versitygw, hack/s3-server.sh) with one bucket."""
    script = Path(__file__).resolve().parents[3] / "hack" / "s3-server.sh"
    state = tmp_path / "s3"
    subprocess.run([str(script), "up", "--dir", str(state), "--bucket", "trainer"], check=True, capture_output=True)
    try:
        env = {}
        for line in (state / "s3.env").read_text().splitlines():
            if line.startswith("export ") and "=" in line:
                name, value = line[len("export "):].split("=", 1)
                env[name] = value
        yield env, "trainer"
    finally:
        subprocess.run([str(script), "down", "--dir", str(state)], check=False, capture_output=True)


def test_a_dataset_version_is_read_from_s3_and_the_model_written_there(seattle_csv, tmp_path, s3_server, monkeypatch):
    import boto3

    aws, bucket = s3_server
    for name, value in aws.items():
        monkeypatch.setenv(name, value)
    endpoint = aws["AWS_ENDPOINT_URL"]
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.upload_file(str(seattle_csv), bucket, "datasets/seattle.csv")
    env = trainer_env(f"s3://{bucket}/datasets/seattle.csv", tmp_path / "out", SEATTLE_SCHEMA, QUICK)
    env |= {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    env |= {"MODELOPS_OUTPUT_URI": f"s3://{bucket}/runs/test", "MODELOPS_S3_ENDPOINT_URL": endpoint}
    result = run_trainer(env)
    assert result.code == 0, result.stderr
    assert result.termination["model"]["uri"] == f"s3://{bucket}/runs/test/model.onnx"
    assert s3.get_object(Bucket=bucket, Key="runs/test/model.onnx")["ContentLength"] > 0
