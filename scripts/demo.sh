#!/usr/bin/env bash
# Quick start, part 1: `webwork sync` twice against the embedded fake WebWork server (a few
# hundred workspaces across every group) into webwork-demo.sqlite, with the fake's data changed
# in between, then a check of the database against the server. Options: --help.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
exec .venv/bin/python -m webwork_async.sync.demo "$@"
