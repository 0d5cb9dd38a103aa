#!/usr/bin/env bash
# Fuzz smoke run (called by `make test`): replays the saved regressions and seeds on stable,
# builds every cargo-fuzz target, then runs each for a few seconds (one process at a time).
# Usage: bash fuzz/test.sh [SECONDS_PER_TARGET]   (default 5). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-5}
export CARGO_TERM_COLOR=never

echo "[fuzz] replaying fuzz/regressions and fuzz/seeds"
cargo test --quiet --manifest-path harness/Cargo.toml

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "[fuzz] cargo-fuzz missing: run scripts/setup.sh (cargo install cargo-fuzz --locked)"
    exit 1
fi
echo "[fuzz] building targets"
cargo +nightly fuzz build

status=0
for target in $(cargo +nightly fuzz list); do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    dirs=("$corpus")
    [ -d "seeds/$target" ] && dirs+=("seeds/$target")
    # Replay this target's regressions with the sanitizer build too.
    if [ -d "regressions/$target" ] && [ -n "$(ls -A "regressions/$target")" ]; then
        if ! cargo +nightly fuzz run "$target" regressions/"$target"/* -- -runs=0 \
            >"/tmp/wsengine-fuzz-$target-regressions.log" 2>&1; then
            echo "[fuzz] $target: a regression input fails (see /tmp/wsengine-fuzz-$target-regressions.log)"
            status=1
        fi
    fi
    log="/tmp/wsengine-fuzz-$target.log"
    if cargo +nightly fuzz run "$target" "${dirs[@]}" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1; then
        stats=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1 || true)
        cov=$(grep -E '#[0-9]+[[:space:]]+(DONE|INITED|pulse|NEW|REDUCE)' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
        echo "[fuzz] $target: ok (${stats:-?} execs, ${cov:-no cov line})"
    else
        echo "[fuzz] $target: FAILED (see $log; crashing input in fuzz/artifacts/$target/)"
        grep -E 'panicked|ERROR|SUMMARY' "$log" | head -5 || true
        status=1
    fi
done
exit $status
