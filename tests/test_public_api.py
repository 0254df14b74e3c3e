"""One public surface: a sorted __all__, every name importable."""

from __future__ import annotations

import modelbench


def test_all_is_sorted_and_resolves() -> None:
    names = [n for n in modelbench.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in modelbench.__all__:
        assert getattr(modelbench, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        modelbench.NotAThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NotAThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
