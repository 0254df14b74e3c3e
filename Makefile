# Two commands do all the setup: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MB := $(VENV)/bin/modelbench
OUT ?= out

# litellm fetches a remote price list at import unless told not to; this machine has no network.
export LITELLM_LOCAL_MODEL_COST_MAP := True
export LITELLM_OFFLINE_MODE := true

.PHONY: demo test lint check venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[local,proxy,notebook,dev]'
	touch $@

demo: venv
	mkdir -p $(OUT)
	$(MB) validate examples/model_config_example.yaml
	$(MB) models examples/model_config_example.yaml
	$(MB) export examples/model_config_example.yaml --format litellm -o $(OUT)/litellm_config.yaml
	@echo "wrote $(OUT)/litellm_config.yaml"

lint: venv
	$(VENV)/bin/ruff check modelbench tests benchmarks

test: venv lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
