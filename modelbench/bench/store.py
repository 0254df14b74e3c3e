"""The results file: append-only JSON Lines, one ``ResultRow`` per line.

Rows are written as they finish and flushed line by line, so a killed run loses at most the
line it was writing. Reading keeps the *last* row per key (a rerun supersedes a failed row)
and ignores a torn final line, reporting it in ``frame.attrs["torn_line"]``; a broken line
anywhere else is an error naming the file and line. ``pandas.read_json(path, lines=True)``
reads the file too (NaN is written as ``null``).

    with ResultsWriter("results.jsonl") as out:
        out.write(row)
    df = read_results("results.jsonl")
    todo = planned - completed_keys(df)
"""

from __future__ import annotations

import json
import math
import os
from array import array
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from modelbench._errors import DatasetError, OutputError, ResultsError
from modelbench.bench.record import COLUMNS, KEY, ResultRow
from modelbench.files import writable_file

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Key",
    "ResultsWriter",
    "completed_keys",
    "failed_keys",
    "read_results",
    "row_to_json",
    "rows_to_frame",
]

Key = tuple[str, str, str, int]
"""(prompt_id, model, backend, repeat)."""

FLOAT_COLUMNS: frozenset[str] = frozenset(
    (
        "latency_s",
        "ttft_s",
        "tpot_s",
        "input_tokens",
        "output_tokens",
        "cached_input_tokens",
        "cost_usd",
        "score",
        "score_cost_usd",
    )
)
INT_COLUMNS: frozenset[str] = frozenset(("repeat", "attempts"))
BOOL_COLUMNS: frozenset[str] = frozenset(("cached",))
_DEFAULTS: dict[str, Any] = {
    "score_cost_usd": 0.0,
    "attempts": 1,
    "cached": False,
    **{
        c: ""
        for c in (
            "run_id",
            "category",
            "started_at",
            "output",
            "error_type",
            "error",
            "token_source",
        )
    },
}
# Repeated text: share one string object per distinct value while reading.
_INTERNED: frozenset[str] = frozenset(
    ("run_id", "prompt_id", "category", "model", "backend", "error_type", "error", "token_source")
)


def row_to_json(row: ResultRow | Mapping[str, Any]) -> str:
    """One JSON line (without the newline); NaN becomes ``null`` so the line is strict JSON."""
    if isinstance(row, ResultRow):  # not asdict(): that deep-copies, 10x slower
        items = [(name, getattr(row, name)) for name in COLUMNS]
    else:
        items = list(row.items())
    data = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in items}
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


