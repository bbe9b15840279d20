#!/usr/bin/env bash
# The test tools that are not Python packages: Prism (tools/prism/, pinned by its
# package-lock.json), the OpenAPI mock server that tests/spec/test_spec_prism.py runs the client
# against. Installed with `npm ci` into tools/prism/node_modules when missing, or again when the
# lock file is newer than the last install. Needs Node.js and npm. Used by scripts/test.sh and
# .ci/run, so the README's test command works from a fresh clone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prism="$root/tools/prism"
stamp="$prism/node_modules/.installed"
if [ -x "$prism/node_modules/.bin/prism" ] && [ -f "$stamp" ] \
    && [ ! "$prism/package-lock.json" -nt "$stamp" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "install-tools: npm not found; the spec tests need Prism: install Node.js and npm," \
        "then run scripts/install-tools.sh" >&2
    exit 1
fi
echo "install-tools: installing Prism into tools/prism/node_modules (npm ci)" >&2
npm ci --prefix "$prism" --no-audit --no-fund --loglevel=error
touch "$stamp"
