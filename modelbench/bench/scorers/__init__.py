"""Scorer implementations. Import the public names from ``modelbench.bench.scoring``.

Importing this package registers the built-in scorers (``rules``, ``judge``) through
``register_scorer``: the same call a user's own scorer makes.
"""

from modelbench.bench.scorers import base, judge, rules

__all__ = ["base", "judge", "rules"]
