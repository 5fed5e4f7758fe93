#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI document with Schemathesis:
# the real numdialer-server on loopback, a throwaway data directory, the
# embedded simulated dialer API and an API token. Every answer must be below
# 500 and conform to the document (status code, media type, headers, body
# schema). Schemathesis may start campaigns, dial (the simulator answers),
# stop and delete them: nothing here outlives the run.
#
# Usage: bash .ci/fuzz-api.sh [path/to/numdialer-server]
# (default: the debug binary, brought up to date here). NUMDIALER_FUZZ_EXAMPLES
# sets the examples per operation (default 100), NUMDIALER_FUZZ_SEED the
# seed (default 29, so that a run can be replayed).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
target="${CARGO_TARGET_DIR:-target}"
examples="${NUMDIALER_FUZZ_EXAMPLES:-100}"
if [[ $# -gt 0 ]]; then
  server="$1"
else
  cargo build -p numdialer-server --locked
  server="$target/debug/numdialer-server"
fi

# Schemathesis from the Python registry, pinned, in a venv under the build
# directory: installed once, reused while its version is the pinned one.
venv="$target/schemathesis-$SCHEMATHESIS_VERSION"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
"$server" --listen "127.0.0.1:$port" --data-dir "$work/data" --api-token "$token" \
  --sim-time-scale 0.01 >"$work/server.log" 2>&1 &
pid=$!
stop() {
  kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  cp "$work/server.log" "$target/fuzz-api-server.log" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

status=0
NUMDIALER_FUZZ_TOKEN="$token" "$venv/bin/schemathesis" \
  --config-file .ci/schemathesis.toml \
  run "http://127.0.0.1:$port/openapi.json" \
  --wait-for-schema 30 \
  --max-examples "$examples" \
  --seed "${NUMDIALER_FUZZ_SEED:-29}" \
  --report junit --report-dir "$work/report" || status=$?
if [[ $status -ne 0 ]]; then
  echo "--- numdialer-server log (last 40 lines)"
  tail -n 40 "$work/server.log"
  if grep -q "panicked" "$work/server.log"; then
    grep -n -A5 "panicked" "$work/server.log" | head -n 40
  fi
fi
exit "$status"
