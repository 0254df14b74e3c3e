"""The local model server's process: ``llama_cpp.server`` with modelbench's adjustments.

Run by file path (it imports nothing from modelbench, so it works whatever the child's path)::

    python _llama_child.py PARENT_PID OPTIONS -- <llama_cpp.server arguments>

``OPTIONS`` is a comma-separated set (``-`` for none) of:

``no-extra-bufts``
    llama.cpp's extra buffer types off (the AMX crash, see ``local.py``).
``amx-guard``
    the same, but only when the CPU advertises AMX (``amx_tile`` in /proc/cpuinfo) *and* this
    llama.cpp was built with its AMX kernels (``AMX_INT8`` in its system info): a build made
    with ``-mno-amx-*`` (the Makefile's) keeps the extra buffer types, and their faster
    repacked kernels, on such CPUs.
``prompt-cache``
    keep llama.cpp's reuse of the previous prompt's evaluated prefix. Without it every
    request evaluates its whole prompt: repeats of a benchmark are independent samples, not
    a cold first repeat followed by warm ones.

Always:

* the process exits when its parent does (no orphan after a SIGKILL);
* only the command line configures the server (not ``PORT``, ``MODEL``, ... in the env);
* every completion's ``usage`` carries the exact counts of llama.cpp's own tokenizer, also
  when streaming (llama-cpp-python 0.3 sends none then, and litellm would estimate them with
  another tokenizer): the chunk that carries ``finish_reason`` gets ``usage``, with
  ``prompt_tokens_details.cached_tokens``, the prompt tokens not evaluated again.

The patches are small wrappers around llama-cpp-python 0.3's ``Llama.generate`` and
``Llama._create_completion``; the server serialises requests to the one model, so per-model
state is per-request state.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

_OPTIONS = ("no-extra-bufts", "amx-guard", "prompt-cache")


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _clean_environment() -> None:
    # llama_cpp.server reads its settings from the environment too (PORT, HOST, API_KEY,
    # MODEL, CONFIG_FILE, ...): only our command line may configure it.
    from llama_cpp.server.settings import Settings

    names = {name.lower() for name in Settings.model_fields} | {"config_file"}
    for key in [k for k in os.environ if k.lower() in names]:
        del os.environ[key]


def _amx_kernels_would_run() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            flags = next((line.split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    if "amx_tile" not in flags:
        return False
    import llama_cpp

    return b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info()


def _no_extra_bufts() -> None:
    import llama_cpp.llama_cpp as c

    default_params = c.llama_model_default_params

    def params() -> Any:
        p = default_params()
        p.use_extra_bufts = False
        return p

    c.llama_model_default_params = params


class _Counts:
    """What the last ``generate`` call of a model consumed and produced."""

    def __init__(self, prompt: int, cached: int) -> None:
        self.prompt = prompt
        self.cached = cached
        self.yielded = 0
        self.last_was_eog = False

    def usage(self) -> dict[str, Any]:
        # _create_completion stops before appending an end-of-generation token and counts
        # every other token it was given: the same rule as its non-streamed ``usage``.
        completion = self.yielded - (1 if self.last_was_eog else 0)
        return {
            "prompt_tokens": self.prompt,
            "completion_tokens": completion,
            "total_tokens": self.prompt + completion,
            "prompt_tokens_details": {"cached_tokens": self.cached},
        }


def _reused_prefix(llama: Any, tokens: list[int]) -> int:
    """Prompt tokens ``Llama.generate`` will not evaluate again (its own prefix rule)."""
    if llama.n_tokens <= 0:
        return 0
    longest = 0
    for a, b in zip(llama._input_ids, tokens, strict=False):
        if a != b:
            break
        longest += 1
    consumed = longest == len(tokens)
    if consumed and llama.n_tokens == len(tokens) and not llama._requires_eval:
        return len(tokens)
    return max(0, longest - 1 if consumed else longest)


def _patch_llama(keep_prompt_cache: bool) -> None:
    import llama_cpp

    llama_class: Any = llama_cpp.Llama  # patched below; its typed signatures do not matter here
    generate, create_completion = llama_class.generate, llama_class._create_completion

    def counted_generate(self: Any, tokens: Any, *args: Any, **kwargs: Any) -> Iterator[int]:
        tokens = list(tokens)
        if keep_prompt_cache:
            cached = _reused_prefix(self, tokens)
        else:
            self.reset()  # n_tokens = 0: the whole prompt is evaluated again
            cached = 0
        counts = self._modelbench_counts = _Counts(len(tokens), cached)
        vocab = self._model.vocab
        for token in generate(self, tokens, *args, **kwargs):
            counts.yielded += 1
            counts.last_was_eog = bool(llama_cpp.llama_vocab_is_eog(vocab, token))
            yield token

    def completion_with_usage(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        self._modelbench_counts = None
        chunk: Any
        for chunk in create_completion(self, *args, **kwargs):
            counts = self._modelbench_counts
            if isinstance(chunk, dict) and counts is not None:
                choices = chunk.get("choices") or [{}]
                if isinstance(chunk.get("usage"), dict):  # not streamed: its own counts
                    details = {"cached_tokens": counts.cached}
                    chunk["usage"] = {**chunk["usage"], "prompt_tokens_details": details}
                elif choices[0].get("finish_reason") is not None:  # streamed: none, until now
                    chunk["usage"] = counts.usage()
            yield chunk

    llama_class.generate = counted_generate
    llama_class._create_completion = completion_with_usage


def main(argv: list[str]) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        del sys.path[0]  # run by path: modelbench's server modules are not top-level modules
    if len(argv) < 4 or argv[3] != "--":
        raise SystemExit("usage: _llama_child.py PARENT_PID OPTIONS -- SERVER_ARGS...")
    parent = int(argv[1])
    options = {o for o in argv[2].split(",") if o and o != "-"}
    unknown = options.difference(_OPTIONS)
    if unknown:
        raise SystemExit(f"unknown option(s) {sorted(unknown)}; known: {list(_OPTIONS)}")
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    sys.argv = ["llama_cpp.server", *argv[4:]]
    _clean_environment()
    if "no-extra-bufts" in options or ("amx-guard" in options and _amx_kernels_would_run()):
        _no_extra_bufts()
    _patch_llama(keep_prompt_cache="prompt-cache" in options)

    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main(sys.argv)
