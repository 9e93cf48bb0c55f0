"""The termination message: the run's outcome in compact JSON for the operator.

Kept free of torch so a configuration error is reported in milliseconds.
"""

from __future__ import annotations

import json

TERMINATION_LIMIT = 4096  # bytes; the kubelet truncates longer termination messages


def termination_message(summary: dict) -> bytes:
    """The summary as compact JSON under the kubelet's 4 KiB limit: parts that are
    recomputable from metrics.json are dropped first, the status never."""
    text = json.dumps(summary, separators=(",", ":"), sort_keys=True)
    for droppable in ("training", "dataset", "baselineMetrics", "metrics", "signatureUri", "metricsUri"):
        if len(text.encode()) <= TERMINATION_LIMIT:
            break
        summary = {k: v for k, v in summary.items() if k != droppable}
        text = json.dumps(summary, separators=(",", ":"), sort_keys=True)
    raw = text.encode()
    if len(raw) > TERMINATION_LIMIT:  # only a huge error message gets here
        summary = {k: (v[:1000] if isinstance(v, str) else v) for k, v in summary.items() if k in ("status", "reason", "message", "column")}
        raw = json.dumps(summary, separators=(",", ":"), sort_keys=True).encode()[:TERMINATION_LIMIT]
    return raw
