#!/usr/bin/env bash
# The Python package's CI (issue 16): a venv with maturin, numpy, pandas, pymatgen, pytest,
# networkx, matplotlib and jobflow; the package built from crates/py and installed into it; the
# pytest suite of crates/py/tests (parity with the CLI, pymatgen round trip, errors, Ctrl-C,
# jobflow); and the example crates/py/examples/arrhenius.py. Prints its wall time.
#
# Optional packages that cannot be installed (pymatgen, jobflow, networkx, pandas, matplotlib)
# are reported and their tests skip; the example runs only with pymatgen and matplotlib.
#
# Environment:
#   HALO_PY_VENV      the venv (default: ~/.cache/halo/python-ci-venv, outside the clone so
#                     that later runs on the same machine reuse it; made when missing)
#   HALO_PY_PROFILE   cargo profile of the extension: `dev` (default) built at opt-level 2,
#                     which makes it the same as the workspace's [profile.test], so the
#                     artifacts of `cargo test --workspace` in .ci/run are reused (maturin's
#                     `--profile test` would build a test harness); `release` for the wheel's
#                     build
#   HALO_CLI          the halo CLI the parity tests compare against (default: the release or
#                     debug build in the target folder; built here with the same profile if
#                     there is none)
set -euo pipefail
start=$(date +%s)
cd "$(dirname "$0")/.."
repo=$(pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
venv=${HALO_PY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/halo/python-ci-venv}
profile=${HALO_PY_PROFILE:-dev}
if [ "$profile" = dev ]; then
    export CARGO_PROFILE_DEV_OPT_LEVEL=${CARGO_PROFILE_DEV_OPT_LEVEL:-2}
fi
python=${PYTHON:-python3}

lap() { echo "python_ci: $1 ($(($(date +%s) - start)) s)"; }

if [ ! -x "$venv/bin/python" ]; then
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
fi
# shellcheck disable=SC1091
source "$venv/bin/activate"
python -m pip install --quiet --disable-pip-version-check --upgrade pip
python -m pip install --quiet --disable-pip-version-check "maturin>=1.9.4,<2" numpy pytest
for pkg in pandas networkx matplotlib pymatgen jobflow; do
    python -m pip install --quiet --disable-pip-version-check "$pkg" ||
        echo "python_ci: $pkg could not be installed; its tests will be skipped"
done
lap "venv ready"

# the extension, built with cargo's `$profile` profile and installed into the venv (editable)
(cd crates/py && maturin develop --locked --profile "$profile")
lap "halo package built and installed ($profile profile)"

if [ -z "${HALO_CLI:-}" ]; then
    dir=$profile
    [ "$profile" = dev ] && dir=debug
    if [ ! -x "$target/$dir/halo" ]; then
        cargo build --locked --profile "$profile" --bin halo
    fi
    export HALO_CLI=$target/$dir/halo
fi
echo "python_ci: CLI for the parity tests: $HALO_CLI"

python -m pytest crates/py/tests -q -p no:cacheprovider
lap "pytest done"

if python -c "import pymatgen.core, matplotlib" 2>/dev/null; then
    out=$(mktemp -d)
    python crates/py/examples/arrhenius.py --out "$out/arrhenius.png"
    test -s "$out/arrhenius.png"
    rm -rf "$out"
    lap "example ran"
else
    echo "python_ci: example skipped (needs pymatgen and matplotlib)"
fi
echo "python_ci: wall time $(($(date +%s) - start)) s"
