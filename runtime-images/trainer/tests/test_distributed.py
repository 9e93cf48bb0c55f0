"""Data-parallel training across processes (gloo on CPU), started the way the operator starts
it (an Indexed Job: rank from JOB_COMPLETION_INDEX, master from a Service name) and the way
people start it by hand (torchrun), and resuming from the checkpoint after a crash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from conftest import SEATTLE_SCHEMA, TRAINER_DIR, finish, free_port, run_trainer, start_trainer, trainer_env


def test_two_indexed_job_pods_train_a_model_as_good_as_one_process(seattle_run, seattle_csv, tmp_path):
    port = str(free_port())
    envs = [
        trainer_env(
            seattle_csv, tmp_path / "out", SEATTLE_SCHEMA,
            MODELOPS_WORLD_SIZE="2", JOB_COMPLETION_INDEX=str(index),
            MODELOPS_MASTER_ADDR="127.0.0.1", MODELOPS_MASTER_PORT=port, MODELOPS_DIST_TIMEOUT_SECONDS="120",
            MODELOPS_TERMINATION_LOG=str(tmp_path / f"rank{index}.termination-log"),
        )
        for index in (0, 1)
    ]
    procs = [start_trainer(env) for env in envs]
    rank0, rank1 = [finish(p, env) for p, env in zip(procs, envs)]
    assert rank0.code == 0, rank0.stderr
    assert rank1.code == 0, rank1.stderr
    assert rank1.termination["status"] == "Succeeded"

    two = rank0.json("metrics.json")
    one = seattle_run.json("metrics.json")
    assert two["training"]["worldSize"] == 2
    assert two["beatsBaseline"] is True
    # Same global batch, so the same number of optimisation steps; only the gradient
    # averaging order differs. "As good as": within 3 points of accuracy and macro-F1.
    assert two["metrics"]["accuracy"] >= one["metrics"]["accuracy"] - 0.03, (two["metrics"], one["metrics"])
    assert two["metrics"]["f1_macro"] >= one["metrics"]["f1_macro"] - 0.03
    assert two["metrics"]["roc_auc"] >= one["metrics"]["roc_auc"] - 0.02


def test_torchrun_with_two_processes_trains_and_rank_zero_exports(seattle_csv, tmp_path):
    env = trainer_env(seattle_csv, tmp_path / "out", SEATTLE_SCHEMA, {"epochs": 3})
    env["PYTHONPATH"] = str(TRAINER_DIR)
    proc = subprocess.run(
        # torch 1.13's torchrun on Python 3.11 cannot parse its own default "--redirects 0"
        # (Std.from_str returns None): give it a value it parses. Output still reaches stdout.
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "--redirects=1", "--tee=1", "-m", "modelops_trainer"],
        env=env, cwd=TRAINER_DIR, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "out" / "model.onnx").is_file()
    assert '"worldSize":2' in proc.stdout


def test_a_restarted_pod_resumes_from_the_checkpoint_and_ends_with_the_same_model(seattle_run, seattle_csv, tmp_path):
    env = trainer_env(seattle_csv, tmp_path / "out", SEATTLE_SCHEMA)
    crashed = run_trainer(env | {"MODELOPS_TEST_FAIL_AFTER_EPOCH": "12"})
    assert crashed.code == 1
    assert crashed.termination["reason"] == "InjectedFailure"
    assert [e["epoch"] for e in crashed.event("epoch")][-1] == 12
    assert (tmp_path / "out" / "checkpoints" / "checkpoint.pt").is_file()

    restarted = run_trainer(env)
    assert restarted.code == 0, restarted.stderr
    assert restarted.event("resumed")[0]["epoch"] == 12
    assert restarted.event("epoch")[0]["epoch"] == 13
    assert restarted.json("metrics.json")["training"]["resumedFromEpoch"] == 12
    # Per-epoch seeds make the resumed run replay the uninterrupted one exactly.
    assert (restarted.out / "model.onnx").read_bytes() == (seattle_run.out / "model.onnx").read_bytes()


def test_a_checkpoint_from_other_inputs_is_not_resumed(seattle_run, seattle_csv, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(seattle_run.out / "checkpoints", out / "checkpoints")
    result = run_trainer(trainer_env(seattle_csv, out, SEATTLE_SCHEMA, {"epochs": 2}))
    assert result.code == 0, result.stderr
    assert result.event("checkpointIgnored") and not result.event("resumed")
    assert [e["epoch"] for e in result.event("epoch")] == [1, 2]
    os.remove(out / "checkpoints" / "checkpoint.pt")
