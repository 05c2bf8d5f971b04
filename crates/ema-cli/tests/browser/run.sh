#!/usr/bin/env bash
# CL-06: the consent page of `ema serve` in headless Chromium. Builds `ema`, serves
# examples/stack.toml on a free loopback port, runs consent.mjs (playwright-core, pinned in
# package-lock.json) against it, and stops the server.
#
# Needs: cargo, Node >= 20 with npm, Chromium (Debian: apt-get install -y chromium; or set
# CHROMIUM=/path/to/chrome).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

(cd "$root" && cargo build -p ema-cli --bin ema)
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
work="$(mktemp -d)"
sed "s/127\.0\.0\.1:8080/127.0.0.1:$port/g" "$root/examples/stack.toml" > "$work/stack.toml"
"$target/debug/ema" serve --config "$work/stack.toml" 2> "$work/serve.log" &
pid=$!
cleanup() {
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! EMA_BASE="http://127.0.0.1:$port" node "$here/consent.mjs"; then
  echo "--- ema serve log ---" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
