#!/usr/bin/env bash
# Whole authorization-code flows per second on a release build (issue 14), against
# panva's oidc-provider on the same core with the same load.
#
#   scripts/bench_flow.sh       # build (release), then 3 x 10 s per provider
#
# One flow = GET the authorization endpoint with a person's session cookie, their
# consent already remembered (PKCE S256, state, nonce, scope openid), answered by a
# redirect carrying a code, then POST the token endpoint (client_secret_basic, the
# code, redirect_uri, code_verifier) answered 200 with tokens. scripts/flow.lua
# drives both requests from wrk and counts the flows itself (wrk's own counts mix
# the two requests); scripts/flow_session.py signs SESSIONS people in (32) and has
# each consent once, through each provider's real pages, beforehand; the
# authorization requests take their session cookies in turn. (Many people rather
# than one: oidc-provider's in-memory adapter keeps, per grant, a list of the grant's
# codes and tokens that each new one walks, so one person's grant taking every code
# would slow it down run after run, an artefact of its development adapter.)
#
# As in scripts/bench.sh: the server is pinned to core 1 and wrk to core 0
# (taskset), 32 connections, one wrk thread; each provider runs RUNS times and the
# median run is reported, with its p50/p99 latency over all requests (authorize and
# token alike) and the server's CPU time per flow (/proc/PID/stat). A fresh SQLite
# database in a temp dir. A run with more than MAX_ERRORS failed requests reports
# nothing. Never a pass/fail: numbers only.
#
#   BIN=…/debug/portcullis SKIP_BUILD=1 RUNS=1 DURATION=3s scripts/bench_flow.sh  # a quick check
#   NO_COMPARE=1 leaves oidc-provider out; ALGS=ES256 measures one of the two rows.
#
# Each provider is measured twice: with a client taking the default RS256 ID tokens
# (OpenID Connect's default, ~0.5 ms of RSA per flow here on both sides) and with one
# registered for ES256 ID tokens (`--id-token-signed-response-alg ES256`).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench_lib.sh
. scripts/bench_lib.sh
MAX_ERRORS=${MAX_ERRORS:-5}
SESSIONS=${SESSIONS:-32}
ALGS=${ALGS:-RS256 ES256}
bench_env bench-flow
[ "${SKIP_BUILD:-}" = 1 ] || cargo leptos build --release >/dev/null
BIN=${BIN:-$CARGO_TARGET_DIR/release/portcullis}

cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# The app: nothing listens at its redirect URI, the codes are read from the
# redirects' Location header. One PKCE pair (RFC 7636 S256) for every request.
REDIRECT="http://127.0.0.1:$(free_port)/cb"
REDIRECT_FORM=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$REDIRECT")
read -r VERIFIER CHALLENGE STATE NONCE < <(python3 -c '
import base64, hashlib, secrets
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
verifier = secrets.token_urlsafe(32)
print(verifier, b64(hashlib.sha256(verifier.encode()).digest()), secrets.token_urlsafe(12), secrets.token_urlsafe(12))')
PEOPLE=$(seq -f 'benchperson%02g' "$SESSIONS")
PASSWORD="bench person password 42"
query() { # $1 = client_id: the authorization request's query
  printf 'response_type=code&client_id=%s&redirect_uri=%s&scope=openid&state=%s&nonce=%s&code_challenge=%s&code_challenge_method=S256' \
    "$1" "$REDIRECT_FORM" "$STATE" "$NONCE" "$CHALLENGE"
}

# Runs wrk RUNS times with scripts/flow.lua; prints "flows/s p50 p99 cpu_us_per_flow"
# of the median run. $1 = base URL, $2 = authorize path?query, $3 = token path,
# $4 = client id, $5 = client secret, $6 = file of session cookies, one a line.
measure_flows() {
  local basic results=()
  basic=$(printf '%s:%s' "$4" "$5" | base64 -w0)
  for run in $(seq "$RUNS"); do
    local before after out flows secs sent_a sent_t errors first p50 p99 sockerr
    before=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
    out=$(taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/flow.lua "$1" -- \
      "$2" "$3" "$basic" "$6" "$REDIRECT_FORM" "$VERIFIER")
    after=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
    read -r flows secs < <(awk '$1=="flows" {print $2, $3}' <<<"$out") || true
    read -r sent_a sent_t < <(awk '$1=="sent" {print $2, $3}' <<<"$out") || true
    errors=$(awk '$1=="errors" {print $2}' <<<"$out")
    errors=${errors:-0}
    first=$(sed -n 's/^errors [0-9]* //p' <<<"$out")
    # Connect, read, write errors and timeouts count as failed requests too.
    sockerr=$(awk '/Socket errors/ {gsub(",", ""); print $4+$6+$8+$10}' <<<"$out")
    errors=$((errors + ${sockerr:-0}))
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    echo "  run $run: $flows flows in ${secs} s; sent $sent_a authorize, $sent_t token requests; $errors errors" >&2
    if [ -z "$flows" ] || [ "$errors" -gt "$MAX_ERRORS" ] || [ "$flows" -eq 0 ]; then
      echo "error: more than $MAX_ERRORS failed requests (or no flow) during the run; first: ${first:-none}" >&2
      echo "$out" >&2
      exit 1
    fi
    local ticks=$((after - before)) hz; hz=$(getconf CLK_TCK)
    results+=("$(python3 -c "print(round($flows/$secs), '$p50', '$p99', round($ticks/$hz*1e6/$flows))")")
  done
  printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

# Portcullis: the people, one web client per ID-token algorithm (consent is
# remembered for web clients unless they ask for it every time), each person signed
# in and consenting once to each.
"$BIN" migrate >/dev/null
for person in $PEOPLE; do
  printf '%s' "$PASSWORD" | "$BIN" user add --username "$person" --email "$person@example.edu" --display-name "Bench person" >/dev/null
done
declare -A CID CSECRET
for alg in $ALGS; do
  out=$("$BIN" client add --name "bench web app $alg" --type web --redirect-uri "$REDIRECT" \
    --scope openid --grant authorization_code --id-token-signed-response-alg "$alg")
  CID[$alg]=$(awk '/^client_id:/ {print $2}' <<<"$out")
  CSECRET[$alg]=$(awk '/^client_secret:/ {print $2}' <<<"$out")
done

taskset -c 1 "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

BASE="http://127.0.0.1:$PORT"
declare -A PC OP
for alg in $ALGS; do
  AUTHORIZE="/oauth/authorize?$(query "${CID[$alg]}")"
  # shellcheck disable=SC2086 # one argument per person
  taskset -c 0 python3 scripts/flow_session.py "$BASE$AUTHORIZE" "$REDIRECT" "$PASSWORD" $PEOPLE >"$WORK/cookies-$alg"
  echo "Portcullis, $alg ID tokens:" >&2
  PC[$alg]=$(measure_flows "$BASE" "$AUTHORIZE" /oauth/token "${CID[$alg]}" "${CSECRET[$alg]}" "$WORK/cookies-$alg")
done

# The comparison: oidc-provider from npm on Node.js 22 (both installed into a cache
# folder, never the repository), in its default in-memory setup, with the same two
# web clients and its development sign-in and consent pages (scripts/node_provider.mjs flow).
if [ "${NO_COMPARE:-}" != 1 ]; then
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  # shellcheck source=scripts/node_provider.sh
  . scripts/node_provider.sh
  start_node_provider "$WORK/node.log" https://api.example.edu/registrations flow "$REDIRECT"
  SERVER_PID=$NODE_PID
  for alg in $ALGS; do
    ncid=svc-web; [ "$alg" = ES256 ] && ncid=svc-web-es256
    NAUTHORIZE="/auth?$(query "$ncid")"
    # Its dev sign-in takes any login; the sessions and Grants live in its memory.
    # shellcheck disable=SC2086 # one argument per person
    taskset -c 0 python3 scripts/flow_session.py "$NBASE$NAUTHORIZE" "$REDIRECT" "$PASSWORD" $PEOPLE >"$WORK/node-cookies-$alg"
    echo "oidc-provider, $alg ID tokens:" >&2
    OP[$alg]=$(measure_flows "$NBASE" "$NAUTHORIZE" /token "$ncid" "$NSECRET" "$WORK/node-cookies-$alg")
  done
  NODE_VERSION=$("$NODE22" --version)
fi

ratio() { [ "$2" = - ] && echo - || python3 -c "print(f'{$1/$2:.1f}×')"; }
row() { # $1 = label, $2 = "flows/s p50 p99 cpu"
  local fps p50 p99 cpu
  read -r fps p50 p99 cpu <<<"$2"
  echo "| $1 | $fps | $p50 | $p99 | ${cpu} µs |"
}
echo
echo "| authorization-code flow (authorize with session + remembered consent → code → token, PKCE) | flows/s | p50 | p99 | server CPU per flow |"
echo "|---|---|---|---|---|"
for alg in $ALGS; do
  row "Portcullis, $alg ID tokens" "${PC[$alg]}"
  [ "${NO_COMPARE:-}" = 1 ] ||
    row "oidc-provider $OP_VERSION on Node.js $NODE_VERSION (in-memory, dev interactions), $alg ID tokens" "${OP[$alg]}"
done
if [ "${NO_COMPARE:-}" != 1 ]; then
  echo
  for alg in $ALGS; do
    echo "Portcullis ÷ oidc-provider, $alg ID tokens: $(ratio "${PC[$alg]%% *}" "${OP[$alg]%% *}") flows/s"
  done
fi
echo
echo "(median of $RUNS runs of $DURATION, $CONNECTIONS connections, sessions of $SESSIONS people; p50/p99 over all requests, two per flow; server on core 1, wrk on core 0; $(nproc) cores; $(date -u +%Y-%m-%d))"
