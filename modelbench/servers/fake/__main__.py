"""``python -m modelbench.servers.fake``: the process ``FakeProvider`` starts.

Prints one JSON line ``{"api_base": ..., "models": [...], "pid": ...}`` once listening.
Errors print one line to stderr and exit 2. ``modelbench sim serve`` is the friendlier CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from modelbench._errors import ModelbenchError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelbench.servers.fake")
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    parser.add_argument("--profile", help="profile YAML/JSON file (default: built-in)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, help="exit when this process goes away")
    args = parser.parse_args(argv)

    from modelbench.servers.fake._app import serve
    from modelbench.servers.fake._profile import load_profile

    try:
        profile = load_profile(args.profile)

        def ready(api_base: str) -> None:
            line = {"api_base": api_base, "models": list(profile.models), "pid": os.getpid()}
            print(json.dumps(line), flush=True)

        serve(profile, seed=args.seed, port=args.port, on_ready=ready, parent_pid=args.parent_pid)
    except ModelbenchError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
