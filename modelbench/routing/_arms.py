"""Arms: the (model, backend) pairs a policy routes among, named as users read them.

An arm is the model name when that model has exactly one backend in the results, else
``model@backend`` (backend = the results' ``backend`` column, ``Deployment.name``).
"""

from __future__ import annotations

import pandas as pd

from modelbench._errors import ResultsError

__all__ = ["arm_column", "arms", "split_arm"]


def arm_column(results: pd.DataFrame) -> pd.Series:
    """The arm of every row (a string Series aligned with ``results``)."""
    for column in ("model", "backend"):
        if column not in results.columns:
            raise ResultsError(
                f"the results have no {column!r} column: routing needs benchmark results "
                "(a file written by 'modelbench run')"
            )
    model = results["model"].astype(str)
    backend = results["backend"].astype(str)
    backends = backend.groupby(model, sort=False).nunique()
    several = model.map(backends).gt(1)
    return model.where(~several, model + "@" + backend)


def arms(results: pd.DataFrame) -> list[str]:
    """The arms present in the results, sorted by name."""
    if results.empty:
        return []
    return sorted(arm_column(results).unique().tolist())


def split_arm(arm: str) -> tuple[str, str | None]:
    """``"m@b"`` -> ``("m", "b")``; ``"m"`` -> ``("m", None)``."""
    model, sep, backend = arm.partition("@")
    return model, (backend if sep else None)
