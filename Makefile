# The two set-up commands of the README. Each installs what it needs into .venv on first use.
.PHONY: demo test install

install:
	@bash scripts/bootstrap.sh

demo: install
	.venv/bin/theme-assist demo --out demo-output

test: install
	.venv/bin/python -m pytest -q
