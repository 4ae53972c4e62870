# The two set-up commands of the README. Each installs what it needs into .venv on first use.
.PHONY: demo test install mpnet

install:
	@bash scripts/bootstrap.sh

demo: install
	.venv/bin/theme-assist demo --out demo-output

test: install
	.venv/bin/python -m pytest -q

# Optional: the larger encoder all-mpnet-base-v2 into models/ (about 420 MB; see evaluation/results/encoders.md)
mpnet: install
	@bash scripts/fetch_mpnet.sh
