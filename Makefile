# Two commands on a fresh Debian/Ubuntu machine with Python 3.11:
#   make run    set up and start the program (local SQLite, demo data, simulated devices)
#   make test   set up and run the test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := xvfb poppler-utils espeak-ng sox libpulse0 libegl1 libgl1 libfontconfig1 libdbus-1-3 \
	libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 postgresql
.PHONY: run test setup system-deps bench screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: system-deps $(BIN)/.installed

# Installs Debian packages only when one is missing (needs root or sudo).
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

run: setup
	$(BIN)/python -m desk_app.cli run-demo

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info
