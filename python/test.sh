#!/usr/bin/env bash
# The Python package's tests: builds and installs the wheel from this folder (maturin, the
# PEP 517 backend of python/pyproject.toml), then runs pytest on python/tests. Without a GPU
# the GPU tests print one skip line each and the CPU tests (fallbacks, errors, fake tensors,
# opcheck on CPU) run; KLAB_REQUIRE_GPU=1 makes a missing GPU a failure.
# Needs torch (2.11.0, the GPU host's), pytest and maturin: .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")"
export PIP_BREAK_SYSTEM_PACKAGES=1
echo "== pip install ./python (maturin builds kernel_lab._native)"
python3 -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall .
echo "== pytest python/tests"
# Run from a folder outside the source tree, so the installed package is the one imported.
cd /tmp
set +e
python3 -m pytest -q -rs -p no:cacheprovider "$OLDPWD/tests" "$@"
rc=$?
set -e
# pytest's 5 is "no test collected": never right here (the CPU tests always run).
if [ "$rc" = 5 ]; then echo "python tests: pytest collected no test" >&2; fi
exit "$rc"
