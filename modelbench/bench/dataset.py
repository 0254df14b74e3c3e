"""Datasets: JSONL, CSV or a DataFrame -> ``list[DatasetItem]``.

Each row has an ``id``, a ``prompt`` (text) or ``messages`` (chat, a JSON list), and
optionally ``expected``, ``category`` and ``metadata`` (a JSON object). Any problem is a
``DatasetError`` naming the file and line; unknown keys and duplicate ids are errors too.

    items = load_dataset("data/quickstart.jsonl")
    items = load_dataset(pandas.read_parquet("qa.parquet"))
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from modelbench._errors import DatasetError
from modelbench._suggest import did_you_mean
from modelbench.bench.record import DatasetItem

if TYPE_CHECKING:
    import pandas as pd

    DatasetSource: TypeAlias = str | Path | pd.DataFrame | Iterable[DatasetItem | Mapping[str, Any]]

__all__ = ["load_dataset", "parse_item"]

FIELDS: tuple[str, ...] = ("id", "prompt", "messages", "expected", "category", "metadata")


def load_dataset(source: DatasetSource) -> list[DatasetItem]:
    """Items from a ``.jsonl``/``.ndjson``/``.csv`` path, a DataFrame, or rows/items."""
    if isinstance(source, str | Path):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            return _check_ids(_read_jsonl(path), str(path))
        if suffix == ".csv":
            return _check_ids(_read_csv(path), str(path))
        raise DatasetError(
            f"unknown dataset format {suffix or '(no extension)'!r}; "
            "use a .jsonl (one JSON object per line) or a .csv file",
            file=str(path),
        )
    if _is_dataframe(source):
        return _check_ids(_read_frame(source), "<DataFrame>")
    if isinstance(source, Iterable) and not isinstance(source, str | bytes | Mapping):
        located: list[tuple[int | None, DatasetItem]] = []
        for i, row in enumerate(source):
            if isinstance(row, DatasetItem):
                located.append((None, row))
            else:
                located.append((None, parse_item(row, file="<rows>", line=None, where=f"row {i}")))
        return _check_ids(located, "<rows>")
    raise DatasetError(
        f"cannot read a dataset from {type(source).__name__}; "
        "give a .jsonl or .csv path, a pandas DataFrame, or a list of rows"
    )


def parse_item(
    row: Mapping[str, Any], *, file: str | None, line: int | None, where: str = ""
) -> DatasetItem:
    """One validated item from a mapping (JSON object, CSV row, DataFrame record)."""
    prefix = f"{where}: " if where else ""

    def fail(message: str) -> DatasetError:
        return DatasetError(prefix + message, file=file, line=line)

    if not isinstance(row, Mapping):
        raise fail(f"a row must be a JSON object, got {type(row).__name__}")
    for key in row:
        if key not in FIELDS:
            raise fail(
                f"unknown key {key!r}{did_you_mean(str(key), FIELDS)}; valid keys: "
                f"{', '.join(FIELDS)} (put other fields under 'metadata')"
            )
    raw_id = row.get("id")
    if raw_id is None or raw_id == "" or isinstance(raw_id, bool):
        raise fail("the row has no 'id'; give every row a unique id")
    if not isinstance(raw_id, str | int):
        raise fail(f"'id' must be a string or an integer, got {type(raw_id).__name__}")
    prompt = row.get("prompt")
    messages = row.get("messages")
    if (prompt is None) == (messages is None):
        raise fail("give exactly one of 'prompt' (text) or 'messages' (a chat message list)")
    if prompt is not None and not isinstance(prompt, str):
        raise fail(f"'prompt' must be a string, got {type(prompt).__name__}")
    parsed_messages = None if messages is None else _messages(messages, fail)
    category = row.get("category")
    if category is None:
        category = ""
    elif not isinstance(category, str | int):
        raise fail(f"'category' must be a string, got {type(category).__name__}")
    metadata = row.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, Mapping):
        raise fail(f"'metadata' must be a JSON object, got {type(metadata).__name__}")
    return DatasetItem(
        id=str(raw_id),
        prompt=prompt,
        messages=parsed_messages,
        expected=row.get("expected"),
        category=str(category),
        metadata=dict(metadata),
    )


def _messages(value: Any, fail: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not value:
        raise fail("'messages' must be a non-empty list of {'role': ..., 'content': ...}")
    out: list[dict[str, Any]] = []
    for i, message in enumerate(value):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise fail(f"messages[{i}] must be an object with a 'role' string and 'content'")
        content = message.get("content")
        if not isinstance(content, str | list):
            raise fail(f"messages[{i}].content must be a string or a list of content parts")
        out.append(dict(message))
    return tuple(out)


def _read_jsonl(path: Path) -> list[tuple[int | None, DatasetItem]]:
    file = str(path)
    items: list[tuple[int | None, DatasetItem]] = []
    try:
        with path.open(encoding="utf-8") as fh:
            for number, text in enumerate(fh, start=1):
                if not text.strip():
                    continue
                try:
                    data = json.loads(text.rstrip("\r\n"))
                except json.JSONDecodeError as exc:
                    raise DatasetError(
                        f"not valid JSON ({exc.msg} at column {exc.colno})", file=file, line=number
                    ) from None
                items.append((number, parse_item(data, file=file, line=number)))
    except OSError as exc:
        raise DatasetError(f"cannot read the dataset: {exc.strerror or exc}", file=file) from None
    except UnicodeDecodeError:
        raise DatasetError("the file is not UTF-8 text", file=file) from None
    return items


def _read_csv(path: Path) -> list[tuple[int | None, DatasetItem]]:
    file = str(path)
    items: list[tuple[int | None, DatasetItem]] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            start = 2  # the header is line 1
            for record in reader:
                line = start
                start = reader.line_num + 1
                if None in record:
                    raise DatasetError(
                        "the row has more cells than the header has columns", file=file, line=line
                    )
                row: dict[str, Any] = {k: v for k, v in record.items() if v not in ("", None)}
                if not row:
                    continue
                for key in ("messages", "metadata"):
                    if key in row:
                        try:
                            row[key] = json.loads(row[key])
                        except json.JSONDecodeError as exc:
                            raise DatasetError(
                                f"the {key!r} cell is not valid JSON ({exc.msg})",
                                file=file,
                                line=line,
                            ) from None
                items.append((line, parse_item(row, file=file, line=line)))
    except OSError as exc:
        raise DatasetError(f"cannot read the dataset: {exc.strerror or exc}", file=file) from None
    except UnicodeDecodeError:
        raise DatasetError("the file is not UTF-8 text", file=file) from None
    except csv.Error as exc:
        raise DatasetError(f"not valid CSV: {exc}", file=file) from None
    return items


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "to_dict")


def _read_frame(frame: pd.DataFrame) -> list[tuple[int | None, DatasetItem]]:
    items: list[tuple[int | None, DatasetItem]] = []
    for position, (index, record) in enumerate(
        zip(frame.index, frame.to_dict("records"), strict=True)
    ):
        row = {str(k): v for k, v in record.items() if not _missing(v)}
        where = f"row {position} (index {index!r})"
        items.append((None, parse_item(row, file="<DataFrame>", line=None, where=where)))
    return items


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _check_ids(items: list[tuple[int | None, DatasetItem]], file: str) -> list[DatasetItem]:
    if not items:
        raise DatasetError("the dataset has no rows", file=file)
    seen: dict[str, int | None] = {}
    for line, item in items:
        if item.id in seen:
            first = seen[item.id]
            where = f" (first on line {first})" if first is not None else ""
            raise DatasetError(
                f"duplicate id {item.id!r}{where}; every row needs a unique id",
                file=file,
                line=line,
            )
        seen[item.id] = line
    return [item for _, item in items]
