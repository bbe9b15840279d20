#!/usr/bin/env bash
# Performance: webwork-async against the usual ways to call the API, against a loopback server
# (benchmarks/compare.py), then webwork sync into SQLite against fetch-only list_many on the same
# server (benchmarks/sync.py), then 4 processes on one token paced through Redis against static
# shares and no coordination (benchmarks/coordination.py; needs redis-server on PATH).
#   --quick              a smoke run of each (small sizes); --help: the options of each
#   --no-sync            skip sync.py;           --sync-only            only sync.py
#   --no-coordination    skip coordination.py;   --coordination-only    only coordination.py
# Every other option goes to compare.py, or to coordination.py when compare.py does not run (as
# with --coordination-only); give the sync's own (--rounds, --rows, ...) to benchmarks/sync.py
# directly. Exits non-zero when one of them found a wrong result (coordination.py: also when it
# missed one of its targets).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
bench_extras="dev,examples,bench,redis"
bench_stamp=".venv/.installed-bench"
if [ ! -f "$bench_stamp" ] || [ pyproject.toml -nt "$bench_stamp" ] \
    || [ "$(cat "$bench_stamp")" != "$bench_extras" ]; then
    .venv/bin/pip install --quiet -e ".[$bench_extras]"
    echo "$bench_extras" >"$bench_stamp"
fi
no_sync=0 sync_only=0 no_coordination=0 coordination_only=0
compare_args=() sync_args=() coordination_args=() other_args=()
for arg in "$@"; do
    case "$arg" in
        --no-sync) no_sync=1 ;;
        --sync-only) sync_only=1 ;;
        --no-coordination) no_coordination=1 ;;
        --coordination-only) coordination_only=1 ;;
        --quick | -h | --help)
            compare_args+=("$arg") sync_args+=("$arg") coordination_args+=("$arg")
            ;;
        *) other_args+=("$arg") ;;
    esac
done
compare=1 sync=1 coordination=1
if [ "$sync_only" = 1 ] || [ "$coordination_only" = 1 ]; then
    compare=0 sync="$sync_only" coordination="$coordination_only"
fi
if [ "$no_sync" = 1 ]; then sync=0; fi
if [ "$no_coordination" = 1 ]; then coordination=0; fi
if [ "$compare" = 0 ] && [ "$coordination" = 1 ]; then
    coordination_args+=(${other_args[@]+"${other_args[@]}"})
else
    compare_args+=(${other_args[@]+"${other_args[@]}"})
fi
status=0 ran=0
if [ "$compare" = 1 ]; then
    .venv/bin/python benchmarks/compare.py ${compare_args[@]+"${compare_args[@]}"} || status=$?
    ran=1
fi
if [ "$sync" = 1 ]; then
    if [ "$ran" = 1 ]; then echo; fi
    .venv/bin/python benchmarks/sync.py ${sync_args[@]+"${sync_args[@]}"} || status=$?
    ran=1
fi
if [ "$coordination" = 1 ]; then
    if [ "$ran" = 1 ]; then echo; fi
    .venv/bin/python benchmarks/coordination.py \
        ${coordination_args[@]+"${coordination_args[@]}"} || status=$?
fi
exit "$status"
