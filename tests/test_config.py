"""The config format: every accepted form, and one located line per problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from modelbench import ConfigError
from modelbench.config import load_config, load_config_text

EXAMPLE = Path(__file__).parent.parent / "examples" / "model_config_example.yaml"


def load(text: str):  # type: ignore[no-untyped-def]
    return load_config_text(textwrap.dedent(text), file="c.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(text)
    return str(info.value).splitlines()


def test_example_file_loads_with_every_feature() -> None:
    loaded = load_config(EXAMPLE)
    names = [n for n, _ in loaded.config.model_items()]
    assert names == ["gpt-4", "fast", "smart", "local-llama", "cheap"]
    assert loaded.config.routing.strategy == "fallback"
    # Keys are unset in tests: each becomes a warning with its line, not an error.
    assert any("OPENAI_API_KEY" in w and "model_config_example.yaml:" in w for w in loaded.warnings)


def test_seed_old_list_form_loads() -> None:
    loaded = load(
        """
        models:
          - "gpt-4"
          - "claude-3"
        """
    )
    assert [n for n, _ in loaded.config.model_items()] == ["gpt-4", "claude-3"]
    # litellm infers openai for gpt-4; claude-3 is not a model id it knows: a warning, no crash.
    assert len(loaded.warnings) == 1
    assert "c.yaml:4:" in loaded.warnings[0] and "'claude-3'" in loaded.warnings[0]


def test_seed_new_mapping_form_loads() -> None:
    loaded = load(
        """
        models:
          gpt-4:
            backend: "openai/gpt-4"
            description: "GPT-4 from OpenAI"
            capabilities: ["chat", "completion"]

        backends:
          openai:
            provider: "openai"
            api_key: "${OPENAI_API_KEY}"
        """
    )
    ((name, entry),) = loaded.config.model_items()
    assert name == "gpt-4" and entry.backend == "openai/gpt-4"
    assert entry.capabilities == ["chat", "completion"]


def test_shorthand_and_multi_backend_forms() -> None:
    loaded = load(
        """
        models:
          fast: openai/gpt-4o-mini
          smart:
            backends:
              - openai/gpt-4o
              - {backend: anthropic/claude-sonnet-4, weight: 2, order: 1}
        """
    )
    items = dict(loaded.config.model_items())
    assert items["fast"].backend == "openai/gpt-4o-mini"
    deps = items["smart"].deployment_configs()
    assert [d.backend for d in deps] == ["openai/gpt-4o", "anthropic/claude-sonnet-4"]
    assert deps[1].weight == 2 and deps[1].order == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            """
            models:
              gpt-4:
                backend: openai/gpt-4
                descripton: typo
            """,
            "c.yaml:5: unknown key 'descripton' in models.gpt-4 (did you mean 'description'?)",
        ),
        (
            """
            models:
              m:
                backend: openai/gpt-4
                pricing: {input_per_1m: -1}
            """,
            "c.yaml:5: models.m.pricing.input_per_1m: Input should be greater than or equal to 0",
        ),
        (
            """
            models:
              m:
                backend: openai/gpt-4
                max_tokens: lots
            """,
            "c.yaml:5: models.m.max_tokens: Input should be a valid integer",
        ),
        (
            """
            models:
              m: opnai/gpt-4
            """,
            "c.yaml:3: model 'm': unknown backend 'opnai' in 'opnai/gpt-4' (did you mean 'openai'?)",
        ),
        (
            """
            models:
              m: openai/gpt-4
            backends:
              box:
                provider: olama
            """,
            "c.yaml:6: backend 'box': unknown provider 'olama' (did you mean 'ollama'?)",
        ),
        (
            """
            models:
              m: openai/gpt-4
            routing:
              fallbacks:
                m: [n]
            """,
            "c.yaml:6: routing.fallbacks[m]: unknown model 'n'",
        ),
        (
            """
            models:
              m: openai/gpt-4
            routing:
              fallbacks:
                x: [m]
            """,
            "c.yaml:6: routing.fallbacks: unknown model 'x'",
        ),
        (
            """
            models:
              a: {backend: openai/gpt-4, aliases: [best]}
              b: {backend: openai/gpt-4o, aliases: [best]}
            """,
            "c.yaml:4: alias 'best' of model 'b' is already used by an alias of model 'a'",
        ),
        (
            """
            models:
              a: openai/gpt-4
              b: {backend: openai/gpt-4o, aliases: [a]}
            """,
            "c.yaml:4: alias 'a' of model 'b' is already used by model 'a'",
        ),
        (
            """
            models:
              a: openai/gpt-4
              a: openai/gpt-4o
            """,
            "c.yaml:4: duplicate key 'a' (first defined on line 3)",
        ),
        (
            """
            models:
              a: [openai/gpt-4
            """,
            "c.yaml:4: invalid YAML",
        ),
        (
            """
            models:
              a:
                description: no backend
            """,
            "c.yaml:3: models.a: give either 'backend' (one) or 'backends' (a list), exactly one",
        ),
        (
            """
            models:
              a: {backend: openai/gpt-4, capabilities: [chat, vison]}
            """,
            "c.yaml:3: models.a.capabilities: unknown capability 'vison' (did you mean 'vision'?)",
        ),
        (
            """
            models:
              a: openai/gpt-4
            routing:
              strategy: cheapst
            """,
            "c.yaml:5: routing.strategy: Input should be 'fallback', 'weighted', 'cheapest'",
        ),
        (
            """
            models:
              a: {backend: local/x, pricing: {per_second: 1, per_hour: 2}}
            """,
            "c.yaml:3: models.a.pricing: give per_second or per_hour, not both",
        ),
        (
            """
            modles:
              a: openai/gpt-4
            """,
            "c.yaml:2: unknown key 'modles' in the top level (did you mean 'models'?)",
        ),
        (
            """
            models:
              a:
                backends:
                  - backend: openai/gpt-4
                    wieght: 2
            """,
            "c.yaml:6: unknown key 'wieght' in models.a.backends[0] (did you mean 'weight'?)",
        ),
        (
            """
            models:
              a:
                backends:
                  - openai/gpt-4
                  - {backend: openai/gpt-4o, pricing: {input: 1}}
            """,
            "c.yaml:6: unknown key 'input' in models.a.backends[1].pricing (allowed: input_per_1m",
        ),
        (
            """
            models: {a: b/gpt-4}
            backends:
              b:
                provider: openai
                apikey: x
            """,
            "c.yaml:6: unknown key 'apikey' in backends.b (did you mean 'api_key'?)",
        ),
        (
            """
            models: {a: b/gpt-4}
            backends:
              b:
                provider: openai
                rate_limits:
                  rpm: 5
                  rps: 3
            """,
            "c.yaml:8: unknown key 'rps' in backends.b.rate_limits (did you mean 'rpm'?)",
        ),
        (
            """
            models: {a: openai/gpt-4}
            routing:
              fallback: {a: []}
            """,
            "c.yaml:4: unknown key 'fallback' in routing (did you mean 'fallbacks'?)",
        ),
        (
            """
            models: {a: openai/gpt-4}
            monitoring:
              log_request: true
            """,
            "c.yaml:4: unknown key 'log_request' in monitoring (did you mean 'log_requests'?)",
        ),
        (
            """
            models: {a: openai/gpt-4}
            security:
              redact: true
            """,
            "c.yaml:4: unknown key 'redact' in security (allowed: master_key, redact_messages",
        ),
        (
            """
            models:
              a:
                backend: openai/gpt-4
                pricing:
                  input: 1
            """,
            "c.yaml:6: unknown key 'input' in models.a.pricing (allowed: input_per_1m",
        ),
        (
            """
            models:
              a: openai/gpt-4
              b: openai/gpt-4o
            routing:
              context_window_fallbacks:
                a: [zz]
            """,
            "c.yaml:7: routing.context_window_fallbacks[a]: unknown model 'zz'",
        ),
        (
            """
            models:
              a: openai/gpt-4
            routing:
              fallbacks: {a: [a]}
            """,
            "c.yaml:5: routing.fallbacks[a]: a model cannot fall back to itself",
        ),
        (
            "models:\n\ta: openai/gpt-4\n",
            "c.yaml:2: invalid YAML: found character '\\t' that cannot start any token",
        ),
        (
            """
            models:
            """,
            "c.yaml:2: models: expected a mapping or a list, got an empty value; write model",
        ),
        (
            """
            models:
              a:
            """,
            "c.yaml:3: models.a: expected a string or a mapping, got an empty value; write "
            "'<backend>/<provider model id>' or a mapping with 'backend:'",
        ),
        (
            """
            models:
              1: openai/gpt-4
            """,
            'c.yaml:3: models: the name 1 must be text; quote it: "1"',
        ),
        (
            """
            models: {a: b/gpt-4}
            backends:
              b:
            """,
            "c.yaml:4: backends.b: expected a mapping, got an empty value; give it at least",
        ),
        (
            """
            models: {a: openai/gpt-4}
            security: [x]
            """,
            "c.yaml:3: security: expected a mapping, got a list",
        ),
        (
            """
            models: [gpt-4, 3]
            """,
            "c.yaml:2: models[1]: Input should be a valid string (got 3)",
        ),
    ],
)
def test_each_problem_is_one_located_line(text: str, expected: str) -> None:
    lines = problems(text)
    assert len(lines) == 1 and lines[0].startswith(expected), lines


def test_a_problem_beside_a_union_mismatch_is_not_hidden() -> None:
    lines = problems(
        """
        models:
          a:
          b:
            backend: openai/gpt-4
            descripton: x
        """
    )
    assert [line.split(":")[1] for line in lines] == ["3", "6"]


def test_every_problem_is_reported_at_once() -> None:
    lines = problems(
        """
        models:
          a:
            backend: openai/gpt-4
            descripton: x
          b:
            backend: openai/gpt-4
            max_tokens: -3
        """
    )
    assert [line.split(":")[1] for line in lines] == ["5", "8"]


def test_empty_file_and_non_mapping() -> None:
    assert problems("") == ["c.yaml: the config is empty; it needs at least a 'models:' section"]
    assert problems("- a\n- b\n")[0].startswith("c.yaml:1: the config must be a mapping")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_missing_variable_is_a_warning_not_an_error() -> None:
    loaded = load(
        """
        models:
          m: box/gpt-4
        backends:
          box:
            provider: openai
            api_key: ${NOT_SET_ANYWHERE}
            api_base: ${BOX_BASE:-http://127.0.0.1:9}
        """
    )
    assert len(loaded.warnings) == 1
    assert "c.yaml:7:" in loaded.warnings[0] and "NOT_SET_ANYWHERE" in loaded.warnings[0]


def test_literal_secret_in_file_is_warned() -> None:
    loaded = load(
        """
        models:
          m: box/gpt-4
        backends:
          box: {provider: openai, api_key: sk-live-literal}
        """
    )
    assert any("api_key is written in the file" in w for w in loaded.warnings)
    assert not any("sk-live-literal" in w for w in loaded.warnings)
