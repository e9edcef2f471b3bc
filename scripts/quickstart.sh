#!/usr/bin/env bash
# Set up the assistant on a fresh machine and run it on the bundled corpus:
# virtual environment in .venv/, install, build the index (if missing), print a cited
# answer to an example question, then serve the chat app (unless --no-serve).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# torch==2.13.0 first: the CPU build lies on this machine's disk (see pyproject.toml).
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -e .
export HF_HUB_OFFLINE=1
# Incremental: embeds only new or changed reports; rebuilds if the index was built
# by another version or with other settings (the first command says why).
.venv/bin/gfmd ingest || .venv/bin/gfmd ingest --rebuild
.venv/bin/gfmd ask "Quels sont les messages essentiels de l'atelier de Chisinau ?"
if [ "${1:-}" != "--no-serve" ] && .venv/bin/python -c "import ui.app" 2>/dev/null; then
  exec .venv/bin/gfmd serve
fi
