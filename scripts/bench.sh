#!/usr/bin/env bash
# Performance: webwork-async against the usual ways to call the API, against a loopback server.
# Options go to benchmarks/compare.py (--quick for a smoke run, --help for the rest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
bench_stamp=".venv/.installed-bench"
if [ ! -f "$bench_stamp" ] || [ pyproject.toml -nt "$bench_stamp" ]; then
    .venv/bin/pip install --quiet -e '.[dev,examples,bench]'
    touch "$bench_stamp"
fi
exec .venv/bin/python benchmarks/compare.py "$@"
