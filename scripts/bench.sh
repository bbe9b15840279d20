#!/usr/bin/env bash
# Performance: webwork-async against the usual ways to call the API, against a loopback server
# (benchmarks/compare.py), then webwork sync into SQLite against fetch-only list_many on the same
# server (benchmarks/sync.py).
#   --quick      a smoke run of both (small sizes); --help: the options of both
#   --no-sync    only compare.py;   --sync-only   only sync.py
# Every other option goes to compare.py; give the sync's own (--rounds, --rows, ...) to
# benchmarks/sync.py directly. Exits non-zero when either found a wrong result.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
bench_stamp=".venv/.installed-bench"
if [ ! -f "$bench_stamp" ] || [ pyproject.toml -nt "$bench_stamp" ]; then
    .venv/bin/pip install --quiet -e '.[dev,examples,bench]'
    touch "$bench_stamp"
fi
compare=1 sync=1
compare_args=() sync_args=()
for arg in "$@"; do
    case "$arg" in
        --no-sync) sync=0 ;;
        --sync-only) compare=0 ;;
        --quick | -h | --help) compare_args+=("$arg") sync_args+=("$arg") ;;
        *) compare_args+=("$arg") ;;
    esac
done
status=0
if [ "$compare" = 1 ]; then
    .venv/bin/python benchmarks/compare.py ${compare_args[@]+"${compare_args[@]}"} || status=$?
fi
if [ "$sync" = 1 ]; then
    if [ "$compare" = 1 ]; then echo; fi
    .venv/bin/python benchmarks/sync.py ${sync_args[@]+"${sync_args[@]}"} || status=$?
fi
exit "$status"
