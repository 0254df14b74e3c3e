# Two commands do all the setup: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MB := $(VENV)/bin/modelbench
OUT ?= out

# litellm fetches a remote price list at import unless told not to; this machine has no network.
export LITELLM_LOCAL_MODEL_COST_MAP := True
export LITELLM_OFFLINE_MODE := true

.PHONY: demo test lint check venv clean redis lab chromium

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[local,proxy,notebook,dev,ray]'
	touch $@

# The main job on the embedded local model beside two SIMULATED backends (the fake provider,
# examples/sim_profile.yaml), no key and no network; cloud models in the config join in when
# their API keys are set. Ends with the recommended routing policy, exported in both formats.
DEMO := examples/demo.yaml
demo: venv
	mkdir -p $(OUT)
	rm -f $(OUT)/results.jsonl
	$(MB) validate $(DEMO)
	$(MB) run $(DEMO) data/quickstart.jsonl --repeats 1 --scorer exact \
		--out $(OUT)/results.jsonl --no-progress
	$(MB) report $(OUT)/results.jsonl --html $(OUT)/report.html \
		--dataset data/quickstart.jsonl --config $(DEMO)
	$(MB) export $(DEMO) --results $(OUT)/results.jsonl --objective cost --min-quality 0.8 \
		--format modelbench -o $(OUT)/tuned.yaml
	$(MB) export $(OUT)/tuned.yaml --format litellm -o $(OUT)/tuned.litellm.yaml
	$(MB) recommend $(OUT)/results.jsonl --objective cost --min-quality 0.8
	@echo "wrote $(OUT)/results.jsonl, $(OUT)/report.html, $(OUT)/tuned.yaml, $(OUT)/tuned.litellm.yaml"
	@echo "serve it: $(MB) proxy $(OUT)/tuned.litellm.yaml"

lint: venv
	$(VENV)/bin/ruff check modelbench tests benchmarks
	$(VENV)/bin/mypy modelbench

# The shared-state proxy test starts a real Redis (Debian's redis-server); install it if missing.
redis:
	@command -v redis-server >/dev/null 2>&1 || test -x /usr/sbin/redis-server || \
		(apt-get update -qq && apt-get install -y -qq redis-server)

test: venv lint redis chromium
	$(PY) -m pytest

# JupyterLab on notebooks/ (extra `notebook`), on this machine only.
lab: venv
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# The browser test of notebooks/ drives Debian's chromium through playwright (playwright's own
# browser download is not used); install it on a fresh machine.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
