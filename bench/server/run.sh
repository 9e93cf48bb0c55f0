#!/usr/bin/env bash
# Runs the serving-runtime benchmarks (docs/performance-server.md). Needs wrk (Debian), go and
# python3-venv (hack/apt-packages/server.txt); installs the Python baseline into .tools/bench-server-venv.
# Knobs: ROUNDS (3), SECONDS_PER_RUN (5), RSS_REQUESTS (1000000), RSS_SECONDS (300, a cap).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=bench/server
venv=.tools/bench-server-venv # ignored, like the project's other fetched tools
if [[ ! -f $venv/.installed ]]; then
  python3 -m venv $venv
  $venv/bin/pip install --quiet --disable-pip-version-check -r $here/requirements.txt
  touch $venv/.installed
fi
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
command -v go >/dev/null || { echo "go missing: the fixed-rate load generator (bench/server/loadgen) is built with it" >&2; exit 1; }
exec node $here/bench.ts
