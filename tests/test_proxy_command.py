"""What `modelbench proxy` needs before it starts LiteLLM Proxy (the servers, the key)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelbench import ConfigError
from modelbench.commands.proxy import curl_line, master_key, serve_plan

CONFIG = """\
models:
  tiny: {backend: local/gemma3-270m, capabilities: [completion]}
  s: sim/small
  mini: openai/gpt-4o-mini
backends:
  local: {provider: local}
  sim: {provider: sim, profile: p.yaml}
  openai: {provider: openai, api_key: "${OPENAI_API_KEY}"}
routes:
  routed: {policy: fallback, members: [s, tiny]}
"""


def test_a_modelbench_config_is_exported_and_its_servers_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text("models: {small: {}}\n")
    (tmp_path / "c.yaml").write_text(CONFIG)
    with serve_plan(tmp_path / "c.yaml") as plan:
        # an unset key: one note, not validate's warning as well
        err = capsys.readouterr().err.splitlines()
        assert [line for line in err if "OPENAI_API_KEY" in line] == [
            "note: openai/gpt-4o-mini: OPENAI_API_KEY not set; "
            "requests routed to it will fail until it is"
        ]
        assert plan.needs_local
        assert plan.sim_profiles == (str(tmp_path / "p.yaml"),)
        served = yaml.safe_load(plan.litellm_file.read_text())
        assert served == plan.data
        assert "modelbench proxy" in plan.litellm_file.read_text()  # the same header as export
        written = plan.litellm_file
    assert not written.exists()  # the temporary export is removed afterwards


def test_an_export_needs_nothing_it_does_not_use(tmp_path: Path) -> None:
    path = tmp_path / "l.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "model_list": [
                    {
                        "model_name": "m",
                        "litellm_params": {"model": "openai/x", "api_key": "os.environ/K"},
                    }
                ]
            }
        )
    )
    with serve_plan(path) as plan:
        assert plan.litellm_file == path and not plan.needs_local and plan.sim_profiles == ()
    path.write_text("model_list: []\n")
    with pytest.raises(ConfigError, match="nothing to serve"), serve_plan(path):
        pass


def test_master_key_from_the_environment_or_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LITELLM_MASTER_KEY", raising=False)
    key, source = master_key()
    assert key.startswith("sk-mb-") and len(key) > 20 and source.startswith("generated")
    assert master_key()[0] != key
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-mine")
    assert master_key() == ("sk-mine", "LITELLM_MASTER_KEY from the environment")
    line = curl_line("http://127.0.0.1:4000", "routed", "$LITELLM_MASTER_KEY", tags=["math"])
    assert line == (
        'curl -s http://127.0.0.1:4000/v1/chat/completions -H "Authorization: Bearer '
        '$LITELLM_MASTER_KEY" -H \'Content-Type: application/json\' -d \'{"model": "routed", '
        '"messages": [{"role": "user", "content": "Say hi"}], "tags": ["math"]}\''
    )
