#!/usr/bin/env bash
# Quick start, part 2: the test suite, warnings as errors, against servers it starts on 127.0.0.1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
./scripts/install-tools.sh
exec .venv/bin/python -W error -m pytest "$@"
