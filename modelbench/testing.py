"""Pytest fixtures for code that talks to LLM providers: load with
``pytest_plugins = ["modelbench.testing"]``.

``fake_provider``
    The built-in profile (``fake-fast``, ``fake-slow``, ``fake-flaky``) on a free port. One
    process serves the whole session; its counters are reset before each test.
``fake_provider_factory``
    ``fake_provider_factory(profile_dict, seed=0)`` starts a server with your profile;
    every server it started is stopped after the test.

::

    async def test_failover(fake_provider):
        litellm.acompletion(model="openai/fake-fast", api_base=fake_provider.api_base,
                            api_key="sk-fake", messages=[...])
        assert fake_provider.stats().requests["fake-fast"] == 1
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from modelbench.servers.fake import FakeProvider, Profile

__all__ = ["FakeProviderFactory", "fake_provider", "fake_provider_factory"]

FakeProviderFactory = Callable[..., FakeProvider]


@pytest.fixture(scope="session")
def _fake_provider_session() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def fake_provider(_fake_provider_session: FakeProvider) -> FakeProvider:
    """The default fake provider, with fresh counters (so fault draws restart too)."""
    _fake_provider_session.reset()
    return _fake_provider_session


@pytest.fixture
def fake_provider_factory() -> Iterator[FakeProviderFactory]:
    """Start fake providers with a given profile; all are stopped after the test."""
    started: list[FakeProvider] = []

    def start(
        profile: Profile | Mapping[str, Any] | str | Path | None = None,
        *,
        seed: int = 0,
        port: int | None = None,
    ) -> FakeProvider:
        provider = FakeProvider(profile, seed=seed, port=port)
        started.append(provider)
        return provider.start()

    yield start
    for provider in started:
        provider.stop()
