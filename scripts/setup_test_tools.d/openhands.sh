#!/usr/bin/env bash
# Test tool: OpenHands (openhands-sdk) in .venv-openhands for the 'openhands' agent's end-to-end tests
# (about 2 minutes and 720 MB). Idempotent. Run by `bash scripts/setup.sh --test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup_openhands.sh
