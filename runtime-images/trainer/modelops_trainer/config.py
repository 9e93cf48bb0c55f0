"""The one module that reads the environment: turns the container contract into a Config.

Everything else receives a Config, so tests build one directly and no module reads os.environ.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

COLUMN_TYPES = ("number", "integer", "category", "boolean", "string", "timestamp")
COLUMN_ROLES = ("feature", "target", "timestamp", "id", "ignore")
FORMATS = ("csv", "jsonl", "parquet")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    role: str
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    allowed_values: tuple | None = None


@dataclass(frozen=True)
class Schema:
    columns: tuple[Column, ...]

    @property
    def features(self) -> list[Column]:
        return [c for c in self.columns if c.role == "feature"]

    @property
    def target(self) -> Column:
        return next(c for c in self.columns if c.role == "target")

    @property
    def timestamp(self) -> Column | None:
        return next((c for c in self.columns if c.role == "timestamp"), None)


@dataclass(frozen=True)
class Split:
    """TrainingJob.spec.split: how rows are divided into train, validation and test."""

    method: str = "random"  # random | time
    validation_fraction: float = 0.15  # 0: no validation split, no early stopping
    test_fraction: float = 0.15
    time_column: str | None = None  # method time; default: the schema's timestamp column


@dataclass(frozen=True)
class Hyperparameters:
    epochs: int = 100
    learning_rate: float = 1e-3
    batch_size: int = 64  # global: split across the workers of a distributed run
    hidden_sizes: tuple[int, ...] = (64, 32)
    dropout: float = 0.1
    weight_decay: float = 1e-4
    patience: int = 10  # epochs without validation improvement; 0 turns early stopping off
    max_categories: int = 50  # most frequent categories kept per feature; the rest are "unknown"
    checkpoint_every: int = 1  # epochs between checkpoints


# Contract name (camelCase, as users write them in a TrainingJob) -> field name and parser.
_HP_FIELDS = {
    "epochs": "epochs",
    "learningRate": "learning_rate",
    "batchSize": "batch_size",
    "hiddenSizes": "hidden_sizes",
    "dropout": "dropout",
    "weightDecay": "weight_decay",
    "patience": "patience",
    "maxCategories": "max_categories",
    "checkpointEvery": "checkpoint_every",
}


@dataclass(frozen=True)
class Distributed:
    world_size: int = 1
    rank: int = 0
    master_addr: str | None = None
    master_port: int = 29500
    local_rank: int = 0
    timeout_seconds: int = 600


@dataclass(frozen=True)
class Config:
    dataset_uri: str
    dataset_format: str
    schema: Schema
    output_uri: str
    task: str = "auto"  # auto | classification | regression
    split: Split = field(default_factory=Split)
    dataset_version: str | None = None
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    seed: int = 42
    distributed: Distributed = field(default_factory=Distributed)
    device: str = "auto"  # auto | cpu | cuda
    termination_log: str = "/dev/termination-log"
    s3_endpoint_url: str | None = None
    # Test hook (documented in the contract as not for production): exit with a failure right
    # after the checkpoint of this epoch, to prove that a restarted pod resumes.
    fail_after_epoch: int | None = None


def parse_schema(raw: Any) -> Schema:
    """Validates the schema (the Dataset's column shape); the first problem found wins."""
    if isinstance(raw, Mapping):
        raw = raw.get("columns")
    if not isinstance(raw, list) or not raw:
        raise ConfigError("InvalidSchema", 'schema must be {"columns": [...]} with at least one column')
    columns: list[Column] = []
    seen: set[str] = set()
    for i, c in enumerate(raw):
        if not isinstance(c, Mapping) or not isinstance(c.get("name"), str) or not c["name"]:
            raise ConfigError("InvalidSchema", f"schema column #{i} needs a non-empty string name")
        name = c["name"]
        if name in seen:
            raise ConfigError("InvalidSchema", f"schema column {name!r} is listed twice", name)
        seen.add(name)
        ctype = c.get("type")
        if ctype not in COLUMN_TYPES:
            raise ConfigError(
                "InvalidSchema", f"column {name!r}: type {ctype!r} is not one of {', '.join(COLUMN_TYPES)}", name
            )
        role = c.get("role", "feature")
        if role not in COLUMN_ROLES:
            raise ConfigError(
                "InvalidSchema", f"column {name!r}: role {role!r} is not one of {', '.join(COLUMN_ROLES)}", name
            )
        if role == "feature" and ctype == "timestamp":
            raise ConfigError(
                "UnsupportedFeatureType",
                f"column {name!r}: timestamp features are not supported; give it role timestamp "
                "(used for a time split) or derive numeric features from it",
                name,
            )
        allowed = c.get("allowedValues")
        columns.append(
            Column(
                name=name,
                type=ctype,
                role=role,
                nullable=bool(c.get("nullable", True)),
                min=_opt_float(c.get("min"), f"column {name!r} min"),
                max=_opt_float(c.get("max"), f"column {name!r} max"),
                allowed_values=tuple(allowed) if isinstance(allowed, list) and allowed else None,
            )
        )
    targets = [c for c in columns if c.role == "target"]
    if len(targets) != 1:
        raise ConfigError("InvalidSchema", f"schema needs exactly one column with role target, found {len(targets)}")
    if not any(c.role == "feature" for c in columns):
        raise ConfigError("InvalidSchema", "schema has no column with role feature")
    if sum(c.role == "timestamp" for c in columns) > 1:
        raise ConfigError("InvalidSchema", "schema has more than one column with role timestamp")
    if targets[0].type == "timestamp":
        raise ConfigError("InvalidSchema", f"target column {targets[0].name!r} cannot be a timestamp", targets[0].name)
    return Schema(tuple(columns))


def parse_hyperparameters(raw: Mapping[str, Any] | None) -> Hyperparameters:
    """Accepts numbers or strings (a Kubernetes map of strings); unknown names are an error."""
    values: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        if key not in _HP_FIELDS:
            raise ConfigError(
                "InvalidHyperparameter",
                f"unknown hyperparameter {key!r}; known: {', '.join(sorted(_HP_FIELDS))}",
            )
        name = _HP_FIELDS[key]
        default = getattr(Hyperparameters, name)
        try:
            if name == "hidden_sizes":
                if isinstance(value, str):
                    value = [v for v in value.replace("[", "").replace("]", "").split(",") if v.strip()]
                parsed: Any = tuple(int(v) for v in value)
                if not parsed or min(parsed) < 1:
                    raise ValueError
            elif isinstance(default, bool):
                raise AssertionError("no boolean hyperparameters")
            elif isinstance(default, int):
                parsed = int(value)
                if str(parsed) != str(value).strip() and float(value) != parsed:
                    raise ValueError
            elif isinstance(default, float):
                parsed = float(value)
            else:
                parsed = str(value)
        except (TypeError, ValueError):
            raise ConfigError("InvalidHyperparameter", f"hyperparameter {key!r}: cannot use value {value!r}") from None
        values[name] = parsed
    hp = Hyperparameters(**values)
    problems = [
        (hp.epochs >= 1, "epochs must be >= 1"),
        (hp.learning_rate > 0, "learningRate must be > 0"),
        (hp.batch_size >= 1, "batchSize must be >= 1"),
        (0 <= hp.dropout < 1, "dropout must be in [0, 1)"),
        (hp.weight_decay >= 0, "weightDecay must be >= 0"),
        (hp.patience >= 0, "patience must be >= 0"),
        (hp.max_categories >= 1, "maxCategories must be >= 1"),
        (hp.checkpoint_every >= 1, "checkpointEvery must be >= 1"),
    ]
    for ok, message in problems:
        if not ok:
            raise ConfigError("InvalidHyperparameter", message)
    return hp


def parse_split(raw: Any, schema: Schema) -> Split:
    """TrainingJob.spec.split as JSON; the method is case-insensitive (the API says Random/Time)."""
    if not isinstance(raw, Mapping):
        raise ConfigError("InvalidConfig", "MODELOPS_SPLIT must be a JSON object")
    unknown = set(raw) - {"method", "validationFraction", "testFraction", "timeColumn"}
    if unknown:
        raise ConfigError("InvalidConfig", f"MODELOPS_SPLIT: unknown field {sorted(unknown)[0]!r}")
    try:
        split = Split(
            method=str(raw.get("method", "random")).lower(),
            validation_fraction=float(raw.get("validationFraction", 0.15)),
            test_fraction=float(raw.get("testFraction", 0.15)),
            time_column=raw.get("timeColumn") or None,
        )
    except (TypeError, ValueError):
        raise ConfigError("InvalidConfig", f"MODELOPS_SPLIT: fractions must be numbers, got {dict(raw)!r}") from None
    if split.method not in ("random", "time"):
        raise ConfigError("InvalidConfig", f"MODELOPS_SPLIT: method {split.method!r} is not Random or Time")
    if not 0 <= split.validation_fraction < 1 or not 0 < split.test_fraction < 1:
        raise ConfigError("InvalidConfig", "MODELOPS_SPLIT: validationFraction must be in [0, 1) and testFraction in (0, 1)")
    if split.validation_fraction + split.test_fraction >= 1:
        raise ConfigError("InvalidConfig", "MODELOPS_SPLIT: validationFraction + testFraction must be < 1")
    if split.method == "time":
        name = split.time_column or (schema.timestamp.name if schema.timestamp else None)
        if name is None:
            raise ConfigError("InvalidConfig", "MODELOPS_SPLIT: method Time needs timeColumn or a schema column with role timestamp")
        column = next((c for c in schema.columns if c.name == name), None)
        if column is None or column.type not in ("timestamp", "number", "integer"):
            raise ConfigError(
                "InvalidConfig", f"MODELOPS_SPLIT: timeColumn {name!r} must be a timestamp, number or integer column of the schema", name
            )
        split = Split(split.method, split.validation_fraction, split.test_fraction, name)
    return split


def parse_task(raw: str | None) -> str:
    task = (raw or "auto").lower()
    if task not in ("auto", "classification", "regression"):
        raise ConfigError("InvalidConfig", f"MODELOPS_TASK {raw!r} is not one of Auto, Classification, Regression")
    return task


def hyperparameters_as_contract(hp: Hyperparameters) -> dict[str, Any]:
    """The effective hyperparameters under their contract names (for lineage and metrics.json)."""
    out = {}
    for key, name in _HP_FIELDS.items():
        value = getattr(hp, name)
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def from_env(env: Mapping[str, str] = os.environ) -> Config:
    """Builds the Config from the container's environment (names in docs/contracts.md)."""
    dataset_uri = _required(env, "MODELOPS_DATASET_URI")
    output_uri = _required(env, "MODELOPS_OUTPUT_URI")
    fmt = env.get("MODELOPS_DATASET_FORMAT") or _format_from_uri(dataset_uri)
    if fmt not in FORMATS:
        raise ConfigError("InvalidConfig", f"MODELOPS_DATASET_FORMAT {fmt!r} is not one of {', '.join(FORMATS)}")

    if env.get("MODELOPS_SCHEMA_FILE"):
        schema_text = _read_text(env["MODELOPS_SCHEMA_FILE"], "MODELOPS_SCHEMA_FILE")
    else:
        schema_text = _required(env, "MODELOPS_SCHEMA")
    schema = parse_schema(_json(schema_text, "the schema"))

    if env.get("MODELOPS_HYPERPARAMETERS_FILE"):
        hp_text = _read_text(env["MODELOPS_HYPERPARAMETERS_FILE"], "MODELOPS_HYPERPARAMETERS_FILE")
    else:
        hp_text = env.get("MODELOPS_HYPERPARAMETERS") or "{}"
    hp_raw = _json(hp_text, "MODELOPS_HYPERPARAMETERS")
    if not isinstance(hp_raw, Mapping):
        raise ConfigError("InvalidHyperparameter", "MODELOPS_HYPERPARAMETERS must be a JSON object")

    world_size = _int(env, ["MODELOPS_WORLD_SIZE", "WORLD_SIZE"], 1)
    # An Indexed Job gives each pod JOB_COMPLETION_INDEX; torchrun sets RANK.
    rank = _int(env, ["MODELOPS_RANK", "JOB_COMPLETION_INDEX", "RANK"], 0)
    master_addr = env.get("MODELOPS_MASTER_ADDR") or env.get("MASTER_ADDR") or None
    if world_size < 1 or not 0 <= rank < world_size:
        raise ConfigError("InvalidConfig", f"rank {rank} is outside world size {world_size}")
    if world_size > 1 and not master_addr:
        raise ConfigError("InvalidConfig", "MODELOPS_MASTER_ADDR is required when MODELOPS_WORLD_SIZE > 1")
    distributed = Distributed(
        world_size=world_size,
        rank=rank,
        master_addr=master_addr,
        master_port=_int(env, ["MODELOPS_MASTER_PORT", "MASTER_PORT"], 29500),
        local_rank=_int(env, ["LOCAL_RANK"], 0),
        timeout_seconds=_int(env, ["MODELOPS_DIST_TIMEOUT_SECONDS"], 600),
    )

    device = env.get("MODELOPS_DEVICE", "auto")
    if device not in ("auto", "cpu", "cuda"):
        raise ConfigError("InvalidConfig", f"MODELOPS_DEVICE {device!r} is not one of auto, cpu, cuda")
    split_raw = _json(env.get("MODELOPS_SPLIT") or "{}", "MODELOPS_SPLIT")
    fail_after = env.get("MODELOPS_TEST_FAIL_AFTER_EPOCH")
    return Config(
        dataset_uri=dataset_uri,
        dataset_format=fmt,
        schema=schema,
        output_uri=output_uri,
        task=parse_task(env.get("MODELOPS_TASK")),
        split=parse_split(split_raw, schema),
        dataset_version=env.get("MODELOPS_DATASET_VERSION") or None,
        hyperparameters=parse_hyperparameters(hp_raw),
        seed=_int(env, ["MODELOPS_SEED"], 42),
        distributed=distributed,
        device=device,
        termination_log=env.get("MODELOPS_TERMINATION_LOG", "/dev/termination-log"),
        s3_endpoint_url=env.get("MODELOPS_S3_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL") or None,
        fail_after_epoch=int(fail_after) if fail_after else None,
    )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise ConfigError("InvalidConfig", f"{name} is required")
    return value


def _int(env: Mapping[str, str], names: list[str], default: int) -> int:
    for name in names:
        if env.get(name):
            try:
                return int(env[name])
            except ValueError:
                raise ConfigError("InvalidConfig", f"{name} must be an integer, got {env[name]!r}") from None
    return default


def _opt_float(value: Any, what: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError("InvalidSchema", f"{what} must be a number, got {value!r}") from None


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError("InvalidConfig", f"{what} is not valid JSON: {e}") from None


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as e:
        raise ConfigError("InvalidConfig", f"{what}: cannot read {path}: {e.strerror}") from None


def _format_from_uri(uri: str) -> str:
    path = uri.split("?", 1)[0].lower()
    for suffix, fmt in ((".csv", "csv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".parquet", "parquet")):
        if path.endswith(suffix):
            return fmt
    raise ConfigError(
        "InvalidConfig", f"MODELOPS_DATASET_FORMAT is not set and the format cannot be told from {uri!r}"
    )
