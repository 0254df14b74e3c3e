"""``modelbench sim serve``: run the fault-injecting fake provider in the foreground."""

from __future__ import annotations

import argparse
from typing import Any

from modelbench.commands.options import port_number


def register(subparsers: Any) -> None:
    sim = subparsers.add_parser(
        "sim",
        help="simulated providers for rehearsals and tests",
        description="Simulated providers for rehearsing failover and testing without keys.",
    )
    sim_sub = sim.add_subparsers(dest="sim_command", metavar="SUBCOMMAND", required=True)
    serve = sim_sub.add_parser(
        "serve",
        help="serve the fake OpenAI-compatible provider on 127.0.0.1 until Ctrl-C",
        description=(
            "Serve fake models on 127.0.0.1 with injected latency and faults "
            "(see doc/fake-provider.md). Point litellm at the printed api_base with "
            "model='openai/<name>' and any api_key."
        ),
    )
    serve.add_argument("--port", type=port_number, default=0, help="port (default: a free one)")
    serve.add_argument(
        "--profile", metavar="FILE", help="profile YAML (default: fake-fast, fake-slow, fake-flaky)"
    )
    serve.add_argument("--seed", type=int, default=0, help="seed for answers and faults")
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from modelbench.servers.fake import load_profile, serve

    profile = load_profile(args.profile)

    def ready(api_base: str) -> None:
        root = api_base.removesuffix("/v1")
        print(f"fake provider listening: api_base={api_base}", flush=True)
        for name, spec in profile.models.items():
            faults = {k: v for k, v in spec.fault_rates().items() if v}
            detail = ", ".join(f"{k}={v:g}" for k, v in faults.items()) or "no faults"
            print(f"  model openai/{name}  ttft={spec.ttft_s:g}s  {detail}", flush=True)
        print(f"stats: {root}/_sim/stats   reset: POST {root}/_sim/reset", flush=True)
        print("Ctrl-C to stop", flush=True)

    try:
        serve(profile, seed=args.seed, port=args.port, on_ready=ready)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return 0
