"""The network: a plain MLP over the preprocessed feature vector, and its serving head."""

from __future__ import annotations

import torch
from torch import nn


class TabularMLP(nn.Module):
    def __init__(self, n_inputs: int, hidden_sizes: tuple[int, ...], dropout: float, n_outputs: int):
        super().__init__()
        layers: list[nn.Module] = []
        width = n_inputs
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ServingHead(nn.Module):
    """What gets exported: class probabilities, or the prediction in the target's own units
    (training standardises the regression target; this undoes it inside the graph)."""

    def __init__(self, mlp: TabularMLP, task: str, target_mean: float = 0.0, target_std: float = 1.0):
        super().__init__()
        self.mlp = mlp
        self.task = task
        self.register_buffer("target_mean", torch.tensor(target_mean, dtype=torch.float32))
        self.register_buffer("target_std", torch.tensor(target_std, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.mlp(x)
        if self.task == "classification":
            return torch.softmax(out, dim=1)
        return (out * self.target_std + self.target_mean).reshape(-1)
