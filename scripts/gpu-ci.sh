#!/usr/bin/env bash
# GPU CI for kernel-lab (docs/ci.md): on a machine with an NVIDIA GPU, runs every test with
# KLAB_REQUIRE_GPU=1, runs the benchmark, and gates it with `klab compare` against the newest
# committed results of the same device model (docs/results/*.json). Exits non-zero when a test
# fails, a kernel is no longer verified, or a kernel got slower than the threshold.
#
# Usage: scripts/gpu-ci.sh [OUT_DIR]            (default OUT_DIR: gpu-ci-out)
# Environment:
#   KLAB_BUNDLE=DIR          a bundle built by scripts/gpu-bundle.sh (default: bundle/, built here
#                            first when it is missing and cargo is available)
#   KLAB_BASELINES=DIR       the committed results to gate against (default: docs/results)
#   KLAB_GATE_THRESHOLD=PCT  slowdown that fails the gate (default: 10)
#   KLAB_BENCH_ARGS="..."    extra `klab bench` arguments (e.g. "--ladder gemm")
#   KLAB_SKIP_TESTS=1        gate only (no test run)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu-ci-out}"
bundle="${KLAB_BUNDLE:-bundle}"
baselines="${KLAB_BASELINES:-docs/results}"
threshold="${KLAB_GATE_THRESHOLD:-10}"
mkdir -p "$out"

if [ ! -x "$bundle/klab" ]; then
    if command -v cargo >/dev/null 2>&1; then
        echo "== building the bundle ($bundle)"
        bash scripts/gpu-bundle.sh
        bundle=bundle
    else
        echo "gpu-ci: no bundle at $bundle/ and no cargo to build one (scripts/gpu-bundle.sh)" >&2
        exit 2
    fi
fi
echo "== bundle: commit $(cat "$bundle/COMMIT" 2>/dev/null || echo unknown)"
"$bundle/klab" info | tee "$out/info.txt"

status=0
if [ "${KLAB_SKIP_TESTS:-0}" != 1 ]; then
    echo "== tests (KLAB_REQUIRE_GPU=1)"
    if ! "$bundle/run-tests.sh" "$out/test-logs" | tee "$out/tests.txt"; then
        echo "gpu-ci: tests failed (logs in $out/test-logs)" >&2
        status=1
    fi
fi

echo "== benchmark"
# shellcheck disable=SC2086  # KLAB_BENCH_ARGS is a list of words
"$bundle/klab" bench --json "$out/results.json" --markdown "$out/results.md" \
    ${KLAB_BENCH_ARGS:-} | tee "$out/bench.txt"

echo "== regression gate: klab compare $baselines $out/results.json --threshold $threshold"
if ! "$bundle/klab" compare "$baselines" "$out/results.json" --threshold "$threshold" \
    | tee "$out/gate.txt"; then
    echo "gpu-ci: the regression gate failed (see $out/gate.txt)" >&2
    status=1
fi
if [ "$status" = 0 ]; then echo "gpu-ci: passed"; fi
exit "$status"
