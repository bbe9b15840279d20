# Sourced by the other scripts: make .venv (once) and install the project with the extras its
# tests need (dev: the test tools and real servers; examples: what examples/ imports; cli: the
# webwork command's click and rich; postgres: asyncpg for webwork sync into PostgreSQL; redis:
# redis-py for webwork_async.redis, the coordination of processes on one token).
# Re-installs when pyproject.toml is newer than the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
stamp=".venv/.installed"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet -e '.[dev,examples,cli,postgres,redis]'
    touch "$stamp"
fi
