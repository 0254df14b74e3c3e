"""``modelbench local serve``: run the embedded local model in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType
from typing import Any

from modelbench import ServerError
from modelbench.commands.options import at_least_one, port_number


def register(subparsers: Any) -> None:
    local = subparsers.add_parser(
        "local",
        help="the embedded local model (Gemma 3 270M via llama.cpp; no key, no network)",
        description="The embedded local model: Gemma 3 270M served by llama.cpp on 127.0.0.1.",
    )
    local_sub = local.add_subparsers(dest="local_command", metavar="SUBCOMMAND", required=True)
    serve = local_sub.add_parser(
        "serve",
        help="serve the local model on 127.0.0.1 until Ctrl-C",
        description=(
            "Serve the local model as an OpenAI-compatible server on 127.0.0.1 and print its "
            "api_base. It is a base model: call /v1/completions (litellm model "
            "'text-completion-openai/gemma3-270m', any api_key). Set MODELBENCH_LOCAL_API_BASE "
            "to the printed api_base so other modelbench commands use this server."
        ),
    )
    serve.add_argument(
        "--port", type=port_number, default=None, help="port (default or 0: a free one)"
    )
    serve.add_argument(
        "--threads",
        type=at_least_one,
        default=None,
        help="CPU threads for generation and for reading the prompt (default: half the CPUs)",
    )
    serve.add_argument(
        "--model",
        metavar="GGUF",
        default=None,
        help="a GGUF file to serve instead of the packaged Gemma 3 270M",
    )
    serve.set_defaults(func=_serve)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # one clean path for Ctrl-C and `kill`


def _serve(args: argparse.Namespace) -> int:
    from modelbench.servers.local import API_BASE_ENV, LOCAL_API_KEY, LocalServer, litellm_model

    server = LocalServer(port=args.port or None, threads=args.threads, model_path=args.model)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        print("starting the local model server ...", file=sys.stderr, flush=True)
        api_base = server.start()
        print(f"local model listening: api_base={api_base}", flush=True)
        print(
            f'  litellm: text_completion(model="{litellm_model(server.model_alias)}", '
            f'api_base="{api_base}", api_key="{LOCAL_API_KEY}", prompt=..., stop=["\\n"])',
            flush=True,
        )
        print(f"  for modelbench: export {API_BASE_ENV}={api_base}", flush=True)
        print("Ctrl-C to stop", flush=True)
        while not server.exited():
            time.sleep(0.5)
        raise ServerError(f"the local model server stopped by itself: {server.last_output()}")
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
