"""``compare(config, dataset)``: run a benchmark with a live progress bar, open the dashboard.

    dash = modelbench.compare("examples/local.yaml", "data/quickstart.jsonl", repeats=2)
    dash.results                 # the results DataFrame

Backends whose API key is not set are skipped with a note (so the same cell benchmarks the
cloud backends once their keys are exported), unless chosen by name.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelbench._errors import MissingSecretError

if TYPE_CHECKING:
    from modelbench.notebook.dashboard import Dashboard
    from modelbench.registry import Registry

__all__ = ["compare"]


def _registry(config: Any) -> Registry:
    from modelbench.registry import Registry

    if isinstance(config, Registry):
        return config
    if isinstance(config, Mapping):
        return Registry.from_dict(config)
    return Registry.from_yaml(Path(config))


def callable_backends(
    registry: Registry, models: Sequence[str] | None, backends: Sequence[str] | None
) -> list[str]:
    """The deployments to run: those whose secrets are set; a note for each one skipped."""
    chosen = registry.deployments(models, backends)
    missing = {d.name: d.missing_env() for d in chosen if d.missing_env()}
    if missing and (models or backends):
        name, variables = next(iter(missing.items()))
        raise MissingSecretError(
            f"{name} needs {', '.join(variables)}, which is not set; set it "
            "(os.environ[...] = ...) or leave that backend out of models= and backends="
        )
    for name, variables in missing.items():
        print(f"skipping {name}: {', '.join(variables)} not set")
    usable = [d.name for d in chosen if d.name not in missing]
    if not usable:
        raise MissingSecretError(
            "no backend in the config can be called: set the API keys it names"
        )
    return list(dict.fromkeys(usable))


def compare(
    config: Any,
    dataset: Any,
    *,
    models: Sequence[str] | None = None,
    backends: Sequence[str] | None = None,
    repeats: int = 3,
    scorer: Any = "exact",
    out: str | Path | None = None,
    concurrency: int = 16,
    progress: bool = True,
    **options: Any,
) -> Dashboard:
    """Benchmark ``dataset`` on the config's models (a path, a dict or a ``Registry``) and
    return the dashboard on the results. ``options`` go to ``Benchmark`` (``cache``,
    ``timeout``, ``resume``, ...)."""
    from modelbench.bench.runner import Benchmark
    from modelbench.notebook.dashboard import Dashboard

    registry = _registry(config)
    bench = Benchmark(
        registry,
        dataset,
        models=models,
        backends=callable_backends(registry, models, backends),
        repeats=repeats,
        scorer=scorer,
        out=out,
        concurrency=concurrency,
        progress=progress,
        **options,
    )
    with _quiet_litellm():
        results = bench.run()
    return Dashboard(results, registry, dataset=bench.items)


@contextlib.contextmanager
def _quiet_litellm() -> Iterator[None]:
    """litellm logs a warning per custom-priced model at registration (cache-token prices it
    does not know); in a notebook cell that buries the progress bar, so keep only errors."""
    logger = logging.getLogger("LiteLLM")
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)
