#!/usr/bin/env bash
# The system packages the tests need, installed with apt-get when missing: PostgreSQL (the
# `webwork sync --db` tests start their own server from its initdb, found on PATH or, as Debian
# puts it, in /usr/lib/postgresql/*/bin; see tests/postgres_server.py) and redis-server. Silent
# when all are there. Used by .ci/run, so the tests run on a fresh machine.
set -euo pipefail
missing=()
if ! command -v initdb >/dev/null 2>&1 \
    && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    missing+=(postgresql)
fi
if ! command -v redis-server >/dev/null 2>&1; then
    missing+=(redis-server)
fi
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system: the tests need ${missing[*]} and there is no apt-get here:" \
        "install them with this system's package manager" >&2
    exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-system: the tests need ${missing[*]}; run as root, or install sudo" >&2
        exit 1
    fi
    sudo=(sudo)
fi
echo "install-system: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
