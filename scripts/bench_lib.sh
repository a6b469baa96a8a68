# Sourced by scripts/bench.sh and scripts/bench_scale.sh: one wrk load, measured.
# Uses WORK (a scratch folder), SERVER_PID (the server's process, for its CPU
# time), RUNS, DURATION and CONNECTIONS.
#
#   lua CREDENTIALS BODY   # writes $WORK/post.lua: POST BODY with HTTP Basic
#   measure URL [4xx]      # "rps p50 p99 cpu_us_per_req" of the median of RUNS runs

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
