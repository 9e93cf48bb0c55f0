"""Loads a dataset version, checks it against its schema and splits it.

Every check names the column and the problem: the message ends up in the Pod's termination
message, where the person who wrote the Dataset reads it. The first problem found wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Column, Schema, Split as SplitSpec
from .errors import ConfigError, DataError

MIN_ROWS = 10
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
CATEGORICAL_TYPES = ("category", "string")
NUMERIC_TYPES = ("number", "integer", "boolean")


def read_table(path: Path, fmt: str) -> pd.DataFrame:
    """Reads CSV (all cells as text: the schema, not pandas, decides types), JSONL or Parquet."""
    if path.stat().st_size == 0:
        raise DataError("EmptyDataset", f"the dataset file is empty (0 bytes, format {fmt})")
    try:
        if fmt == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=True)
        elif fmt == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False, convert_dates=False)
        else:
            frame = pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DataError("EmptyDataset", f"the dataset file has no header and no rows (format {fmt})") from None
    except (ValueError, pd.errors.ParserError, OSError) as e:
        raise DataError("UnreadableDataset", f"cannot parse the dataset as {fmt}: {e}") from None
    if len(frame) == 0:
        raise DataError("EmptyDataset", f"the dataset has no rows (format {fmt})")
    return frame


def resolve_task(schema: Schema, requested: str) -> str:
    target = schema.target
    natural = "regression" if target.type in ("number", "integer") else "classification"
    task = natural if requested == "auto" else requested
    if task == "regression" and target.type not in ("number", "integer"):
        raise ConfigError(
            "InvalidConfig",
            f"MODELOPS_TASK regression needs a number or integer target, but {target.name!r} is {target.type}",
            target.name,
        )
    return task


def clean(frame: pd.DataFrame, schema: Schema, task: str, also: tuple[str, ...] = ()) -> pd.DataFrame:
    """Returns the schema's columns, typed: numeric features as float64 (NaN = missing),
    categorical features as str or None, the target as float64 (regression) or str labels.
    `also` names further schema columns to keep (e.g. a time split's column)."""
    used = [c for c in schema.columns if c.role in ("feature", "target", "timestamp") or c.name in also]
    missing = [c.name for c in used if c.name not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns[:20]))
        raise DataError(
            "MissingColumn",
            f"column {missing[0]!r} ({_role_of(schema, missing[0])}) is in the schema but not in the dataset; "
            f"columns found: {found}",
            missing[0],
        )
    out = pd.DataFrame(index=frame.index)
    for column in used:
        out[column.name] = _coerce(frame[column.name], column, task)
    target = schema.target
    out = out[out[target.name].notna()]  # a nullable target: unlabeled rows cannot train
    if len(out) == 0:
        raise DataError("EmptyDataset", f"no rows have a value in the target column {target.name!r}", target.name)
    if len(out) < MIN_ROWS:
        raise DataError(
            "TooFewRows", f"only {len(out)} labeled rows; training needs at least {MIN_ROWS}", target.name
        )
    for column in schema.features:
        if out[column.name].isna().all():
            raise DataError("AllNull", f"feature column {column.name!r} has no non-null values", column.name)
    if task == "classification":
        classes = out[target.name].unique()
        if len(classes) < 2:
            raise DataError(
                "SingleClass",
                f"target column {target.name!r} has only one class ({classes[0]!r}); classification needs at least two",
                target.name,
            )
    elif float(out[target.name].std()) == 0.0:
        raise DataError(
            "ConstantTarget", f"target column {target.name!r} has one value for every row; nothing to learn", target.name
        )
    return out.reset_index(drop=True)


