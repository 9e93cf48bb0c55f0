"""Entry point: `python -m modelops_trainer`. Reads the environment, trains, and reports the
outcome three ways: JSON lines on stdout, the exit code, and the termination message."""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

# Deterministic cuBLAS needs this before CUDA initialises (torch.use_deterministic_algorithms).
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

from . import config  # noqa: E402
from .errors import EXIT_INTERNAL, EXIT_OK, TrainerError  # noqa: E402
from .report import termination_message  # noqa: E402


def emit(event: str, **fields) -> None:
    """One progress line: {"ts": ..., "event": ..., ...} on stdout, flushed at once."""
    line = {"ts": round(time.time(), 3), "event": event, **fields}
    sys.stdout.write(json.dumps(line, separators=(",", ":"), default=str, allow_nan=True) + "\n")
    sys.stdout.flush()


def write_termination_log(path: str, raw: bytes) -> None:
    try:
        with open(path, "wb") as f:
            f.write(raw)
    except OSError as e:
        # Outside Kubernetes /dev/termination-log usually does not exist; stdout still has it.
        emit("warning", message=f"cannot write termination message to {path}: {e.strerror}")


def main(env=os.environ) -> int:
    termination_log = env.get("MODELOPS_TERMINATION_LOG", "/dev/termination-log")
    try:
        cfg = config.from_env(env)
        termination_log = cfg.termination_log
        from .run import run  # torch is imported only once the configuration is known good

        summary = run(cfg, emit)
        code = EXIT_OK
    except TrainerError as e:
        summary = {"status": "Failed", **e.as_dict()}
        code = e.exit_code
        emit("error", **summary, exitCode=code)
        print(f"modelops-trainer: {e.reason}: {e.message}", file=sys.stderr)
    except Exception as e:  # noqa: BLE001 - every failure must still leave a termination message
        name = type(e).__name__
        reason = "InjectedFailure" if name == "InjectedFailure" else "InternalError"
        summary = {"status": "Failed", "reason": reason, "message": f"{name}: {e}"}
        code = EXIT_INTERNAL
        emit("error", **summary, exitCode=code)
        traceback.print_exc()
    write_termination_log(termination_log, termination_message(summary))
    return code


if __name__ == "__main__":
    sys.exit(main())
