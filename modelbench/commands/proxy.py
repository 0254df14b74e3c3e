"""``modelbench proxy CONFIG_OR_EXPORT``: serve a config (or its LiteLLM export) with LiteLLM Proxy.

What the file needs is started first and wired by its environment variable: the embedded local
model (``MODELBENCH_LOCAL_API_BASE``) and the simulated backends' fake provider
(``MODELBENCH_SIM_API_BASE``), unless those variables already point at running servers. The
master key is ``LITELLM_MASTER_KEY`` when set, else the file's own, else one generated for this
run. Ctrl-C stops everything this command started, and nothing else.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from modelbench import ConfigError, ServerError
from modelbench.commands.options import port_number
from modelbench.providers import LOCAL_API_BASE_ENV, SIM_API_BASE_ENV
from modelbench.servers import http_get

MASTER_KEY_ENV = "LITELLM_MASTER_KEY"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "proxy",
        help="serve a config or its LiteLLM export with LiteLLM Proxy on 127.0.0.1 until Ctrl-C",
        description=(
            "Start LiteLLM Proxy on a modelbench config or an exported LiteLLM file "
            "(modelbench export ... --format litellm). The local model and simulated backends "
            "it uses are started first; Ctrl-C stops all of it."
        ),
    )
    p.add_argument("config", metavar="CONFIG_OR_EXPORT", help="modelbench config or LiteLLM file")
    p.add_argument("--port", type=port_number, default=None, help="port (default: a free one)")
    p.set_defaults(func=cmd_proxy)


@dataclass(frozen=True)
class ServePlan:
    """What serving a file takes: the LiteLLM file to run and the servers to start first."""

    litellm_file: Path
    data: Mapping[str, Any]
    needs_local: bool
    sim_profiles: tuple[str | None, ...]
    """Profiles of the fake providers the file's ``provider: sim`` deployments need."""


def _uses(data: Mapping[str, Any], env: str) -> list[Mapping[str, Any]]:
    marker = f"os.environ/{env}"
    return [
        item
        for item in data.get("model_list") or []
        if isinstance(item, Mapping)
        and isinstance(item.get("litellm_params"), Mapping)
        and item["litellm_params"].get("api_base") == marker
    ]


@contextmanager
def serve_plan(path: str | Path) -> Iterator[ServePlan]:
    """Read a modelbench config or LiteLLM file; a modelbench config is exported to a temp file."""
    from modelbench.config.loader import read_text
    from modelbench.config.yaml_lines import parse_yaml

    path = str(path)
    raw, _ = parse_yaml(read_text(path), path)
    with ExitStack() as stack:
        if isinstance(raw, Mapping) and "model_list" in raw:
            litellm_file, data = Path(path), raw
        else:
            from modelbench.export_files import dump_litellm
            from modelbench.registry import Registry

            registry = Registry.from_yaml(path)
            for w in registry.file_warnings:
                print(w, file=sys.stderr)
            for dep in registry.deployments():  # one line each, as run's "skipping" note
                if dep.missing_env():
                    print(
                        f"note: {dep.name}: {', '.join(dep.missing_env())} not set; "
                        "requests routed to it will fail until it is",
                        file=sys.stderr,
                    )
            data = registry.to_litellm_config()
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="modelbench-proxy-"))
            litellm_file = Path(tmp) / "litellm.yaml"
            litellm_file.write_text(dump_litellm(registry, data, source=path), encoding="utf-8")
        if not data.get("model_list"):
            raise ConfigError("nothing to serve: the file defines no models", file=path)
        profiles: dict[str | None, None] = {}
        for item in _uses(data, SIM_API_BASE_ENV):
            info = item.get("model_info") or {}
            profiles[info.get("sim_profile") if isinstance(info, Mapping) else None] = None
        if len(profiles) > 1:
            raise ConfigError(
                "the simulated backends use different profiles "
                f"({', '.join(str(p) for p in profiles)}); one fake provider serves one "
                "profile: merge them into one file",
                file=path,
            )
        yield ServePlan(
            litellm_file=litellm_file,
            data=data,
            needs_local=bool(_uses(data, LOCAL_API_BASE_ENV)),
            sim_profiles=tuple(profiles),
        )


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def master_key() -> tuple[str, str]:
    """(key, where it comes from): the environment's, or one generated for this run."""
    from_env = os.environ.get(MASTER_KEY_ENV, "").strip()
    if from_env:
        return from_env, f"{MASTER_KEY_ENV} from the environment"
    return "sk-mb-" + secrets.token_urlsafe(18), f"generated for this run (set {MASTER_KEY_ENV})"


def curl_line(url: str, model: str, key_shown: str, *, tags: list[str] | None = None) -> str:
    body = f'"model": "{model}", "messages": [{{"role": "user", "content": "Say hi"}}]'
    if tags:
        body += ', "tags": [' + ", ".join(f'"{t}"' for t in tags) + "]"
    return (
        f'curl -s {url}/v1/chat/completions -H "Authorization: Bearer {key_shown}" '  # $VAR expands
        f"-H 'Content-Type: application/json' -d '{{{body}}}'"
    )


def _example_model(data: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The model a ready curl line should call (the routed one when there is one), and its tags."""
    items = [i for i in data.get("model_list") or [] if isinstance(i, Mapping)]
    routed = [i for i in items if (i.get("model_info") or {}).get("modelbench_route")]
    item = (routed or items)[0]
    tags = (item.get("litellm_params") or {}).get("tags") or []
    return str(item["model_name"]), [str(t) for t in tags if t != "default"][:1]


def cmd_proxy(args: argparse.Namespace) -> int:
    from modelbench.servers.proxy import litellm_proxy

    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with ExitStack() as stack:
            plan = stack.enter_context(serve_plan(args.config))
            env: dict[str, str] = {}
            if plan.needs_local and not os.environ.get(LOCAL_API_BASE_ENV):
                from modelbench.servers.local import local_server

                print("starting the local model ...", file=sys.stderr, flush=True)
                env[LOCAL_API_BASE_ENV] = stack.enter_context(local_server())
                print(f"  local model: {env[LOCAL_API_BASE_ENV]}", flush=True)
            if plan.sim_profiles and not os.environ.get(SIM_API_BASE_ENV):
                from modelbench.servers.fake import FakeProvider

                fake = stack.enter_context(FakeProvider(plan.sim_profiles[0]))
                env[SIM_API_BASE_ENV] = fake.api_base
                print(
                    f"  simulated backends (fake provider): {fake.api_base} "
                    f"(stats: {fake.url}/_sim/stats)",
                    flush=True,
                )
            key, source = master_key()
            print("starting LiteLLM Proxy ...", file=sys.stderr, flush=True)
            proxy = stack.enter_context(
                litellm_proxy(plan.litellm_file, port=args.port or None, master_key=key, env=env)
            )
            shown = f"${MASTER_KEY_ENV}" if source.startswith(MASTER_KEY_ENV) else key
            model, tags = _example_model(plan.data)
            print(f"LiteLLM Proxy listening: {proxy.url}  (OpenAI base URL {proxy.api_base})")
            print(f"  master key: {source}" + ("" if shown != key else f": {key}"))
            print(f"  try: {curl_line(proxy.url, model, shown, tags=tags)}")
            print("Ctrl-C to stop", flush=True)
            misses = 0
            while misses < 3:
                time.sleep(1.0)
                misses = 0 if http_get(proxy.url + "/health/liveliness") == 200 else misses + 1
            raise ServerError("LiteLLM Proxy stopped answering; stopping what was started")
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
