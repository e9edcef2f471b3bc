#!/usr/bin/env bash
# Install everything the tests need (into .venv/) and run lint + the test suite.
# Debian's chromium is installed for the browser test when missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -e '.[dev]'
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will be skipped" >&2
fi
export HF_HUB_OFFLINE=1
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
GFMD_REQUIRE_PG=1 .venv/bin/python -m pytest -q -m "not llm" "$@"

# llm step (issue 15): a real chat model end to end, in its own step with its own time
# budget, because building llama-cpp-python from its sdist takes 20-40 minutes on 2 cores
# (pip reuses the wheel it built on later runs) and the 0.5B GGUF (478 MB) is fetched and
# verified into the models directory outside the checkout (reused when present).
# The build gets what is left of a 80-minute budget minus the test's 20 minutes; a build
# that cannot finish in it is reported and the step skipped (CI's limit is 90 minutes); a
# built model whose test fails fails the run. GFMD_SKIP_LLM=1 skips the step.
if [ "${GFMD_SKIP_LLM:-0}" != 1 ]; then
  budget=$(( 80 * 60 - SECONDS - 1200 ))
  if [ "$budget" -lt 300 ]; then
    echo "llm step SKIPPED: only ${budget}s left for building llama-cpp-python" >&2
  elif CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
      timeout "$budget" .venv/bin/python -m pip install --quiet -e '.[dev,llamacpp]'; then
    GFMD_REQUIRE_LLM=1 timeout 1200 .venv/bin/python -m pytest -q -m llm tests/test_llm_real.py
  else
    echo "llm step SKIPPED: llama-cpp-python did not build within ${budget}s" >&2
  fi
fi
