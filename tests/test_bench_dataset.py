"""Datasets: JSONL, CSV and DataFrames in; every problem names the file and line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from modelbench._errors import DatasetError
from modelbench.bench import DatasetItem, load_dataset

DATA = Path(__file__).parent / "data"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_rows_become_items() -> None:
    items = load_dataset(DATA / "bench_small.jsonl")
    assert [i.id for i in items] == ["q1", "q2", "3"]
    assert items[0] == DatasetItem(id="q1", prompt="What is 2+2?", expected="4", category="math")
    assert items[1].as_messages()[-1] == {"role": "user", "content": "Capital of France?"}
    assert items[1].metadata == {"difficulty": "easy"}
    assert items[2].category == ""
    assert items[2].expected is None


def test_csv_rows_with_json_cells_and_multiline_prompt() -> None:
    items = load_dataset(DATA / "bench_small.csv")
    assert [i.id for i in items] == ["q1", "q2", "q3"]
    assert items[0].prompt == "What is 2+2?"
    assert items[0].expected == "4"
    assert items[1].messages == ({"role": "user", "content": "Capital of France?"},)
    assert items[1].metadata == {"difficulty": "easy"}
    assert items[2].prompt == "multi\nline"


def test_dataframe_and_row_dicts() -> None:
    frame = pd.DataFrame(
        {"id": ["a", "b"], "prompt": ["x", "y"], "expected": ["1", None], "category": ["c", None]}
    )
    items = load_dataset(frame)
    assert [(i.id, i.prompt, i.expected, i.category) for i in items] == [
        ("a", "x", "1", "c"),
        ("b", "y", None, ""),
    ]
    assert load_dataset([{"id": "z", "prompt": "p"}, items[0]])[1] is items[0]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('{"id": "a", "prompt": "x"}\n{"id": "b", "prompt": \n', 2, "not valid JSON"),
        ('{"id": "a", "prompt": "x"}\n\n{"prompt": "y"}\n', 3, "has no 'id'"),
        ('{"id": "a", "prompt": "x", "messages": []}\n', 1, "exactly one of 'prompt'"),
        ('{"id": "a", "promt": "x"}\n', 1, "did you mean 'prompt'"),
        ('{"id": "a", "messages": [{"content": "x"}]}\n', 1, "messages[0]"),
        ('{"id": "a", "prompt": "x", "metadata": [1]}\n', 1, "'metadata' must be"),
        ('["a", "b"]\n', 1, "must be a JSON object"),
        ('{"id": "a", "prompt": "x"}\n{"id": "a", "prompt": "y"}\n', 2, "duplicate id 'a'"),
    ],
)
def test_jsonl_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, "bad.jsonl", text)
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert info.value.file == str(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert fragment in str(info.value)


def test_csv_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", 'id,prompt,messages\na,"x\ny",\nb,,"[not json"\n')
    with pytest.raises(DatasetError, match=r"bad\.csv:4: the 'messages' cell is not valid JSON"):
        load_dataset(path)


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.jsonl", '{"id": 1, "prompt": "x"}\n{"id": "1", "prompt": "y"}\n')
    with pytest.raises(DatasetError, match=r"dup\.jsonl:2: duplicate id '1' \(first on line 1\)"):
        load_dataset(path)


def test_dataframe_errors_name_the_row() -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "prompt": ["x", None]})
    with pytest.raises(DatasetError, match=r"<DataFrame>: row 1 \(index 1\): give exactly one"):
        load_dataset(frame)


def test_unknown_format_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"unknown dataset format '\.txt'"):
        load_dataset(write(tmp_path, "d.txt", "x"))
    with pytest.raises(DatasetError, match="the dataset has no rows"):
        load_dataset(write(tmp_path, "empty.jsonl", "\n\n"))
    with pytest.raises(DatasetError, match="cannot read the dataset"):
        load_dataset(tmp_path / "missing.jsonl")
    with pytest.raises(DatasetError, match="cannot read a dataset from int"):
        load_dataset(3)  # type: ignore[arg-type]


def test_quickstart_dataset_loads() -> None:
    items = load_dataset(Path(__file__).parents[1] / "data" / "quickstart.jsonl")
    assert len(items) >= 1
    assert all(i.prompt for i in items)
