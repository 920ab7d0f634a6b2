#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the parsers that take untrusted text. Builds the
# separate package in Fuzz/ in release with `--sanitize=fuzzer` (the targets' code and the
# library are instrumented with inline 8-bit counters and a PC table, which the toolchain's
# libFuzzer reads), then runs each target for SECONDS, one after the other.
#
# Each target starts from its seeds in Fuzz/Corpus/TARGET and keeps what it learns in
# $FUZZ_DIR/corpus/TARGET (so later runs start further on). A crash, a failed check or a
# hang stops that target: the input is saved as $FUZZ_DIR/TARGET-crash-* (or -timeout-*, -oom-*)
# and the script fails (exit 1) after running the others. Reproduce with
#   $FUZZ_SCRATCH/release/FuzzTARGET FILE
# and turn the input into a regression test in the normal suite.
#
# Prints per target: FUZZ target=… seconds=… runs=… cov=… ft=… corpus=… status=ok|crash
#
# Usage: Scripts/fuzz.sh [SECONDS] [TARGET...]   (default 60 s; default every target below)
# Environment: FUZZ_SCRATCH (build folder, default .build-fuzz), FUZZ_DIR (corpora and
#              findings, default $FUZZ_SCRATCH/findings), FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The targets: each NAME is the executable Fuzz/Sources/FuzzNAME (see Fuzz/Package.swift).
# To add one: its folder, its line in Fuzz/Package.swift, its name here, seeds in Fuzz/Corpus/NAME
# and optionally a libFuzzer dictionary Fuzz/NAME.dict.
TARGETS=(
    SocketAddress   # SocketAddress(_:): every address given on a command line or in a config
    LineFramer      # the echo example's line framing (LineFramer), against a model of the protocol
    ProxyConfig     # the proxy example's config file (ConfigFile) and CIDR parsing (CIDR)
    ProxyHeader     # ProxyHeaderParser: PROXY protocol v1/v2 headers from untrusted clients
)

SECONDS_EACH=${1:-60}
[[ "$SECONDS_EACH" =~ ^[0-9]+$ && "$SECONDS_EACH" -ge 1 ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }
shift $(( $# > 0 ? 1 : 0 ))
(( $# > 0 )) && TARGETS=("$@")
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
OUT=${FUZZ_DIR:-$SCRATCH/findings}
mkdir -p "$OUT"

echo "== building fuzz targets (release, --sanitize=fuzzer)"
swift build --package-path Fuzz --scratch-path "$SCRATCH" -c release --sanitize=fuzzer \
    -Xswiftc -warnings-as-errors >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 2; }
BIN="$SCRATCH/release"

# libFuzzer must see a crash as a signal: the Swift runtime's own backtracer would handle it.
export SWIFT_BACKTRACE=enable=no

FAILED=()
for target in "${TARGETS[@]}"; do
    exe="$BIN/Fuzz$target"
    [[ -x "$exe" ]] || { echo "unknown target $target (no $exe)" >&2; exit 2; }
    corpus="$OUT/corpus/$target"
    mkdir -p "$corpus"
    args=(-max_total_time="$SECONDS_EACH" -use_value_profile=1 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$OUT/$target-")
    [[ -f "Fuzz/$target.dict" ]] && args+=(-dict="Fuzz/$target.dict")
    seeds=()
    [[ -d "Fuzz/Corpus/$target" ]] && seeds=("Fuzz/Corpus/$target")
    echo "== fuzzing $target for $SECONDS_EACH s"
    log="$OUT/$target.log"
    status=ok
    # The time limit is libFuzzer's; `timeout` only guards against a fuzzer that ignores it.
    # shellcheck disable=SC2086
    timeout --kill-after=10 $(( SECONDS_EACH + 120 )) "$exe" "${args[@]}" ${FUZZ_ARGS:-} "$corpus" "${seeds[@]}" \
        >"$log" 2>&1 || status=crash
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    size=$(find "$corpus" -type f | wc -l)
    if [[ "$status" != ok ]]; then
        FAILED+=("$target")
        grep -E 'ERROR: libFuzzer|Fatal error|Test unit written|SUMMARY' "$log" | head -5 || tail -20 "$log"
    fi
    echo "FUZZ target=$target seconds=$SECONDS_EACH runs=${runs:-?} cov=${cov:-?} ft=${ft:-?} corpus=$size status=$status"
done

if (( ${#FAILED[@]} > 0 )); then
    echo "fuzzing found problems in: ${FAILED[*]} (inputs and logs in $OUT)"
    exit 1
fi
