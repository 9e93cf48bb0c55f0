"""The training loop: seeded, early-stopped, data-parallel across processes, resumable.

Reproducibility: the initial weights come from the seed, each epoch's shuffle and dropout
from (seed, epoch, rank), so a resumed run replays exactly what an uninterrupted one does.
Distributed: every process holds the whole (small, tabular) training split and takes its
share of each global batch; DistributedDataParallel averages the gradients. `batchSize` is
the global batch, so one process and N processes take the same optimisation steps.
"""

from __future__ import annotations

import copy
import io
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from .config import Hyperparameters
from .model import TabularMLP
from .storage import Output

CHECKPOINT = "checkpoints/checkpoint.pt"


class InjectedFailure(RuntimeError):
    """Raised by the test hook MODELOPS_TEST_FAIL_AFTER_EPOCH after a checkpoint."""


@dataclass
class TrainResult:
    model: TabularMLP
    epochs_run: int
    best_epoch: int
    best_val_loss: float
    stopped_early: bool
    resumed_from_epoch: int | None
    seconds: float
    epoch_seconds: list[float] = field(default_factory=list)


@dataclass
class Loop:
    """What the loop needs besides the data: who we are, where to checkpoint, how to report."""

    hp: Hyperparameters
    seed: int
    device: torch.device
    rank: int = 0
    world_size: int = 1
    output: Output | None = None
    fingerprint: str = ""
    emit: Callable[..., None] = lambda event, **fields: None
    fail_after_epoch: int | None = None


