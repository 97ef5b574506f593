#!/usr/bin/env bash
# Install OpenHands (openhands-sdk + openhands-tools) for the 'openhands' agent, into its own venv.
#
# Current OpenHands needs Python >= 3.12; this image has 3.11. Debian 13 (trixie) ships CPython 3.13:
# its .deb files are fetched with apt (a private apt state in the venv: the system's sources and
# package lists are not touched), unpacked into <venv>/python3.13 with the glibc 2.41 they need, and
# the interpreter is pointed at that glibc (patchelf: its loader and an rpath), so it runs on
# Debian 12 without replacing the system's libc. The venv is built from that interpreter.
# About 2 minutes and 720 MB. Idempotent: a stamp records a finished install.
# Usage: bash scripts/setup_openhands.sh      Env: MEDALIST_OPENHANDS_VENV (default .venv-openhands)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${MEDALIST_OPENHANDS_VENV:-$PWD/.venv-openhands}"
SPEC="openhands-sdk==1.58.2 openhands-tools==1.58.2"
stamp="$VENV/.medalist-openhands-installed"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$SPEC" ] && { echo "[setup-openhands] $VENV: $SPEC"; exit 0; }
start=$(date +%s)
RT="$VENV/python3.13"
PY="$RT/usr/bin/python3.13"
LIBS="$RT/usr/lib/x86_64-linux-gnu"
DEBS=(python3.13-minimal libpython3.13-minimal libpython3.13-stdlib python3-pip-whl libc6 libgcc-s1 libssl3t64
      libexpat1 zlib1g libffi8 libsqlite3-0 libbz2-1.0 liblzma5 libmpdec4 libncursesw6 libtinfo6 libreadline8t64
      libuuid1 libdb5.3t64 libzstd1)

if [ "$(uname -m)" != x86_64 ]; then
  echo "[setup-openhands] error: only x86_64 is set up here (the unpacked Debian packages are amd64)" >&2
  exit 1
fi
if ! command -v patchelf >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "[setup-openhands] installing patchelf (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >/dev/null
  else
    echo "[setup-openhands] error: patchelf is needed (apt-get install patchelf)" >&2
    exit 1
  fi
fi

if ! [ -x "$PY" ] || ! "$PY" -c "import ssl, sqlite3, ctypes, lzma, bz2, decimal" 2>/dev/null; then
  echo "[setup-openhands] fetching CPython 3.13 from Debian 13 (trixie) into $RT"
  apt_dir="$VENV/.apt"
  rm -rf "$RT" "$apt_dir"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs" "$RT"
  echo "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    > "$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Dir::State::status=/dev/null
            -o APT::Sandbox::User=root -o Debug::NoLocking=1)
  apt-get "${apt_opts[@]}" -qq update
  (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" -qq download "${DEBS[@]}")
  for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$RT"; done
  patchelf --set-interpreter "$LIBS/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$LIBS" "$PY"
  "$PY" -c "import ssl, sqlite3, ctypes, lzma, bz2, decimal"
  rm -rf "$apt_dir"
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv --without-pip "$VENV"
fi
if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  pip_whl="$(ls "$RT"/usr/share/python-wheels/pip-*.whl | head -1)"
  PYTHONPATH="$pip_whl" "$VENV/bin/python" -m pip install -q --disable-pip-version-check pip 2>&1 | grep -v "^WARNING: Location" || true
fi
echo "[setup-openhands] installing $SPEC into $VENV"
# shellcheck disable=SC2086
"$VENV/bin/pip" install -q --disable-pip-version-check $SPEC 2>&1 | grep -v "^WARNING: Location" || true
OPENHANDS_SUPPRESS_BANNER=1 LITELLM_LOCAL_MODEL_COST_MAP=True \
  "$VENV/bin/python" -c "import openhands.sdk, openhands.tools.preset.default"
chmod -R a+rX "$VENV" 2>/dev/null || true
echo "$SPEC" > "$stamp"
echo "[setup-openhands] installed in $(( $(date +%s) - start )) s, $(du -sh "$VENV" | cut -f1): $VENV"
