#!/usr/bin/env bash
# The long fuzzing run (`make fuzz`): every target in turn, one libFuzzer process at a time,
# SECONDS per target (default 1800), growing fuzz/corpus/<target>/ from fuzz/seeds/<target>/.
# Usage: bash fuzz/run.sh [SECONDS] [TARGET...] (two runs with different targets may run at once)
# Logs: fuzz/logs/<target>.log; a crash stops that target and leaves fuzz/artifacts/<target>/crash-*.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-1800}
shift || true
export CARGO_TERM_COLOR=never
cargo +nightly fuzz build || exit 1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
mkdir -p logs
status=0
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    dirs=("corpus/$target")
    [ -d "seeds/$target" ] && dirs+=("seeds/$target")
    log="logs/$target.log"
    echo "[fuzz] $target for ${secs}s (log: fuzz/$log)"
    # One libFuzzer process per target, logging straight to its own file (no -jobs: with it
    # libFuzzer logs to ./fuzz-0.log, which two runs in parallel would share).
    if ! timeout $((secs + 120)) cargo +nightly fuzz run "$target" "${dirs[@]}" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1; then
        echo "[fuzz] $target: FAILED, see fuzz/$log and fuzz/artifacts/$target/"
        status=1
    fi
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1 || true)
    cov=$(grep -E '#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 \
        | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' || true)
    echo "[fuzz] $target: ${execs:-?} execs, ${cov:-?}"
done
exit $status
