#!/usr/bin/env bash
# Runs every ema benchmark in one session and writes docs/benchmarks.md:
#   - criterion micro-benchmarks (ema-jwt on both backends, ema-server, ema-client);
#   - the load benchmark of the jwt-bearer token endpoint over loopback HTTP (wrk), against a
#     baseline endpoint of the same binary, run alternately;
#   - PyJWT, joserfc (pip, into a venv) and Node `jose` (npm) validating the same ID-JAG.
# Usage: bash bench/run.sh [--quick]
# Runtime on a 2-core machine: about 10 minutes after the build (--quick: about 4); the first
# build of the benchmark binaries takes 10-20 minutes more. Needs cargo, python3 (3.9+),
# node + npm, and wrk (installed with apt-get when missing and running as root).
set -euo pipefail

QUICK=0
case "${1:-}" in
  --quick) QUICK=1 ;;
  "") ;;
  *) echo "usage: bash bench/run.sh [--quick]" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=$CARGO_TARGET_DIR/ema-bench-run
rm -rf "$OUT"
mkdir -p "$OUT"
export CRITERION_HOME=$OUT/criterion

if [[ $QUICK == 1 ]]; then
  WARM=1; MEAS=2; LOAD_SECS=4; ROUNDS=1; REPEATS=3
else
  WARM=2; MEAS=5; LOAD_SECS=10; ROUNDS=3; REPEATS=7
fi
CRIT=(--warm-up-time "$WARM" --measurement-time "$MEAS" --noplot)
log() { printf '\n== %s\n' "$*" >&2; }

log "tools"
if ! command -v wrk >/dev/null; then
  if [[ $(id -u) == 0 ]]; then
    (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
  else
    echo "wrk is missing: apt-get install wrk" >&2; exit 1
  fi
fi
command -v python3 node npm >/dev/null

log "build"
bench_exe() { cargo bench "$@" --no-run 2>&1 | tee /dev/stderr | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1; }
JWT_AWS=$(bench_exe -p ema-jwt --bench jwt)
JWT_RC=$(bench_exe -p ema-jwt --bench jwt --no-default-features --features rust-crypto)
SERVER_EXE=$(bench_exe -p ema-server --bench server)
cargo bench -p ema-client --bench token_source --no-run
cargo build --release -p ema-bench
BENCH_BIN=$CARGO_TARGET_DIR/release/ema-bench

log "peers: install"
VENV=$ROOT/bench/.venv
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/peers/requirements.txt
(cd bench/node && npm ci --silent --no-audit --no-fund)

log "criterion: ema-jwt (aws-lc-rs)"
cargo bench -p ema-jwt --bench jwt -- "${CRIT[@]}" | tee "$OUT/jwt-aws-lc-rs.txt"
log "criterion: ema-jwt (rust-crypto)"
cargo bench -p ema-jwt --bench jwt --no-default-features --features rust-crypto -- "${CRIT[@]}" \
  | tee "$OUT/jwt-rust-crypto.txt"
log "criterion: ema-server"
cargo bench -p ema-server --bench server -- "${CRIT[@]}" | tee "$OUT/server.txt"
log "criterion: ema-client"
cargo bench -p ema-client --bench token_source -- "${CRIT[@]}" | tee "$OUT/client.txt"

log "instruction counts (callgrind; deterministic on a shared machine)"
: > "$OUT/instructions.jsonl"
if command -v valgrind >/dev/null; then
  K=20
  count() { # exe id
    local total
    total=$(EMA_BENCH_COUNT="$2:$K" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      --toggle-collect='*ema_counted*' "$1" --bench 2>&1 >/dev/null | awk '/Collected :/ {s += $4} END {print s}')
    echo "{\"id\": \"$2\", \"instructions\": $((total / K))}" | tee -a "$OUT/instructions.jsonl"
  }
  OPS="raw/es256_verify raw/es256_sign raw/rs256_verify ema/id_jag_verify_es256 ema/id_jag_verify_rs256 ema/access_token_mint_es256 ema/access_token_verify_es256"
  for op in $OPS; do count "$JWT_AWS" "aws-lc-rs/$op"; done
  if [[ $QUICK == 0 ]]; then
    for op in $OPS; do count "$JWT_RC" "rust-crypto/$op"; done
  fi
  count "$SERVER_EXE" "aws-lc-rs/ema/id_jag_full_validation_es256"
else
  echo "valgrind not found: instruction counts skipped" >&2
fi

log "peers: validate one ID-JAG"
"$BENCH_BIN" fixture "$OUT/peer" 1
"$VENV/bin/python" bench/peers/python_peers.py "$OUT/peer/peer.json" "$REPEATS" | tee "$OUT/peers.jsonl"
node bench/node/jose_peer.mjs "$OUT/peer/peer.json" "$REPEATS" | tee -a "$OUT/peers.jsonl"

log "load: jwt-bearer token endpoint vs baseline (wrk, ${LOAD_SECS}s per run, $ROUNDS rounds)"
# One fresh ID-JAG per request: at most PER_RUN requests per run of the real endpoint.
PER_RUN=$((LOAD_SECS * 6000))
"$BENCH_BIN" fixture "$OUT/load" $((PER_RUN * ROUNDS))
"$BENCH_BIN" serve "$OUT/load" > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$OUT/serve.log" && break; sleep 0.1; done
ADDR=$(awk '/listening/ {print $2}' "$OUT/serve.log")
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
: > "$OUT/load.jsonl"
run_load() { # name path first
  local before after
  before=$(cpu_ticks)
  wrk -t1 -c16 -d"${LOAD_SECS}s" --latency -s bench/wrk_bodies.lua "http://$ADDR$2" \
    -- "$OUT/load/bodies.txt" "$3" "$PER_RUN" > "$OUT/wrk-$1-r$round.txt"
  after=$(cpu_ticks)
  python3 bench/report.py wrk "$1" "$OUT/wrk-$1-r$round.txt" $((after - before)) "$TICK" >> "$OUT/load.jsonl"
}
for round in $(seq 0 $((ROUNDS - 1))); do
  run_load baseline /baseline/token 0
  run_load endpoint /oauth/token $((round * PER_RUN))
done
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
trap - EXIT

log "report"
python3 bench/report.py report "$OUT" "$QUICK" > docs/benchmarks.md
cat docs/benchmarks.md
