"""Routing policies: one family per module, each registered through ``register_policy``."""

from __future__ import annotations

from modelbench.routing.policies.base import (
    Member,
    Policy,
    policy_from_dict,
    policy_names,
    register_policy,
    resolve_policy,
)
from modelbench.routing.policies.bycategory import ByCategory, Learning
from modelbench.routing.policies.cascade import Cascade
from modelbench.routing.policies.fallback import Fallback
from modelbench.routing.policies.oracle import Oracle
from modelbench.routing.policies.pick import Cheapest, Fastest
from modelbench.routing.policies.single import Single
from modelbench.routing.policies.weighted import Weighted

__all__ = [
    "ByCategory",
    "Cascade",
    "Cheapest",
    "Fallback",
    "Fastest",
    "Learning",
    "Member",
    "Oracle",
    "Policy",
    "Single",
    "Weighted",
    "policy_from_dict",
    "policy_names",
    "register_policy",
    "resolve_policy",
]
