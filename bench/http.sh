#!/usr/bin/env bash
# bench/http.sh — the home read under load (make bench-http).
#
# Builds the server, starts it on PostgreSQL (DATABASE_URL; default: the
# database tongxue_bench on the test server, created when missing) or on
# SQLite (DATABASE_URL=sqlite), with the demo data, and runs wrk (installed
# with apt-get when missing): CONNECTIONS keep-alive connections POST the
# home read (bench/home.graphql) back to back for DURATION seconds after a
# warm-up. Prints one line: req/s, p50, p99, bytes per response.
#
# PEER=1 also runs PostGraphile on the same tables (../shared/peer, when
# present) and alternates ROUNDS runs of each, so the two compare on the same
# machine in the same minutes.
#
# Environment: DURATION (10), CONNECTIONS (32), WARMUP (3), ROUNDS (3),
# PORT (18090), PROFILE=1 writes a 10 s CPU profile to bench/cpu.pprof.
# The server runs with TONGXUE_RATE_LIMITS=load-test: one address sends all
# the load, so budgets are raised beyond reach but every check still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}" CONNECTIONS="${CONNECTIONS:-32}" WARMUP="${WARMUP:-3}"
ROUNDS="${ROUNDS:-3}" PORT="${PORT:-18090}"
PGBASE="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"

if ! command -v wrk >/dev/null; then
  echo "bench-http: installing wrk (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && apt-get install -y -qq wrk >&2
fi

tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

db="${DATABASE_URL:-}"
if [ -z "$db" ]; then
  db="${PGBASE%%\?*}"; db="${db%/*}/tongxue_bench?sslmode=disable"
  psql -q "$PGBASE" -c 'CREATE DATABASE tongxue_bench' 2>/dev/null || true
fi
[ "$db" = sqlite ] && db=""

go build -o "$tmp/tongxue" .
pprof=()
[ "${PROFILE:-0}" = 1 ] && pprof=(TONGXUE_PPROF=127.0.0.1:6061)
env DATABASE_URL="$db" PORT="$PORT" TONGXUE_DATA_DIR="$tmp/data" TONGXUE_LOG_LEVEL=warn \
  TONGXUE_RATE_LIMITS=load-test "${pprof[@]}" "$tmp/tongxue" > "$tmp/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$tmp/server.log" >&2; exit 1; }

body() { python3 -c 'import json,sys; print(json.dumps({"query": open(sys.argv[1]).read()}))' "$1"; }
body bench/home.graphql > "$tmp/tx.json"
check() { # one request must be a clean GraphQL answer
  curl -s -H 'content-type: application/json' --data-binary @"$2" "$1" > "$tmp/pre.out"
  grep -q '"data"' "$tmp/pre.out" && ! grep -q '"errors"' "$tmp/pre.out" ||
    { echo "bench-http: $1 answered: $(head -c 300 "$tmp/pre.out")" >&2; exit 1; }
}
load() { # NAME URL BODY
  BENCH_BODY="$3" wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s bench/report.lua "$2" >/dev/null 2>&1 || true
  echo "$1 $(BENCH_BODY="$3" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s bench/report.lua "$2" | tail -n 1)"
}
txurl="http://127.0.0.1:$PORT/graphql"
check "$txurl" "$tmp/tx.json"
kind=sqlite; [ -n "$db" ] && kind=postgres
echo "bench-http: home read, ${CONNECTIONS} connections, ${DURATION}s, database $kind"

if [ "${PEER:-0}" != 1 ]; then
  prof=""
  if [ "${PROFILE:-0}" = 1 ]; then
    (sleep "$WARMUP"; curl -s -o bench/cpu.pprof "http://127.0.0.1:6061/debug/pprof/profile?seconds=$(( DURATION < 10 ? DURATION : 10 ))") &
    prof=$!
  fi
  load tongxue "$txurl" "$tmp/tx.json"
  [ -z "$prof" ] || wait "$prof"
  exit 0
fi

peer="$(cd .. && pwd)/shared/peer"
[ -d "$peer" ] && [ -n "$db" ] || { echo "bench-http: PEER=1 needs PostgreSQL and $peer" >&2; exit 1; }
cp -r "$peer" "$tmp/peer"
pgdsn="${db%%\?*}"
"$tmp/peer/postgraphile.sh" "$pgdsn" public 127.0.0.1:5679 > "$tmp/peer.log" 2>&1 &
pids+=($!)
"$tmp/peer/wait-graphql.sh" http://127.0.0.1:5679/graphql 180 >/dev/null
body "$tmp/peer/fixtures/home-pgl.graphql" > "$tmp/pgl.json"
check http://127.0.0.1:5679/graphql "$tmp/pgl.json"
for r in $(seq 1 "$ROUNDS"); do
  load tongxue "$txurl" "$tmp/tx.json"
  load postgraphile http://127.0.0.1:5679/graphql "$tmp/pgl.json"
done
