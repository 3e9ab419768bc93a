#!/usr/bin/env bash
# Builds everything a GPU host without Rust needs into bundle/ (git-ignored), and the same folder
# as bundle.tar.gz (git-ignored, < 64 MiB: what travels to a GPU host; `tar xzf bundle.tar.gz`):
#   bundle/klab            the release CLI (PTX embedded)
#   bundle/tests/*         the test binaries (cargo test --release --no-run), stripped; the
#                          CPU-only emulator, npy-file, grader, course-command and sass-tool
#                          tests are left out (CI runs them)
#   bundle/run-tests.sh    runs every test binary with KLAB_REQUIRE_GPU=1, ends "N passed, N failed"
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
