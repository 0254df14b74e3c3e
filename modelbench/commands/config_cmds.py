"""validate, models, export, import-litellm: the config commands."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from modelbench import ConfigError
from modelbench.files import write_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a config; one line per problem (FILE:LINE: ...)")
    p.add_argument("config", help="a modelbench config YAML")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("models", help="list models, aliases, backends, capabilities and prices")
    p.add_argument("config")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("export", help="write the config for LiteLLM Proxy (or back as modelbench)")
    p.add_argument("config")
    p.add_argument("--format", choices=["litellm", "modelbench"], default="litellm")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    from modelbench.commands.tune import add_tune_arguments

    add_tune_arguments(p)
    p.add_argument(
        "--redis-url",
        metavar="URL",
        help="a Redis that several proxy instances share for rpm/tpm usage and cooldowns "
        "(redis://HOST:PORT, or '${REDIS_URL}' to keep a password out of the file)",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import-litellm", help="turn a LiteLLM Proxy config into modelbench's")
    p.add_argument("litellm_config")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.set_defaults(func=cmd_import)


def _load(path: str) -> Any:
    from modelbench import Registry

    return Registry.from_yaml(path)


def _print_warnings(warnings: Any) -> None:
    for w in warnings:
        print(w, file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    registry = _load(args.config)
    _print_warnings(registry.warnings)
    n_dep = sum(len(m.deployments) for m in registry.models.values())
    print(
        f"{args.config}: valid: {len(registry.models)} models, {n_dep} deployments, "
        f"{len(registry.aliases)} aliases, {len(registry.warnings)} warnings"
    )
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    registry = _load(args.config)
    _print_warnings(registry.warnings)
    rows = [("model", "aliases", "backends", "capabilities", "price (in/out)")]
    for spec in registry.models.values():
        for i, dep in enumerate(spec.deployments):
            first = i == 0
            rows.append(
                (
                    spec.name if first else "",
                    ", ".join(spec.aliases) if first else "",
                    dep.name
                    + (f" w={dep.weight:g}" if dep.weight else "")
                    + (f" #{dep.order}" if dep.order else ""),
                    ", ".join(sorted(spec.capabilities)) if first else "",
                    dep.pricing.describe(),
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for name, route in registry.routes.items():
        chosen = route.config.evidence.chosen if route.config.evidence else None
        arms = ", ".join(route.config.all_arms())
        print(f"route {name}: {chosen or route.config.policy} (arms: {arms})")
    return 0


def _dump(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    write_text(output, text, option="-o/--output")
    print(f"wrote {output}", file=sys.stderr)


def cmd_export(args: argparse.Namespace) -> int:
    from modelbench.export_files import dump_litellm, dump_modelbench

    registry = _load(args.config)
    _print_warnings(registry.file_warnings)  # an unset key does not stop an export
    if args.redis_url is not None and args.format != "litellm":
        raise ConfigError("--redis-url applies to --format litellm (LiteLLM Proxy's config) only")
    if args.results is not None:
        from modelbench.commands.tune import tuned_registry

        registry = tuned_registry(registry, args)
    if args.format == "litellm":
        from modelbench.shared_state import redis_router_settings, shared_limits_warning

        data = registry.to_litellm_config()
        if args.redis_url is not None:
            data["router_settings"].update(redis_router_settings(None, args.redis_url))
        warning = shared_limits_warning(data)
        if warning:
            print(warning, file=sys.stderr)
        text = dump_litellm(registry, data, source=args.config, output=args.output)
    else:
        text = dump_modelbench(registry, source=args.config, output=args.output)
    _write(text, args.output)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from modelbench import from_litellm_config, validate_data
    from modelbench.config import parse_yaml, read_text

    path = str(args.litellm_config)
    raw, _ = parse_yaml(read_text(path, "LiteLLM config"), path)
    if not isinstance(raw, dict) or "model_list" not in raw:
        raise ConfigError("not a LiteLLM config: no 'model_list' at the top level", file=path)
    try:
        data, warnings = from_litellm_config(raw)
    except ConfigError as exc:
        raise ConfigError(exc.message, file=path) from None
    for w in warnings:
        print(f"{path}: warning: {w}", file=sys.stderr)
    validate_data(data, file=f"{path} (imported)")  # what we write must load
    _write(f"# imported by modelbench from {path}\n" + _dump(data), args.output)
    return 0
