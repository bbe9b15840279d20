#!/usr/bin/env bash
# Quick start, part 1: bulk-fetch every project of a few hundred workspaces from the embedded
# fake WebWork server, and print what was fetched and how long it took.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
exec .venv/bin/python -m webwork_async demo "$@"
