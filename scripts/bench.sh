#!/usr/bin/env bash
# Token-endpoint and introspection throughput on a release build.
#
#   scripts/bench.sh            # build (release), then 3 x 10 s per endpoint
#
# The server is pinned to core 1 and wrk to core 0 (taskset), 32 connections, one
# wrk thread; each endpoint runs three times and the median run is reported with
# its p50/p99 latency. A fresh SQLite database in a temp dir, client secrets
# argon2id-hashed as in production. Results are printed as a Markdown table for
# docs/BENCHMARKS.md. Never a pass/fail: numbers only.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench_lib.sh
. scripts/bench_lib.sh
bench_env bench
[ "${SKIP_BUILD:-}" = 1 ] || cargo leptos build --release >/dev/null
# Signed JWTs wrk cannot make: DPoP proofs and client assertions, one per request.
# NO_JWTS=1 leaves out the two rows that need it (and its build).
[ "${SKIP_BUILD:-}" = 1 ] || [ "${NO_JWTS:-}" = 1 ] || cargo build --release -q -p server --example bench_proofs
BIN="$CARGO_TARGET_DIR/release/portcullis"
PROOFS="${PROOFS:-$CARGO_TARGET_DIR/release/examples/bench_proofs}"

# The private_key_jwt client's JWKS is served on loopback by this script.
export PORTCULLIS_OUTBOUND__ALLOW_PRIVATE_ADDRESSES=true
JWKS_PID=""
NODE_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  [ -n "$JWKS_PID" ] && kill "$JWKS_PID" 2>/dev/null
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" migrate >/dev/null
"$BIN" api add --name Registrations --audience https://api.example.edu/registrations >/dev/null
"$BIN" api add-scope --api https://api.example.edu/registrations --name registrations:read --description "Read registrations" >/dev/null
client() { "$BIN" client add --name "$1" --type service "${@:2}"; }
out=$(client "bench service" --scope registrations:read)
CID=$(awk '/^client_id:/ {print $2}' <<<"$out"); CSECRET=$(awk '/^client_secret:/ {print $2}' <<<"$out")
out=$(client "bench api")
RID=$(awk '/^client_id:/ {print $2}' <<<"$out"); RSECRET=$(awk '/^client_secret:/ {print $2}' <<<"$out")
DEVICE_GRANT=urn:ietf:params:oauth:grant-type:device_code
out=$("$BIN" client add --name "bench device" --type native --redirect-uri http://127.0.0.1/cb \
  --scope openid --grant authorization_code --grant "$DEVICE_GRANT")
DID=$(awk '/^client_id:/ {print $2}' <<<"$out")
# A web app with a person's password-grant token, trading it in (RFC 8693): every
# exchange checks the subject, and writes a lineage row and its audit event in the
# audit writer's group commit.
EXCHANGE_GRANT=urn:ietf:params:oauth:grant-type:token-exchange
out=$("$BIN" client add --name "bench exchanger" --type web --redirect-uri http://127.0.0.1/cb \
  --scope registrations:read --grant password --grant "$EXCHANGE_GRANT")
XID=$(awk '/^client_id:/ {print $2}' <<<"$out"); XSECRET=$(awk '/^client_secret:/ {print $2}' <<<"$out")
printf 'bench person password 42' | "$BIN" user add --username benchperson --email bench@example.edu --display-name "Bench person" >/dev/null
# A key-only client (private_key_jwt, RFC 7523) whose JWKS a local web server serves.
mkdir -p "$WORK/keys"
JWKS_PORT=$(free_port)
taskset -c 0 python3 -m http.server "$JWKS_PORT" --bind 127.0.0.1 --directory "$WORK/keys" >/dev/null 2>&1 &
JWKS_PID=$!
out=$(client "bench keys" --scope registrations:read --token-endpoint-auth-method private_key_jwt \
  --jwks-uri "http://127.0.0.1:$JWKS_PORT/jwks.json")
