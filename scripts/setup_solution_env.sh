#!/usr/bin/env bash
# The solution environment: a venv for the scripts LLM agents (aide, research) write and run, separate
# from the harness's venv, bound read-only into the sandbox. Packages: scripts/solution-env.txt.
# Idempotent: a stamp holds the requirements it was built from; re-running with the same file does nothing.
# Usage: bash scripts/setup_solution_env.sh
# Env: MEDALIST_SOLUTION_VENV (default .venv-solution in the repo),
#      MEDALIST_SOLUTION_CUDA=1|0 (default: 1 when nvidia-smi finds a GPU): CUDA builds of torch (plus
#      torchvision) and xgboost instead of the CPU ones. The CUDA variant is untested here (no GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${MEDALIST_SOLUTION_VENV:-$PWD/.venv-solution}"
REQS="$PWD/scripts/solution-env.txt"
CUDA="${MEDALIST_SOLUTION_CUDA:-}"
if [ -z "$CUDA" ]; then
  CUDA=0
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then CUDA=1; fi
fi
stamp="$VENV/.medalist-solution-installed"
want="$(cat "$REQS") cuda=$CUDA"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
start=$(date +%s)
reqs=$(mktemp)
trap 'rm -f "$reqs"' EXIT
if [ "$CUDA" = 1 ]; then
  # PyPI's default torch wheel for Linux x86-64 is the CUDA build; torchvision matches it there.
  grep -v -e '^torch==' -e '^xgboost-cpu' "$REQS" > "$reqs"
  printf 'torch\ntorchvision\nxgboost>=3.0,<4\n' >> "$reqs"
  echo "[setup] installing the solution environment $VENV (CUDA builds)"
else
  cp "$REQS" "$reqs"
  echo "[setup] installing the solution environment $VENV (CPU builds)"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$reqs" 2>&1 | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -c "import torch, xgboost, catboost, lightgbm, sklearn, pandas, scipy, PIL"
chmod -R a+rX "$VENV" 2>/dev/null || true
echo "$want" > "$stamp"
echo "[setup] solution environment ready in $(( $(date +%s) - start )) s, $(du -sh "$VENV" | cut -f1): $VENV/bin/python"
