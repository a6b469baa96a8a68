# Sourced by scripts/bench.sh, bench_flow.sh and bench_scale.sh (from the
# repository's root): the common start, and one wrk load, measured.
#
#   bench_env STEM         # wrk and taskset present; RUNS, DURATION, CONNECTIONS
#                          # defaulted; a scratch folder WORK; a free PORT; the
#                          # server's settings for a fresh SQLite database there
#   free_port              # prints a free loopback port
#   lua CREDENTIALS BODY   # writes $WORK/post.lua: POST BODY with HTTP Basic
#   measure URL [4xx]      # "rps p50 p99 cpu_us_per_req" of the median of RUNS runs
#                          # (SERVER_PID: the server's process, for its CPU time)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcullis/target}"
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_PID=""

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_env() {
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  command -v taskset >/dev/null || { echo "error: taskset (util-linux) is required" >&2; exit 1; }
  WORK=$(mktemp -d "/tmp/portcullis-$1.XXXXXX")
  PORT=$(free_port)
  export PORTCULLIS_DATABASE_URL="sqlite://$WORK/bench.db"
  export PORTCULLIS_SESSION_SECRET="bench-session-secret-0123456789abcdefghij"
  export PORTCULLIS_KEY_ENCRYPTION_KEY="bench-key-encryption-key-0123456789abcdef"
  export PORTCULLIS_ISSUER="http://127.0.0.1:$PORT"
  export PORTCULLIS_BIND="127.0.0.1:$PORT"
  export PORTCULLIS_ADMIN_PASSWORD="bench admin password"
  export PORTCULLIS_LOG__LEVEL=warn
}

lua() { # $1 = basic credentials, $2 = body
  cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "$2"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $(printf '%s' "$1" | base64 -w0)"
LUA
}

# Runs wrk RUNS times; prints "rps p50 p99 cpu_us_per_req" of the median run.
# A second argument "4xx" expects error answers (a device polling a pending request).
measure() {
  local url=$1 expect=${2:-} results=()
  for _ in $(seq "$RUNS"); do
    local before after out rps p50 p99 n
    before=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
    out=$(taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/post.lua" "$url")
    after=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
    if [ "$expect" != 4xx ] && grep -q "Non-2xx" <<<"$out"; then echo "error: non-2xx responses during the run" >&2; echo "$out" >&2; exit 1; fi
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    local ticks=$((after - before)) hz; hz=$(getconf CLK_TCK)
    results+=("$rps $p50 $p99 $(python3 -c "print(round($ticks/$hz*1e6/$n))")")
  done
  printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}