KID=$(awk '/^client_id:/ {print $2}' <<<"$out")

taskset -c 1 "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

BASE="http://127.0.0.1:$PORT"
TOKEN=$(curl -sf -u "$CID:$CSECRET" -d grant_type=client_credentials "$BASE/oauth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

lua "$CID:$CSECRET" "grant_type=client_credentials"
read -r cc_rps cc_p50 cc_p99 cc_cpu < <(measure "$BASE/oauth/token")
lua "$RID:$RSECRET" "token=$TOKEN"
read -r in_rps in_p50 in_p99 in_cpu < <(measure "$BASE/oauth/introspect")
SUBJECT=$(curl -sf -u "$XID:$XSECRET" -d grant_type=password -d username=benchperson \
  --data-urlencode "password=bench person password 42" -d scope=registrations:read "$BASE/oauth/token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
lua "$XID:$XSECRET" "grant_type=$EXCHANGE_GRANT&subject_token=$SUBJECT&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&scope=registrations%3Aread"
read -r tx_rps tx_p50 tx_p99 tx_cpu < <(measure "$BASE/oauth/token")
cat > "$WORK/get.lua" <<'LUA'
wrk.method = "GET"
LUA
cp "$WORK/get.lua" "$WORK/post.lua"
read -r jw_rps jw_p50 jw_p99 jw_cpu < <(measure "$BASE/oauth/jwks")
# A device polling a pending request as fast as it can (RFC 8628 §3.5): every answer
# is a 400, authorization_pending or slow_down, each after one or two writes of the
# request's row; the client is public (no secret to verify).
DCODE=$(curl -sf -d client_id="$DID" -d scope=openid "$BASE/oauth/device_authorization" | python3 -c 'import json,sys; print(json.load(sys.stdin)["device_code"])')
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=$DEVICE_GRANT&client_id=$DID&device_code=$DCODE"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
read -r dp_rps dp_p50 dp_p99 dp_cpu < <(measure "$BASE/oauth/token" 4xx)

# wrk sends one line of $2 per request, in order (each JWT is accepted once).
lua_lines() { # $1 = body, $2 = file of JWTs, $3 = header name, $4 = basic credentials or ""
  cat > "$WORK/post.lua" <<LUA
local lines, i = {}, 0
for line in io.lines("$2") do lines[#lines + 1] = line end
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
if "$4" ~= "" then headers["Authorization"] = "Basic $(printf '%s' "$4" | base64 -w0)" end
request = function()
  i = i % #lines + 1
  if "$3" == "body" then
    return wrk.format("POST", nil, headers, "$1" .. lines[i])
  end
  headers["$3"] = lines[i]
  return wrk.format("POST", nil, headers, "$1")
end
LUA
}
# Enough JWTs for one run at well above the rates seen (~6,000/s at most); made fresh before
# each run (a DPoP proof's iat must be within the last minute). DEBUG_JWTS=1 shows the
# answer to one of them first.
N=${JWTS_PER_RUN:-60000}
# client_credentials with private_key_jwt: assertion checked against the cached key.
measure_jwts() { # $1 = kind
  local results=() saved_runs=$RUNS
  for _ in $(seq "$saved_runs"); do
    if [ "$1" = dpop ]; then
      "$PROOFS" dpop "$BASE/oauth/token" "$N" "$WORK/jwts.txt"
      lua_lines "grant_type=client_credentials" "$WORK/jwts.txt" DPoP "$CID:$CSECRET"
    else
      "$PROOFS" assertions "$KID" "$BASE/oauth/token" "$N" "$WORK/keys"
      lua_lines "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" "$WORK/keys/assertions.txt" body ""
    fi
    if [ -n "${DEBUG_JWTS:-}" ]; then
      if [ "$1" = dpop ]; then
        curl -s -u "$CID:$CSECRET" -H "DPoP: $(tail -1 "$WORK/jwts.txt")" -d grant_type=client_credentials "$BASE/oauth/token" >&2
      else
        curl -s -d "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=$(tail -1 "$WORK/keys/assertions.txt")" "$BASE/oauth/token" >&2
      fi
      echo >&2
    fi
    RUNS=1
    results+=("$(measure "$BASE/oauth/token")")
    RUNS=$saved_runs
  done
  printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (saved_runs + 1) / 2 ))p"
}
if [ "${NO_JWTS:-}" = 1 ]; then
  read -r pk_rps pk_p50 pk_p99 pk_cpu <<<"- - - -"
  read -r dpop_rps dpop_p50 dpop_p99 dpop_cpu <<<"- - - -"
else
  read -r pk_rps pk_p50 pk_p99 pk_cpu < <(measure_jwts assertions)
  read -r dpop_rps dpop_p50 dpop_p99 dpop_cpu < <(measure_jwts dpop)
fi

# The comparison (issue 14): a certified open-source provider, panva's oidc-provider
# from npm on Node.js 22 (both installed into a cache folder, never the repository),
# in its default in-memory setup with ES256 JWT access tokens, on the same core with
# the same load. NO_COMPARE=1 leaves it out.
if [ "${NO_COMPARE:-}" != 1 ]; then
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  # shellcheck source=scripts/node_provider.sh
  . scripts/node_provider.sh
  start_node_provider "$WORK/node.log" https://api.example.edu/registrations
  SERVER_PID=$NODE_PID
  lua "svc:$NSECRET" "grant_type=client_credentials&scope=registrations%3Aread"
  read -r ncc_rps ncc_p50 ncc_p99 ncc_cpu < <(measure "$NBASE/token")
  NTOKEN=$(curl -sf -u "svc-opaque:$NSECRET" -d grant_type=client_credentials -d scope=registrations:read "$NBASE/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  lua "svc-opaque:$NSECRET" "token=$NTOKEN"
  read -r nin_rps nin_p50 nin_p99 nin_cpu < <(measure "$NBASE/token/introspection")
  ratio() { python3 -c "print(f'{$1/$2:.1f}×')"; }
  echo
  echo "oidc-provider $OP_VERSION on Node.js $("$NODE22" --version), same core, same load:"
  echo
  echo "| endpoint | oidc-provider requests/s | p50 | p99 | server CPU per request | Portcullis ÷ oidc-provider |"
  echo "|---|---|---|---|---|---|"
  echo "| client_credentials token (ES256 JWT) | $ncc_rps | $ncc_p50 | $ncc_p99 | ${ncc_cpu} µs | $(ratio "$cc_rps" "$ncc_rps") |"
  echo "| introspection (its opaque tokens) | $nin_rps | $nin_p50 | $nin_p99 | ${nin_cpu} µs | $(ratio "$in_rps" "$nin_rps") |"
fi

echo
echo "| endpoint | requests/s | p50 | p99 | server CPU per request |"
echo "|---|---|---|---|---|"
echo "| client_credentials token | $cc_rps | $cc_p50 | $cc_p99 | ${cc_cpu} µs |"
echo "| client_credentials, private_key_jwt | $pk_rps | $pk_p50 | $pk_p99 | ${pk_cpu} µs |"
echo "| client_credentials, secret + DPoP proof | $dpop_rps | $dpop_p50 | $dpop_p99 | ${dpop_cpu} µs |"
echo "| introspection | $in_rps | $in_p50 | $in_p99 | ${in_cpu} µs |"
echo "| JWKS | $jw_rps | $jw_p50 | $jw_p99 | ${jw_cpu} µs |"
echo "| device poll (pending) | $dp_rps | $dp_p50 | $dp_p99 | ${dp_cpu} µs |"
echo "| token exchange (RFC 8693, lineage + audit per token) | $tx_rps | $tx_p50 | $tx_p99 | ${tx_cpu} µs |"
echo
echo "(median of $RUNS runs of $DURATION, $CONNECTIONS connections; server on core 1, wrk on core 0; $(nproc) cores; $(date -u +%Y-%m-%d))"
