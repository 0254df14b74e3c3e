"""Accuracy and speed of the embedded local model on data/quickstart.jsonl.

    .venv/bin/python benchmarks/local_accuracy.py [--threads 2] [--api-base URL] [-v]

Each prompt goes through litellm's text-completion route, as modelbench calls the model:
``temperature=0``, ``stop=["\\n"]``, ``max_tokens=16``. Scores: *exact* is the stripped answer
equal to ``expected`` (case-sensitive); *contains* is ``expected`` found in the answer
(case-insensitive); a list of expected answers means any of them. Speed: a 128-token
streamed generation, decode tokens/s measured between the first and the last chunk, plus
whole-request tokens/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelbench import import_litellm  # noqa: E402

# internal: the local model's litellm name and key, to call it without a registry
from modelbench.servers.local import LOCAL_API_KEY, litellm_model, local_server  # noqa: E402


@contextmanager
def _server(api_base: str | None, threads: int | None) -> Iterator[tuple[str, float]]:
    if api_base:
        yield api_base, 0.0
        return
    started = time.monotonic()
    with local_server(threads=threads) as base:
        yield base, time.monotonic() - started


def _accuracy(litellm: Any, api_base: str, rows: list[dict[str, Any]], verbose: bool) -> None:
    per_cat: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    latencies: list[float] = []
    for row in rows:
        started = time.monotonic()
        response = litellm.text_completion(
            model=litellm_model(),
            prompt=row["prompt"],
            api_base=api_base,
            api_key=LOCAL_API_KEY,
            max_tokens=16,
            stop=["\n"],
            temperature=0,
        )
        latencies.append(time.monotonic() - started)
        answer = response.choices[0].text
        # A list of expected answers means any of them is right.
        raw = row["expected"]
        accepted = [str(e) for e in raw] if isinstance(raw, list) else [str(raw)]
        expected = " | ".join(accepted)
        exact = answer.strip() in accepted
        contains = any(e.lower() in answer.lower() for e in accepted)
        per_cat[row.get("category", "")].append((exact, contains))
        if verbose:
            mark = "ok " if exact else ("~  " if contains else "no ")
            print(f"  {mark}{row['id']:<24} expected {expected!r:<22} got {answer.strip()!r}")
    print(f"{'category':<12} {'n':>3} {'exact':>7} {'contains':>9}")
    total_exact = total_contains = 0
    for cat in sorted(per_cat):
        scores = per_cat[cat]
        n_exact = sum(e for e, _ in scores)
        n_contains = sum(c for _, c in scores)
        total_exact += n_exact
        total_contains += n_contains
        n = len(scores)
        print(f"{cat:<12} {n:>3} {n_exact:>3}/{n:<3} {n_contains:>5}/{n:<3}")
    n = len(rows)
    print(
        f"{'all':<12} {n:>3} {total_exact:>3}/{n:<3} {total_contains:>5}/{n:<3}  "
        f"exact {total_exact / n:.0%}, contains {total_contains / n:.0%}"
    )
    print(
        f"latency per prompt: median {statistics.median(latencies):.2f}s, max {max(latencies):.2f}s"
    )


def _speed(litellm: Any, api_base: str, max_tokens: int = 128) -> None:
    call = {
        "model": litellm_model(),
        "prompt": "Once upon a time",
        "api_base": api_base,
        "api_key": LOCAL_API_KEY,
        "max_tokens": max_tokens,
        "temperature": 0,
    }
    started = time.monotonic()
    stream = litellm.text_completion(**call, stream=True, stream_options={"include_usage": True})
    arrivals: list[float] = []
    usage: Any = None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].text:
            arrivals.append(time.monotonic() - started)
        usage = getattr(chunk, "usage", None) or usage
    total = time.monotonic() - started
    # Exact token count from a non-streamed call: the server sends no usage when streaming.
    exact = litellm.text_completion(**call).usage.completion_tokens
    decode = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    print(
        f"speed: {exact} tokens in {total:.2f}s ({exact / total:.1f} tokens/s whole request), "
        f"first token {arrivals[0]:.2f}s, decode {decode:.1f} tokens/s over "
        f"{len(arrivals)} chunks; streamed usage (litellm's estimate): "
        f"{usage.prompt_tokens if usage else '?'} in / {usage.completion_tokens if usage else '?'}"
        " out"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=str(ROOT / "data" / "quickstart.jsonl"))
    parser.add_argument("--api-base", help="use this running server instead of starting one")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer")
    args = parser.parse_args(argv)

    rows = [json.loads(line) for line in Path(args.dataset).read_text().splitlines() if line]
    litellm = import_litellm()
    with _server(args.api_base, args.threads) as (api_base, load_s):
        if load_s:
            print(f"server start (model load included): {load_s:.2f}s, threads={args.threads}")
        started = time.monotonic()
        _accuracy(litellm, api_base, rows, args.verbose)
        print(f"{len(rows)} prompts in {time.monotonic() - started:.1f}s")
        _speed(litellm, api_base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
