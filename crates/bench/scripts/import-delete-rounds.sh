#!/usr/bin/env bash
# Disk given back (docs/benchmarks.md, "What a list holds"): ten rounds of
# importing a 30 MB CSV of 100 columns (28,530 rows) and deleting it, on
# one server and data directory, with `du -sm` of the directory after each
# round and after a restart.
#
#   cargo build --release -p numdialer-server
#   crates/bench/scripts/import-delete-rounds.sh target/release/numdialer-server
set -euo pipefail
server=${1:?usage: $0 path/to/numdialer-server}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((24000 + RANDOM % 1000))
base=http://127.0.0.1:$port

python3 - "$work/wide.csv" <<'PY'
import random, sys
random.seed(7)
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
with open(sys.argv[1], "w") as f:
    f.write("phone," + ",".join(f"col{i}" for i in range(99)) + "\n")
    for r in range(28530):
        cells = (" ".join(random.choice(words) for _ in range(2)) for _ in range(99))
        f.write(f"1301{200 + r // 10000}{r % 10000:04d}," + ",".join(cells) + "\n")
PY

start() {
    "$server" --listen "127.0.0.1:$port" --data-dir "$work/data" --calling-hours off \
        >>"$work/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 200); do
        curl -sf "$base/healthz" >/dev/null && return
        sleep 0.1
    done
    echo "the server did not start; its log: $work/server.log" >&2
    exit 1
}
size() { du -sm "$work/data" | cut -f1; }

start
for round in $(seq 10); do
    id=$(curl -sf -X POST -H 'content-type: text/csv' --data-binary @"$work/wide.csv" \
        "$base/campaigns?name=round-$round" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
    held=$(size)
    curl -sf -X DELETE "$base/campaigns/$id" >/dev/null
    # The records go in the background after the 204; a measurement, not
    # a test: a second for sled to write the removals.
    sleep 1
    echo "round $round: held $held MB, after the delete $(size) MB"
done
kill "$pid"
wait "$pid" 2>/dev/null || true
start
echo "after a restart: $(size) MB"
