#!/usr/bin/env bash
# CL-06 against the official MCP conformance suite: every scenario of its `authorization`
# command (`authorization-server-metadata-endpoint`, `authorization-code-grant`) against the
# AS of `ema serve` (examples/stack.toml on a free loopback port). The code-grant scenario
# prints an authorization URL and waits for a browser: approve.mjs drives it in headless
# Chromium (signing in as alice, clicking Approve); the suite then redeems the code as the
# public client `inspector` and checks the token response.
#
# Needs what run.sh (next to this) and crates/ema-rmcp/conformance/run.sh need.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

(cd "$root" && cargo build -p ema-cli --bin ema)
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
port="$(free_port)"
callback_port="$(free_port)"
base="http://127.0.0.1:$port"
work="$(mktemp -d)"
sed "s/127\.0\.0\.1:8080/127.0.0.1:$port/g" "$root/examples/stack.toml" > "$work/stack.toml"
"$target/debug/ema" serve --config "$work/stack.toml" 2> "$work/serve.log" &
pid=$!
suite_pid=
cleanup() {
  [ -n "$suite_pid" ] && kill "$suite_pid" 2> /dev/null || true
  kill "$pid" 2> /dev/null || true
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  node -e "fetch('$base/healthz').then(r=>process.exit(r.status===200?0:1)).catch(()=>process.exit(1))" && break
  sleep 0.1
done

bash "$root/crates/ema-rmcp/conformance/run.sh" authorization-all "$base/as" \
  --client-id inspector --resource "$base/mcp" --port "$callback_port" > "$work/suite.log" 2>&1 &
suite_pid=$!
url=
for _ in $(seq 1 600); do
  url="$(grep -m1 -o "^$base/as/authorize?.*" "$work/suite.log" || true)"
  [ -n "$url" ] && break
  kill -0 "$suite_pid" 2> /dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  cat "$work/suite.log" >&2
  echo "the suite printed no authorization URL" >&2
  exit 1
fi
node "$here/approve.mjs" "$url" alice "http://127.0.0.1:$callback_port/callback"
status=0
wait "$suite_pid" || status=$?
suite_pid=
cat "$work/suite.log"
if [ "$status" -ne 0 ]; then
  echo "--- ema serve log ---" >&2
  cat "$work/serve.log" >&2
fi
exit "$status"
