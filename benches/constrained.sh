#!/usr/bin/env bash
# Size-constrained k-means side by side with k-means-constrained (PyPI, min-cost flow via OR-tools) on
# the same files: k = 7, segments between 5% and 25% of rows, one initialisation each.
#
#   benches/constrained.sh [N ...]      (default: 300000 1000000; k-means-constrained only up to 300000
#                                        unless KMC_ALL=1, it takes minutes beyond)
# Data and the Python venv go to $CUSTSEG_BENCH_DIR (default /var/tmp/custseg-constrained).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CUSTSEG_BENCH_DIR:-/var/tmp/custseg-constrained}"
mkdir -p "$dir"
if [[ ! -x "$dir/venv/bin/python" ]]; then
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/pip" install --quiet k-means-constrained numpy
fi
export CUSTSEG_BENCH_DIR="$dir"
ns=("$@")
[[ ${#ns[@]} -eq 0 ]] && ns=(300000 1000000)
cargo build --release --bench constrained >/dev/null 2>&1 || cargo bench --bench constrained --no-run
bench="$(ls -t "${CARGO_TARGET_DIR:-target}"/release/deps/constrained-* | grep -v '\.d$' | head -1)"
for n in "${ns[@]}"; do
    [[ -f "$dir/data_$n.f64" ]] || "$dir/venv/bin/python" benches/constrained/make_data.py "$n"
    echo "== n = $n: custseg (size-constrained k-means, then plain k-means)"
    /usr/bin/time -f "peak %M kB, wall %e s" "$bench" "$dir/data_$n.f64"
    if [[ "$n" -le 300000 || "${KMC_ALL:-0}" == 1 ]]; then
        echo "== n = $n: k-means-constrained"
        /usr/bin/time -f "peak %M kB, wall %e s" "$dir/venv/bin/python" benches/constrained/run_kmc.py "$n" "$dir"
    fi
done