def _coerce(values: pd.Series, column: Column, task: str) -> pd.Series:
    name = column.name
    nulls = values.isna() | values.astype(str).str.strip().eq("")
    if nulls.any() and not column.nullable:
        first = int(np.flatnonzero(nulls.to_numpy())[0])
        raise DataError(
            "NullValues", f"column {name!r} is not nullable but has {int(nulls.sum())} empty values (first at data row {first})", name
        )
    present = values[~nulls]
    if column.type in ("number", "integer"):
        typed = pd.to_numeric(present.map(_no_bool), errors="coerce")
        _fail_on_bad(present, typed.isna() | ~np.isfinite(typed.astype(float)), column, "a number")
        if column.type == "integer":
            _fail_on_bad(present, typed % 1 != 0, column, "an integer")
        _check_range(typed, column)
        result = pd.Series(np.nan, index=values.index, dtype="float64")
        result[~nulls] = typed.astype("float64")
        if column.role == "target" and task == "classification":
            return result.map(lambda v: None if np.isnan(v) else _number_label(v))
        return result
    if column.type == "boolean":
        typed = present.map(_as_bool)
        _fail_on_bad(present, typed.isna(), column, "a boolean (true/false)")
        if column.role == "target":
            result = pd.Series(None, index=values.index, dtype="object")
            result[~nulls] = typed.map(lambda b: "true" if b else "false")
            return result
        result = pd.Series(np.nan, index=values.index, dtype="float64")
        result[~nulls] = typed.astype("float64")
        return result
    if column.type == "timestamp":
        typed = pd.to_datetime(present.astype(str), errors="coerce", utc=True)
        _fail_on_bad(present, typed.isna(), column, "a timestamp")
        result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
        result[~nulls] = typed
        return result
    # category / string: compared as text, exactly as the server will send it.
    typed = present.map(_as_text)
    if column.allowed_values is not None:
        allowed = {_as_text(v) for v in column.allowed_values}
        bad = ~typed.isin(allowed)
        if bad.any():
            example = typed[bad].iloc[0]
            raise DataError(
                "ValueNotAllowed",
                f"column {name!r} has {int(bad.sum())} values outside allowedValues, e.g. {example!r}",
                name,
            )
    result = pd.Series(None, index=values.index, dtype="object")
    result[~nulls] = typed
    return result


def _no_bool(v):
    # JSON true/false must not pass as 1/0 in a numeric column.
    return "true" if isinstance(v, (bool, np.bool_)) else v


def _as_bool(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    text = str(v).strip().lower()
    if text.endswith(".0"):
        text = text[:-2]
    return True if text in _TRUE else False if text in _FALSE else None


def _as_text(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _number_label(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _fail_on_bad(present: pd.Series, bad: pd.Series, column: Column, what: str) -> None:
    bad = bad.fillna(True).astype(bool)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        example = present.iloc[position]
        raise DataError(
            "WrongType",
            f"column {column.name!r} is declared {column.type} but {int(bad.sum())} values are not {what}, "
            f"e.g. {example!r} at data row {int(present.index[position])}",
            column.name,
        )


def _check_range(typed: pd.Series, column: Column) -> None:
    for bound, bad, word in (
        (column.min, typed < column.min if column.min is not None else None, "below min"),
        (column.max, typed > column.max if column.max is not None else None, "above max"),
    ):
        if bound is not None and bad.any():
            raise DataError(
                "OutOfRange",
                f"column {column.name!r} has {int(bad.sum())} values {word} {bound:g}, e.g. {typed[bad].iloc[0]:g}",
                column.name,
            )


def _role_of(schema: Schema, name: str) -> str:
    return next(c.role for c in schema.columns if c.name == name)


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    method: str


def split(frame: pd.DataFrame, spec: SplitSpec, seed: int) -> Split:
    """Random split (seeded), or by time: the latest rows are the test set, the ones before
    them validation, so the reported metrics say how the model does on the future."""
    n = len(frame)
    n_test = max(1, int(round(n * spec.test_fraction)))
    n_val = max(1, int(round(n * spec.validation_fraction))) if spec.validation_fraction > 0 else 0
    if n - n_test - n_val < 2:
        raise DataError("TooFewRows", f"{n} rows leave fewer than 2 for training after the validation and test splits")
    method = spec.method
    if method == "time":
        name = spec.time_column
        assert name is not None, "parse_split resolves the time column"
        if frame[name].isna().any():
            raise DataError("NullValues", f"time column {name!r} has empty values; a time split needs them all", name)
        order = np.argsort(frame[name].to_numpy(), kind="stable")
    else:
        order = np.random.default_rng(seed).permutation(n)
    train_idx = order[: n - n_test - n_val]
    val_idx = order[n - n_test - n_val : n - n_test]
    test_idx = order[n - n_test :]
    return Split(
        train=frame.iloc[train_idx].reset_index(drop=True),
        validation=frame.iloc[val_idx].reset_index(drop=True),
        test=frame.iloc[test_idx].reset_index(drop=True),
        method=method,
    )
