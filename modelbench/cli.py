"""The ``modelbench`` command line: one subcommand per module in ``modelbench.commands``.

Expected failures (``ModelbenchError``) print one line per problem to stderr and exit 2 (3 when
no routing policy meets the constraints asked for: ``ConstraintsNotMetError``);
anything else is a bug and keeps its traceback (exit 1).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
from collections.abc import Sequence

from modelbench._env import litellm_logs_to_file, modelbench_home
from modelbench._errors import ModelbenchError
from modelbench.commands.options import OneLineParser

# Each module defines ``register(subparsers)`` which adds its parser(s) and sets
# ``func=handler`` (handler(args) -> int). Importing them must stay cheap: litellm is
# imported inside handlers only, so ``modelbench --help`` is instant.
COMMAND_MODULES: tuple[str, ...] = (
    "modelbench.commands.config_cmds",
    "modelbench.commands.local",
    "modelbench.commands.sim",
    "modelbench.commands.run",
    "modelbench.commands.recommend",
    "modelbench.commands.proxy",
)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="modelbench",
        description="Map model names to LLM backends, benchmark them and export a LiteLLM config.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    # litellm's log messages and warnings go to a file, not between our lines and progress bar.
    restore_logs = litellm_logs_to_file(modelbench_home() / "litellm.log")
    try:
        return int(args.func(args) or 0)
    except ModelbenchError as exc:
        # Located errors already read "FILE:LINE: ..."; others get a prefix.
        located = getattr(exc, "file", None) is not None
        print(str(exc) if located else f"error: {exc}", file=sys.stderr)
        return exc.exit_code  # 2 (bad input), 3 (no policy meets the constraints)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        restore_logs()


def entry() -> None:
    """The ``modelbench`` console command: ``main()``, then a quick exit.

    With litellm and pandas loaded, the interpreter's own teardown (freeing every module and
    object) took 3.9 s of a 2-core machine's time after a run had finished, its results
    written and its servers stopped. So once the atexit handlers have run (they stop the
    servers modelbench started and close litellm's clients; this one is registered first,
    so it runs last), the process flushes its output and leaves. After an exception (a bug:
    traceback, exit 1) the normal teardown runs.
    """
    outcome: list[int] = []

    def leave_now() -> None:
        if outcome:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(outcome[0])

    atexit.register(leave_now)
    outcome.append(main())
    sys.exit(outcome[0])


if __name__ == "__main__":  # pragma: no cover
    entry()
