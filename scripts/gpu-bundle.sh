#!/usr/bin/env bash
# Builds everything a GPU host without Rust needs into bundle/ (git-ignored), and the same folder
# as bundle.tar.gz (git-ignored, < 64 MiB: what travels to a GPU host; `tar xzf bundle.tar.gz`):
#   bundle/klab            the release CLI (PTX embedded)
#   bundle/tests/*         the test binaries (cargo test --release --no-run), stripped; the
#                          CPU-only emulator, npy-file, grader, course-command and sass-tool
#                          tests are left out (CI runs them)
#   bundle/wheel/*.whl     the Python package kernel_lab (maturin; abi3, Python >= 3.11)
#   bundle/python-tests/   python/tests (pytest)
#   bundle/run-tests.sh    runs every test binary with KLAB_REQUIRE_GPU=1, then (where torch
#                          imports) the Python tests on the wheel; ends "N passed, N failed"
#   bundle/COMMIT          the commit it was built from (klab bench records it)
# Usage on the GPU host:  bundle/run-tests.sh [LOG_DIR]   then e.g.  bundle/klab bench --json r.json
set -euo pipefail
cd "$(dirname "$0")/.."
out=bundle
rm -rf "$out"
mkdir -p "$out/tests"

echo "building release klab and test binaries..." >&2
cargo build --release --bin klab
cp target/release/klab "$out/klab"

cargo test --release --no-run --message-format=json \
  | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-message":
        sys.stderr.write(m["message"].get("rendered") or "")
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        kind = m["target"]["kind"][0]
        print(m["executable"], kind + "-" + m["target"]["name"])
' | while read -r exe name; do
    # Test binaries that need no GPU and test nothing a GPU host changes stay out: CI runs them,
    # and with every kernel compiled for the host (the emulator) each binary is ~9 MB.
    case "$name" in
        # course_commands and sass_tools also read the source tree (docs/course, kernels-gpu).
        test-emulator|test-npy_files|test-grade|test-course_commands|test-sass_tools) continue ;;
    esac
    cp "$exe" "$out/tests/$name"
done

strip "$out/klab" "$out"/tests/*

# The Python package: its wheel (installed on the GPU host into a temporary folder, never
# system-wide) and its tests.
if command -v maturin >/dev/null 2>&1; then
    maturin build --release --quiet -m python/Cargo.toml -o "$out/wheel" >&2
    cp -r python/tests "$out/python-tests"
    rm -rf "$out/python-tests/__pycache__"
else
    echo "maturin not found: the bundle has no Python wheel (pip install maturin==1.16.0)" >&2
fi
# The commit, for `klab bench` on a GPU host without git (read from beside the executable).
git rev-parse --short HEAD > "$out/COMMIT" 2>/dev/null || echo unknown > "$out/COMMIT"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    sed -i 's/$/-dirty/' "$out/COMMIT"
fi

cat > "$out/run-tests.sh" <<'RUNNER'
#!/usr/bin/env bash
# Runs every kernel-lab test binary on this GPU host with KLAB_REQUIRE_GPU=1 (a missing GPU
# fails), writes one log per binary, and ends with "N passed, N failed" (tests, summed).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
logs="${1:-$here/logs}"
mkdir -p "$logs"
export KLAB_REQUIRE_GPU=1 KLAB_BIN="$here/klab"
passed=0; failed=0
for t in "$here"/tests/*; do
    name="$(basename "$t")"
    "$t" >"$logs/$name.log" 2>&1
    rc=$?
    p=$(grep -Eo '[0-9]+ passed' "$logs/$name.log" | awk '{s+=$1} END {print s+0}')
    f=$(grep -Eo '[0-9]+ failed' "$logs/$name.log" | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed before reporting
    passed=$((passed + p)); failed=$((failed + f))
    printf '%-40s rc=%-3s %4s passed %4s failed\n' "$name" "$rc" "$p" "$f"
    if [ "$rc" -ne 0 ]; then grep -E "panicked|FAILED|failures:|error" "$logs/$name.log" | head -20; fi
done
# The Python package's tests, on its wheel, where torch imports.
whl=$(ls "$here"/wheel/*.whl 2>/dev/null | head -1)
if [ -n "$whl" ] && python3 -c "import torch" 2>/dev/null; then
    site="$(mktemp -d)/site"
    python3 -m pip install --quiet --no-deps --target "$site" "$whl" >"$logs/python-install.log" 2>&1
    (cd "$(dirname "$site")" && PYTHONUNBUFFERED=1 PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" \
        python3 -m pytest -q -rs -p no:cacheprovider "$here/python-tests") >"$logs/python-tests.log" 2>&1
    rc=$?
    last=$(tail -1 "$logs/python-tests.log")
    p=$(echo "$last" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
    f=$(echo "$last" | grep -Eo '[0-9]+ (failed|error|errors)' | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    printf '%-40s rc=%-3s %4s passed %4s failed\n' "python-tests (pytest)" "$rc" "$p" "$f"
    if [ "$rc" -ne 0 ]; then grep -E "^(FAILED|ERROR)" "$logs/python-tests.log" | head -20; fi
else
    echo "python-tests: skipped: no wheel in the bundle or torch does not import"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
RUNNER
chmod +x "$out/run-tests.sh"

# The binaries compress about 4:1 (each carries every kernel compiled for the host too).
tar czf "$out.tar.gz" "$out"
size=$(du -sm "$out" | cut -f1)
packed=$(du -sm "$out.tar.gz" | cut -f1)
echo "bundle: $(ls "$out/tests" | wc -l) test binaries + klab, ${size} MiB in $out/, ${packed} MiB in $out.tar.gz" >&2
if [ "$packed" -ge 64 ]; then echo "bundle.tar.gz is ${packed} MiB: over the 64 MiB limit" >&2; exit 1; fi
