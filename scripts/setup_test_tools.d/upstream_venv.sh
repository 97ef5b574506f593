#!/usr/bin/env bash
# Test tool: a separate venv for running upstream MLE-bench code (its grader modules and its leaderboard
# aggregation script, imported from the pristine copy in ../shared/upstream) in conformance tests.
# It holds only the packages those upstream modules import, never medalist. Idempotent.
# Env: MEDALIST_UPSTREAM_VENV (default .venv-upstream in the repo). Run by `bash scripts/setup.sh --test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${MEDALIST_UPSTREAM_VENV:-$PWD/.venv-upstream}"
PKGS=(numpy pandas scipy scikit-learn pyyaml appdirs diskcache py7zr tenacity tqdm levenshtein)
stamp="$VENV/.medalist-upstream-installed"
want="${PKGS[*]}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  PY=/usr/bin/python3
  [ -x "$PY" ] || PY="$(command -v python3)"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  echo "[setup] installing the upstream-conformance venv $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PKGS[@]}" 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import numpy, pandas, scipy, sklearn, yaml, appdirs, diskcache, py7zr, tenacity, tqdm"
  echo "$want" > "$stamp"
fi
