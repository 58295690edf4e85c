#!/usr/bin/env bash
# The full validation set (not run in CI): every row of tests/validation/validation_set.csv,
# the refined-occupancy check and 5 OBELiX-style noisy copies of every structure, with the
# model's defaults. Prints the metrics and the wall time; writes results/validation/.
# Usage: bash scripts/bench/validate_full.sh [extra halo validate arguments]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked --bin halo
start=$(date +%s)
set +e
target/release/halo validate tests/validation/validation_set.csv \
    --sites tests/validation/refined_li_sites.csv --noise-copies 5 \
    --out results/validation "$@"
code=$?
set -e
echo "halo validate: exit $code (1 = some rows could not be evaluated, see report), wall $(( $(date +%s) - start )) s"
[ "$code" -le 1 ]
