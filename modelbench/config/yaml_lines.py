"""YAML parsing that remembers where each value came from and rejects duplicate keys."""

from __future__ import annotations

from typing import Any

import yaml

from modelbench._errors import ConfigError

Path_ = tuple[str | int, ...]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(
                    f"duplicate key {key!r} (first defined on line {seen[key]}); keep one of them",
                    line=key_node.start_mark.line + 1,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _index_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            # A problem with an entry points at the line of its key.
            lines[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*path, i), lines)


def parse_yaml(text: str, file: str) -> tuple[Any, dict[Path_, int]]:
    """Parse ``text``; return the data and a map from key path to 1-based line number."""
    try:
        node = yaml.compose(text, Loader=_LineLoader)
        data = yaml.load(text, Loader=_LineLoader)
    except ConfigError as exc:
        raise ConfigError(exc.message, file=file, line=exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {what}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return data, lines


def line_for(lines: dict[Path_, int], loc: Path_) -> int | None:
    """The line of the deepest part of ``loc`` that is in the YAML.

    pydantic puts union member tags (``'str'``, ``'ModelEntry'``) into error paths; those are
    not in the file and are skipped.
    """
    path: Path_ = ()
    best = lines.get(())
    for part in loc:
        candidate = (*path, part)
        if candidate not in lines and not isinstance(part, str):
            candidate = (*path, str(part))  # lines are keyed by the YAML text of a key
        if candidate in lines:
            path = candidate
            best = lines[candidate]
    return best