def train(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    task: str,
    n_outputs: int,
    loop: Loop,
) -> TrainResult:
    hp, device = loop.hp, loop.device
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(loop.seed)
    model = TabularMLP(x_train.shape[1], hp.hidden_sizes, hp.dropout, n_outputs).to(device)
    trainable: nn.Module = model
    if loop.world_size > 1:
        trainable = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    optimizer = torch.optim.AdamW(model.parameters(), lr=hp.learning_rate, weight_decay=hp.weight_decay)
    loss_fn = nn.CrossEntropyLoss() if task == "classification" else nn.MSELoss()

    xt = torch.as_tensor(x_train, dtype=torch.float32, device=device)
    yt = _targets(y_train, task, device)
    xv = torch.as_tensor(x_val, dtype=torch.float32, device=device)
    yv = _targets(y_val, task, device)

    start_epoch, best_val, best_epoch, bad_epochs = 0, float("inf"), 0, 0
    best_state = copy.deepcopy(model.state_dict())
    resumed_from = None
    saved = _load_checkpoint(loop)
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        best_state = saved["best_state"]
        start_epoch, best_val, best_epoch, bad_epochs = saved["epoch"], saved["best_val"], saved["best_epoch"], saved["bad_epochs"]
        resumed_from = start_epoch
        loop.emit("resumed", epoch=start_epoch, bestEpoch=best_epoch)

    began = time.monotonic()
    epoch_seconds: list[float] = []
    epoch, stopped_early = start_epoch, False
    done = saved is not None and saved.get("finished", False)
    n = len(xt)
    for epoch in range(start_epoch + 1, hp.epochs + 1):
        if done:
            break
        t0 = time.monotonic()
        trainable.train()
        # Per-epoch seeds: identical shuffles on every rank, distinct dropout per rank.
        order = torch.randperm(n, generator=torch.Generator().manual_seed(loop.seed * 100_003 + epoch))
        torch.manual_seed(loop.seed * 1_000_003 + epoch * 1009 + loop.rank)
        loss_sum = torch.zeros(2, dtype=torch.float64, device=device)
        for begin in range(0, n, hp.batch_size):
            batch = order[begin : begin + hp.batch_size]
            if len(batch) < loop.world_size:
                continue  # too small to give every rank a row; DDP needs all ranks to step
            mine = batch[loop.rank :: loop.world_size].to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(trainable(xt[mine]), yt[mine])
            loss.backward()
            optimizer.step()
            loss_sum += torch.stack([loss.detach().double() * len(mine), torch.tensor(float(len(mine)), dtype=torch.float64, device=device)])
        if loop.world_size > 1:
            dist.all_reduce(loss_sum)
        train_loss = float(loss_sum[0] / loss_sum[1])

        model.eval()
        if len(xv) == 0:
            # No validation split (validationFraction 0): no early stopping, the last epoch wins.
            val_loss, val_metric = float("nan"), {}
        else:
            with torch.no_grad():
                out = model(xv)
                val_loss = float(loss_fn(out, yv))
                val_metric = (
                    {"valAccuracy": float((out.argmax(1) == yv).float().mean())}
                    if task == "classification"
                    else {"valRmseStandardized": float(torch.sqrt(torch.mean((out.reshape(-1) - yv.reshape(-1)) ** 2)))}
                )
        if len(xv) == 0:
            best_val, best_epoch, bad_epochs = val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        elif val_loss < best_val - 1e-9:
            best_val, best_epoch, bad_epochs = val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad_epochs += 1
        stop = hp.patience > 0 and bad_epochs >= hp.patience
        if loop.world_size > 1:
            # Every rank computed the same validation loss from the same weights, but the
            # decision to stop must be identical or the ranks deadlock: agree explicitly.
            flag = torch.tensor([1.0 if stop else 0.0], device=device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            stop = bool(flag.item() > 0)
        epoch_seconds.append(time.monotonic() - t0)
        loop.emit(
            "epoch", epoch=epoch, epochs=hp.epochs, trainLoss=round(train_loss, 6), valLoss=round(val_loss, 6),
            **{k: round(v, 6) for k, v in val_metric.items()}, seconds=round(epoch_seconds[-1], 4),
        )
        finished = stop or epoch == hp.epochs
        if loop.rank == 0 and loop.output is not None and (epoch % hp.checkpoint_every == 0 or finished):
            _save_checkpoint(loop, {
                "fingerprint": loop.fingerprint, "epoch": epoch, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "best_state": best_state, "best_val": best_val,
                "best_epoch": best_epoch, "bad_epochs": bad_epochs, "finished": finished,
            })
        if loop.fail_after_epoch == epoch:
            raise InjectedFailure(f"MODELOPS_TEST_FAIL_AFTER_EPOCH={epoch}: failing on purpose after the checkpoint")
        if stop:
            stopped_early = True
            break
    model.load_state_dict(best_state)
    model.eval()
    return TrainResult(
        model=model, epochs_run=epoch, best_epoch=best_epoch, best_val_loss=best_val, stopped_early=stopped_early,
        resumed_from_epoch=resumed_from, seconds=time.monotonic() - began, epoch_seconds=epoch_seconds,
    )


def _targets(y: np.ndarray, task: str, device: torch.device) -> torch.Tensor:
    if task == "classification":
        return torch.as_tensor(y, dtype=torch.long, device=device)
    return torch.as_tensor(y, dtype=torch.float32, device=device).reshape(-1, 1)


def _load_checkpoint(loop: Loop) -> dict | None:
    if loop.output is None:
        return None
    raw = loop.output.read(CHECKPOINT)
    if raw is None:
        return None
    # weights_only=False: optimiser state holds Python floats, which torch 1.13's safe loader
    # rejects (and torch >= 2.6 would default to it). The checkpoint is this run's own output,
    # under the output URI the operator controls, as trusted as the model written beside it.
    saved = torch.load(io.BytesIO(raw), map_location=loop.device, weights_only=False)
    if saved.get("fingerprint") != loop.fingerprint:
        # Another dataset, schema, seed or hyperparameters: resuming would mix two runs.
        loop.emit("checkpointIgnored", reason="the checkpoint belongs to a run with other inputs")
        return None
    return saved


def _save_checkpoint(loop: Loop, state: dict) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    assert loop.output is not None
    loop.output.write(CHECKPOINT, buffer.getvalue())
