"""The registry: model names and aliases -> deployments, compiled from a validated config.

A *model* is the name user code calls (``smart``); a *deployment* is one backend serving it
(``openai/gpt-4o``). The registry resolves names in exactly one place (``canonical``) and calls
models through a ``litellm.Router`` built from its LiteLLM form (``to_litellm.py``).

    reg = Registry.from_yaml("examples/model_config_example.yaml")
    reg.resolve("fast")                  # -> (Deployment(...), ...)
    reg.select(capabilities=["vision"])  # -> ["smart"]
    reg.completion("smart", [{"role": "user", "content": "hi"}])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelbench._errors import MissingSecretError, UnknownModelError
from modelbench._suggest import did_you_mean
from modelbench.config import LoadedConfig, load_config, validate_data
from modelbench.config.schema import Config
from modelbench.registry import to_litellm
from modelbench.registry.compile import compile_models
from modelbench.registry.records import Deployment, ModelSpec

if TYPE_CHECKING:
    from litellm import Router

__all__ = ["Registry"]


class Registry:
    """Resolved models and aliases; compiles to LiteLLM's config and calls through its Router."""

    def __init__(self, loaded: LoadedConfig) -> None:
        self._loaded = loaded
        self.config: Config = loaded.config
        self.source: str = loaded.file
        self.warnings: tuple[str, ...] = loaded.warnings
        """Everything the config deserves a warning for (``validate`` and ``models`` print it)."""
        self.models: dict[str, ModelSpec] = compile_models(
            loaded.config, base_dir=Path(loaded.file).parent
        )
        self.aliases: dict[str, str] = {
            alias: spec.name for spec in self.models.values() for alias in spec.aliases
        }
        self._router: Router | None = None
        from modelbench.route_form import compile_routes

        self.routes = compile_routes(self)
        """Route name -> its compiled policy (``routes:`` of the config)."""

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def from_yaml(cls, path: str | Path) -> Registry:
        return cls(load_config(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Registry:
        return cls(validate_data(dict(data), file=source))

    @classmethod
    def from_config(cls, config: Config, *, source: str = "<config>") -> Registry:
        return cls(LoadedConfig(config=config, file=source))

    def __repr__(self) -> str:
        return f"Registry({len(self.models)} models from {self.source!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Registry):
            return NotImplemented
        return (
            self.models == other.models
            and self.config.routing == other.config.routing
            and self.config.routes == other.config.routes
        )

    __hash__ = None  # type: ignore[assignment]

    # --- names ------------------------------------------------------------------------------

    @property
    def file_warnings(self) -> tuple[str, ...]:
        """``warnings`` without those that only say a backend's ``${VAR}`` is not set: what
        commands that call backends print (they say which backends they skip, and why)."""
        unset = set(self._loaded.unset_env_warnings)
        return tuple(w for w in self.warnings if w not in unset)

    @property
    def names(self) -> list[str]:
        return list(self.models)

    def canonical(self, name: str) -> str:
        """The model a name or alias refers to: the one place names are resolved."""
        if name in self.models:
            return name
        if name in self.aliases:
            return self.aliases[name]
        choices = [*self.models, *self.aliases]
        raise UnknownModelError(
            f"unknown model {name!r}{did_you_mean(name, choices)}; "
            f"known models: {', '.join(self.models) or '(none)'}"
        )

    def model(self, name: str) -> ModelSpec:
        return self.models[self.canonical(name)]

    def resolve(self, name: str) -> tuple[Deployment, ...]:
        """The deployments serving a model name or alias."""
        return self.model(name).deployments

    def select(self, capabilities: Iterable[str] = ()) -> list[str]:
        """Models that have every capability asked for, in config order."""
        wanted = set(capabilities)
        from modelbench.config.schema import CAPABILITIES

        unknown = wanted - set(CAPABILITIES)
        if unknown:
            bad = sorted(unknown)[0]
            raise UnknownModelError(
                f"unknown capability {bad!r}{did_you_mean(bad, CAPABILITIES)}; "
                f"known: {', '.join(CAPABILITIES)}"
            )
        return [n for n, spec in self.models.items() if wanted <= spec.capabilities]

    def deployments(
        self, models: Sequence[str] | None = None, backends: Sequence[str] | None = None
    ) -> list[Deployment]:
        """Deployments of the given models (names or aliases), optionally only some backends.

        A backend filter matches a backend name (``openai``) or a deployment name
        (``openai/gpt-4o``).
        """
        names = [self.canonical(m) for m in models] if models else list(self.models)
        chosen = [d for n in dict.fromkeys(names) for d in self.models[n].deployments]
        if backends:
            known = {d.backend for d in chosen} | {d.name for d in chosen}
            for b in backends:
                if b not in known:
                    raise UnknownModelError(
                        f"unknown backend {b!r}{did_you_mean(b, known)}; "
                        f"known: {', '.join(sorted(known))}"
                    )
            chosen = [d for d in chosen if d.backend in backends or d.name in backends]
        return chosen

    # --- LiteLLM form -----------------------------------------------------------------------

    def to_litellm_config(self) -> dict[str, Any]:
        """LiteLLM Proxy's config: ``model_list``, ``router_settings``, ``litellm_settings``."""
        from modelbench.litellm_form import to_litellm_config

        return to_litellm_config(self)

    def router_settings(self) -> dict[str, Any]:
        """``router_settings`` for LiteLLM (also the keyword arguments of ``litellm.Router``)."""
        return to_litellm.router_settings(self)

    def model_list(
        self, *, resolve: bool, skip: frozenset[str] | set[str] = frozenset()
    ) -> list[dict[str, Any]]:
        """LiteLLM's ``model_list``; ``resolve=True`` reads secrets now (for in-process calls).

        Routes add their groups (see route_form.py). ``skip``: deployment ids to leave out.
        """
        return to_litellm.model_list(self, resolve=resolve, skip=skip)

    def deployment_entry(self, dep: Deployment, *, resolve: bool) -> dict[str, Any]:
        """One ``model_list`` entry: a deployment under its model's name."""
        return to_litellm.deployment_entry(self, dep, resolve=resolve)

    # --- calls ------------------------------------------------------------------------------

    def router(self) -> Router:
        """A ``litellm.Router`` over every deployment whose secrets are set (built once)."""
        if self._router is None:
            from modelbench._env import import_litellm

            litellm = import_litellm()
            missing = {d.id for d in self.deployments() if d.missing_env()}
            # Deployments whose secrets are unset are left out (reported when called).
            usable = self.model_list(resolve=True, skip=missing)
            self._router = litellm.Router(model_list=usable, **self.router_settings())
        return self._router

    def _check_callable(self, name: str) -> str:
        model = self.canonical(name)
        deps = self.models[model].deployments
        if all(d.missing_env() for d in deps):
            missing = sorted({v for d in deps for v in d.missing_env()})
            raise MissingSecretError(
                f"model {model!r} cannot be called: {', '.join(missing)} not set "
                f"(needed by {', '.join(d.name for d in deps)}); export it and retry"
            )
        return model

    def completion(self, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        """Call a model (name or alias) through the Router: fallbacks and balancing apply.

        A route (``routes:``) runs its policy; ``category=`` picks a ByCategory route's arm.
        """
        if model in self.routes:
            from modelbench._sync import run_sync

            return run_sync(lambda: self.acompletion(model, messages, **kwargs))
        name = self._check_callable(model)
        return self.router().completion(model=name, messages=messages, **kwargs)

    async def acompletion(self, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        if model in self.routes:
            from modelbench.route_call import acall_route

            return await acall_route(self, model, "chat", messages, kwargs)
        name = self._check_callable(model)
        router: Any = self.router()  # litellm types messages as TypedDicts; ours are dicts
        return await router.acompletion(model=name, messages=messages, **kwargs)

    def text_completion(self, model: str, prompt: str, **kwargs: Any) -> Any:
        """Call a model on the text-completion endpoint (base models), through the Router.

        Works inside a running event loop (Jupyter) too.
        """
        from modelbench._sync import run_sync

        # litellm's sync Router.text_completion drops the deployment's model (1.108.7);
        # the async path routes correctly, so the sync call runs it.
        return run_sync(lambda: self.atext_completion(model, prompt, **kwargs))

    async def atext_completion(self, model: str, prompt: str, **kwargs: Any) -> Any:
        if model in self.routes:
            from modelbench.route_call import acall_route

            return await acall_route(self, model, "text", prompt, kwargs)
        name = self._check_callable(model)
        return await self.router().atext_completion(model=name, prompt=prompt, **kwargs)

    # --- our own format ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The config in modelbench's format (loads back to an equal registry)."""
        return self.config.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
