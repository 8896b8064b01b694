#!/usr/bin/env bash
# Fuzzes the generator for a bounded time per target (cargo-fuzz / libFuzzer, `fuzz/`).
#
#   bash .ci/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 90 s, every target)
#
# FUZZ_SANITIZER picks cargo-fuzz's sanitizer (default `address`: the YAML parser and regex
# engines have unsafe code; `none` runs the generator about twice as fast).
# Installs cargo-fuzz when absent (crates.io), builds each target (nightly features through
# RUSTC_BOOTSTRAP on the stable toolchain), runs it from the committed seed corpus
# (fuzz/corpus/<target>, copied so the committed seeds stay as they are) and fails on any crash,
# leak, timeout or out-of-memory. Prints executions and time per target. A crash leaves its
# input under fuzz/artifacts/<target>/: add it to tests/fixtures/hostile/ (the hostile suite
# runs every file there) once fixed.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${1:-90}"
shift || true
targets=("$@")
sanitizer="${FUZZ_SANITIZER:-address}"
if [ ${#targets[@]} -eq 0 ]; then
    targets=(load_generate structured_spec)
fi

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi

status=0
summary=()
for target in "${targets[@]}"; do
    work="fuzz/target/corpus-$target"
    rm -rf "$work"
    mkdir -p "$work" "fuzz/artifacts/$target"
    cp fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
    echo "fuzz: building $target"
    cargo fuzz build --fuzz-dir fuzz -s "$sanitizer" "$target"
    log="fuzz/target/$target.log"
    echo "fuzz: running $target for ${seconds}s"
    start=$(date +%s)
    set +e
    # -timeout: one input taking longer than 20 s is a hang; -rss_limit_mb: a memory bomb.
    cargo fuzz run --fuzz-dir fuzz -s "$sanitizer" "$target" "$work" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=8192 -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$target/" >"$log" 2>&1
    rc=$?
    set -e
    took=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "fuzz: $target FAILED (exit $rc); last lines of $log:"
        tail -n 60 "$log"
        summary+=("$target: FAILED after ${took}s, ${execs:-?} executions; inputs in fuzz/artifacts/$target/")
    else
        summary+=("$target: ${execs:-?} executions in ${took}s, no crash")
    fi
done

echo "fuzz summary:"
for line in "${summary[@]}"; do
    echo "  $line"
done
exit "$status"
