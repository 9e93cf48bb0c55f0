"""The trainer's error catalogue: each failure has a stable reason, an exit code and a message.

The reason and the message go into the termination message, so the operator (and a person
reading `kubectl describe`) learns what to fix without reading logs. Exit codes separate "fix
the data or the spec" (do not retry) from "something transient broke" (retry).
"""

from __future__ import annotations

# Exit codes are part of the contract (docs/contracts.md): a Job's podFailurePolicy can fail
# the Job at once on 2 and 3 instead of retrying a run that can never succeed.
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_CONFIG = 2
EXIT_DATA = 3


class TrainerError(Exception):
    """A failure the user can fix; `reason` is a CamelCase word, stable across releases."""

    exit_code = EXIT_INTERNAL

    def __init__(self, reason: str, message: str, column: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.column = column

    def as_dict(self) -> dict:
        out = {"reason": self.reason, "message": self.message}
        if self.column is not None:
            out["column"] = self.column
        return out


class ConfigError(TrainerError):
    """The environment, schema or hyperparameters are invalid."""

    exit_code = EXIT_CONFIG


class DataError(TrainerError):
    """The dataset does not match its schema or cannot train a model."""

    exit_code = EXIT_DATA


class StorageError(TrainerError):
    """Reading the dataset or writing the output failed (often transient: retry)."""

    exit_code = EXIT_INTERNAL