class ResultsWriter:
    """Appends rows to a JSONL file, one flushed line each; holds a lock while open.

    Opening repairs a file left by a killed process: a torn last line is cut off and its line
    number kept in ``torn_line`` (the row it held was never complete, so it will be rerun).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.torn_line: int | None = None
        self.rows_written = 0
        writable_file(self.path, option="--out")
        self._fh: IO[str] | None = None
        fh = _open(self.path, "a+b")
        try:
            _lock(fh, self.path)
            self.torn_line = _repair_tail(fh)
        except BaseException:
            fh.close()
            raise
        fh.close()
        self._fh = _open(self.path, "a")
        _lock(self._fh, self.path)

    def write(self, row: ResultRow | Mapping[str, Any]) -> None:
        if self._fh is None:
            raise ValueError(f"{self.path} is closed")
        self._fh.write(row_to_json(row) + "\n")
        self._fh.flush()
        self.rows_written += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _open(path: Path, mode: str) -> IO[Any]:
    try:
        return path.open(mode) if "b" in mode else path.open(mode, encoding="utf-8")
    except OSError as exc:
        raise OutputError(
            f"cannot open for writing ({exc.strerror or exc}); choose another --out", path=str(path)
        ) from None


def _lock(fh: IO[Any], path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory lock
        return
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise ResultsError(
            f"{path} is being written by another modelbench run; wait for it to finish "
            "or choose another --out file"
        ) from None


def _repair_tail(fh: IO[bytes]) -> int | None:
    """Cut a torn last line off an append-mode file; returns its 1-based line number."""
    end = fh.seek(0, os.SEEK_END)
    if end == 0:
        return None
    fh.seek(end - 1)
    if fh.read(1) == b"\n":
        return None
    start = end
    while start > 0:  # walk back to the last newline, a block at a time
        step = min(65536, start)
        fh.seek(start - step)
        block = fh.read(step)
        cut = block.rfind(b"\n")
        if cut >= 0:
            start = start - step + cut + 1
            break
        start -= step
    fh.seek(start)
    fragment = fh.read()
    if _parse_row(fragment) is not None:
        fh.write(b"\n")  # a whole row missing only its newline
        return None
    fh.seek(0)
    line = fh.read(start).count(b"\n") + 1
    fh.truncate(start)
    return line


def _parse_row(raw: bytes | str) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or any(k not in data for k in KEY):
        return None
    return data


def _not_a_row(raw: bytes) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); is this a results file?"
    return "not a result row (broken JSON or missing key columns); is this a results file?"


def read_results(path: str | Path) -> pd.DataFrame:
    """The rows of a results file, the last row per key, in file order.

    A torn final line (a killed writer's, without its newline) is skipped;
    ``df.attrs["torn_line"]`` holds its number (else None). Other broken lines raise
    ``DatasetError`` with the file and line.
    Columns are filled as the file is read (numbers straight into typed arrays, repeated
    strings shared), so 200,000 rows stay well under 200 MB.
    """
    file = str(path)
    if Path(path).is_dir():
        raise DatasetError("is a folder; give a results file (the --out of a run)", file=file)
    if not Path(path).is_file():
        raise DatasetError("no such results file; check the path (the --out of a run)", file=file)
    columns: dict[str, Any] = {c: _column(c) for c in COLUMNS}
    interned: dict[str, str] = {}
    bad: tuple[int, str] | None = None
    count = 0
    try:
        fh = Path(path).open("rb")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise DatasetError(f"cannot read: {exc.strerror or exc}", file=file) from None
    with fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            if bad is not None:  # a broken line that was not the last one
                raise DatasetError(bad[1], file=file, line=bad[0])
            data = _parse_row(raw)
            if data is None:
                bad = (number, _not_a_row(raw))
                if raw.endswith(b"\n"):  # a whole line: broken, not cut off by a killed writer
                    raise DatasetError(bad[1], file=file, line=number)
                continue
            for name, column in columns.items():
                value = data.pop(name, _DEFAULTS.get(name))
                if name in FLOAT_COLUMNS:
                    column.append(_float(value))
                elif name in INT_COLUMNS:
                    column.append(_int(value, name))
                elif name in BOOL_COLUMNS:
                    column.append(bool(value))
                elif name in COLUMNS:
                    text = "" if value is None else str(value)
                    column.append(interned.setdefault(text, text) if name in _INTERNED else text)
                else:
                    column.append(value)
            for name, value in data.items():  # extra columns written by someone else: keep
                columns[name] = [None] * count + [value]
            count += 1
    frame = _frame(columns)
    duplicated = frame.duplicated(subset=list(KEY), keep="last")
    if duplicated.any():
        frame = frame[~duplicated].reset_index(drop=True)
    frame.attrs["torn_line"] = bad[0] if bad is not None else None
    frame.attrs["source"] = file
    return frame


def _column(name: str) -> Any:
    if name in FLOAT_COLUMNS:
        return array("d")
    if name in INT_COLUMNS:
        return array("q")
    return []


def _float(value: Any) -> float:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return float(value)
    return math.nan


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return int(_DEFAULTS.get(name) or 0)


def rows_to_frame(rows: Iterable[ResultRow | Mapping[str, Any]]) -> pd.DataFrame:
    """A DataFrame with the ``COLUMNS`` (in order) and their dtypes, the last row per key."""
    by_key: dict[Key, dict[str, Any]] = {}
    for row in rows:
        data = row.to_dict() if isinstance(row, ResultRow) else dict(row)
        key = (
            str(data["prompt_id"]),
            str(data["model"]),
            str(data["backend"]),
            int(data["repeat"]),
        )
        by_key.pop(key, None)  # the newest row moves to the end, like a rerun
        by_key[key] = data
    columns: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    for data in by_key.values():
        for name in COLUMNS:
            columns[name].append(data.get(name, _DEFAULTS.get(name)))
    return _frame(columns)


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    data: dict[str, Any] = {}
    for name, values in columns.items():
        if name in FLOAT_COLUMNS:
            data[name] = np.array(
                [_float(v) for v in values] if isinstance(values, list) else values, dtype=float
            )
        elif name in INT_COLUMNS:
            data[name] = np.array(values, dtype=np.int64)
        elif name in BOOL_COLUMNS:
            data[name] = np.array([bool(v) for v in values], dtype=bool)
        elif name in COLUMNS:
            data[name] = ["" if v is None else str(v) for v in values]
        else:
            data[name] = values
    return pd.DataFrame(data)


def _keys(frame: pd.DataFrame, mask: Any = None) -> set[Key]:
    part = frame if mask is None else frame[mask]
    return {
        (str(p), str(m), str(b), int(r))
        for p, m, b, r in zip(
            part["prompt_id"], part["model"], part["backend"], part["repeat"], strict=True
        )
    }


def _as_frame(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    return read_results(source) if isinstance(source, str | Path) else source


def completed_keys(source: str | Path | pd.DataFrame) -> set[Key]:
    """Keys that have a row at all (succeeded or failed): what ``--resume`` skips."""
    frame = _as_frame(source)
    return _keys(frame) if len(frame) else set()


def failed_keys(source: str | Path | pd.DataFrame) -> set[Key]:
    """Keys whose last row is an error: what ``--retry-errors`` reruns."""
    frame = _as_frame(source)
    if not len(frame):
        return set()
    return _keys(frame, frame["error_type"].fillna("").astype(str) != "")
