#!/usr/bin/env bash
# Fuzz smoke run: every target for a bounded time on the stable toolchain, no sanitizer.
#
#   bash fuzz/smoke.sh                  # 20 s per target
#   FUZZ_SECONDS=60 bash fuzz/smoke.sh  # longer
#   FUZZ_TARGETS="jwks claims" bash fuzz/smoke.sh
#
# Installs the pinned cargo-fuzz when missing, checks that fuzz/Cargo.lock is current
# (--locked), builds all targets once, then runs each on a temporary copy of its committed
# seed corpus (so the committed corpus never grows). Fails on any crash, leak, timeout or
# out-of-memory; the crashing input is kept under $FUZZ_ARTIFACTS (default: a temporary
# directory, printed). See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")"

CARGO_FUZZ_VERSION=0.13.2
seconds=${FUZZ_SECONDS:-20}
case "$seconds" in '' | *[!0-9]*) echo "FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;; esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi
echo "==> $(cargo fuzz --version), $(rustc --version)"

# The lock file is committed and must be current: a dependency change in a crate under
# crates/ that the fuzz workspace resolves differently fails here, not silently later.
cargo metadata --locked --format-version 1 >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/ema-fuzz.XXXXXX")
artifacts=${FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"

targets=${FUZZ_TARGETS:-$(cargo fuzz list)}
[ -n "$targets" ] || { echo "no fuzz target" >&2; exit 2; }

echo "==> building all targets (-s none: stable toolchain, release + debug assertions)"
build_started=$(date +%s)
cargo fuzz build -s none
echo "    built in $(( $(date +%s) - build_started ))s"

failed=()
started=$(date +%s)
for target in $targets; do
  corpus="$work/corpus/$target"
  mkdir -p "$corpus"
  if [ -d "corpus/$target" ]; then cp -R "corpus/$target/." "$corpus/"; fi
  log="$work/$target.log"
  # Raw tokens go up to the 16 KiB cap and past it; libFuzzer's default is 4096 bytes.
  case "$target" in jws_decode) max_len=17408 ;; *) max_len=4096 ;; esac
  t0=$(date +%s)
  status=0
  cargo fuzz run -s none "$target" "$corpus" -- \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=30 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/$target-" -print_final_stats=1 >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - t0 ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  units=$(find "$corpus" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    printf '%-26s ok     %10s execs %8s/s %4ss corpus %s\n' "$target" "${execs:-?}" "${rate:-?}" "$elapsed" "$units"
  else
    printf '%-26s FAILED (exit %s after %ss)\n' "$target" "$status" "$elapsed"
    { grep -E -A12 'panicked at|ERROR: libFuzzer|SUMMARY|^error' "$log" || tail -20 "$log"; } \
      | head -40 | sed 's/^/    /'
    for a in "$artifacts/$target"-*; do
      if [ -e "$a" ]; then echo "    reproduce: cd fuzz && cargo fuzz run -s none $target $a"; fi
    done
    failed+=("$target")
  fi
done

count=$(echo $targets | wc -w)
echo "==> fuzz smoke: $count targets, ${#failed[@]} failed, $(( $(date +%s) - started ))s fuzzing (${seconds}s each)"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "failed: ${failed[*]}; crashing inputs in $artifacts, logs in $work" >&2
  exit 1
fi
rm -rf "$work"
