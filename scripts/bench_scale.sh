#!/usr/bin/env bash
# Issue 14's scale targets on a release build, SQLite: token issuance on an empty
# database against one holding 10 million audit events and 10 million refresh
# tokens; portal list pages with 10,000 clients and 100,000 requests; the audit
# viewer's filtered queries over those 10 million events.
#
#   scripts/bench_scale.sh      # build (release), measure, seed (~minutes), measure
#
# 1. A fresh database: an administrator, an API and a service client (secret
#    argon2id-hashed), as scripts/bench.sh makes them. client_credentials tokens are
#    measured as there (server on core 1, wrk on core 0, 32 connections, median of
#    RUNS runs of DURATION; every token's audit event durable).
# 2. The server stops; scripts/seed_scale.py fills the database (sizes: its
#    DEVELOPERS, CLIENTS, REQUESTS, EVENTS, TOKENS).
# 3. The server starts again on the filled database: the same token measurement,
#    then scripts/page_times.py times each portal page (PAGE_REQUESTS fetches, one
#    at a time, signed in as the administrator or a developer).
# Never a pass/fail: numbers only.
#
#   SKIP_BUILD=1 EVENTS=100000 TOKENS=100000 RUNS=1 DURATION=3s scripts/bench_scale.sh  # a quick check
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench_lib.sh
. scripts/bench_lib.sh
PAGE_REQUESTS=${PAGE_REQUESTS:-50}
bench_env bench-scale
[ "${SKIP_BUILD:-}" = 1 ] || cargo leptos build --release >/dev/null
BIN=${BIN:-$CARGO_TARGET_DIR/release/portcullis}

ADMIN_PASSWORD=$PORTCULLIS_ADMIN_PASSWORD
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

serve() {
  taskset -c 1 "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return; sleep 0.1; done
  echo "error: the server did not become ready" >&2; cat "$WORK/server.log" >&2; exit 1
}
stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

"$BIN" migrate >/dev/null
"$BIN" api add --name Registrations --audience https://api.example.edu/registrations >/dev/null
"$BIN" api add-scope --api https://api.example.edu/registrations --name registrations:read --description "Read registrations" >/dev/null
out=$("$BIN" client add --name "bench service" --type service --scope registrations:read)
CID=$(awk '/^client_id:/ {print $2}' <<<"$out"); CSECRET=$(awk '/^client_secret:/ {print $2}' <<<"$out")
BASE="http://127.0.0.1:$PORT"

lua "$CID:$CSECRET" "grant_type=client_credentials"

serve
echo "client_credentials, empty database:" >&2
read -r e_rps e_p50 e_p99 e_cpu < <(measure "$BASE/oauth/token")
EMPTY_EVENTS=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM audit_events").fetchone()[0])' "$WORK/bench.db")
stop

started=$(date +%s)
taskset -c 1 python3 scripts/seed_scale.py "$WORK/bench.db"
SEED_SECS=$(( $(date +%s) - started ))
DB_SIZE=$(du -sh "$WORK" | cut -f1)

serve
echo "client_credentials, filled database:" >&2
read -r f_rps f_p50 f_p99 f_cpu < <(measure "$BASE/oauth/token")

# The pages: an administrator's lists and audit viewer, and one developer's (ten
# clients of 10,000).
DAY_AGO=$(date -u -d '@'$(( $(date +%s) - 86400 )) +%Y-%m-%d)
WEEK_AGO=$(date -u -d '@'$(( $(date +%s) - 7 * 86400 )) +%Y-%m-%d)
TODAY=$(date -u +%Y-%m-%d)
ADMIN_PAGES=(
  "/admin/clients"
  "/admin/clients?page=250"
  "/admin/clients?search=Scale%20app%204242"
  "/admin/requests"
  "/admin/requests?status=approved"
  "/admin/requests?status=approved&page=2000"
  "/admin/audit"
  "/admin/audit?event_type=token.issued"
  "/admin/audit?actor=client:scale-client-42"
  "/admin/audit?client=scale-client-42"
  "/admin/audit?event_type=client.created"
  "/admin/audit?from=$WEEK_AGO&to=$DAY_AGO"
  "/admin/audit?client=scale-client-42&from=$WEEK_AGO&to=$TODAY"
)
echo "pages:" >&2
taskset -c 0 python3 scripts/page_times.py "$BASE" admin "$ADMIN_PASSWORD" "$PAGE_REQUESTS" "${ADMIN_PAGES[@]}" >"$WORK/pages"
printf 'bench developer password' | "$BIN" user set-password scaledev42 >/dev/null
taskset -c 0 python3 scripts/page_times.py "$BASE" scaledev42 "bench developer password" "$PAGE_REQUESTS" \
  /developer /developer/requests >>"$WORK/pages"

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo
echo "| client_credentials token | req/s | p50 | p99 | CPU/req |"
echo "|---|---|---|---|---|"
echo "| empty database ($EMPTY_EVENTS audit events) | $e_rps | $e_p50 | $e_p99 | $e_cpu µs |"
echo "| filled database (${EVENTS:-10000000} more audit events, ${TOKENS:-10000000} refresh tokens, ${CLIENTS:-10000} clients, ${REQUESTS:-100000} requests; $DB_SIZE on disk, seeded in $SEED_SECS s) | $f_rps | $f_p50 | $f_p99 | $f_cpu µs |"
echo
echo "Filled ÷ empty: $(ratio "$f_rps" "$e_rps") of the throughput."
echo
echo "| page (filled database) | p50 | p99 |"
echo "|---|---|---|"
while read -r p50 p99 path; do echo "| \`$path\` | $p50 ms | $p99 ms |"; done <"$WORK/pages"
echo
echo "(token rows: median of $RUNS runs of $DURATION, $CONNECTIONS connections, server on core 1, wrk on core 0; pages: $PAGE_REQUESTS fetches each, one at a time; $(nproc) cores; $(date -u +%Y-%m-%d))"
