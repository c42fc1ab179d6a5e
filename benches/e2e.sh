#!/usr/bin/env bash
# End-to-end benchmark: generates N customers, then times a full `custseg run` and the reference
# pandas/polars + scikit-learn pipeline (../shared/reference) on the same CSV files, side by side.
# Prints wall time and peak memory (from /usr/bin/time -v) of each, and the ratios.
#
#   benches/e2e.sh [CUSTOMERS] [WORKDIR]      (default 1000000, /var/tmp/custseg-e2e)
#
# Needs: a Python with numpy pandas scikit-learn polars pyarrow at $REF_PYTHON (default /tmp/ref/bin/python):
#   python3 -m venv /tmp/ref && /tmp/ref/bin/pip install numpy pandas scikit-learn polars pyarrow
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
work="${2:-/var/tmp/custseg-e2e}"
ref_python="${REF_PYTHON:-/tmp/ref/bin/python}"
reference="${REFERENCE:-../shared/reference/reference_pipeline.py}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/custseg-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/custseg"
data="$work/data-$n"
if [ ! -f "$data/truth.csv" ]; then
    "$bin" sample-data --customers "$n" --seed 7 --out "$data"
fi
du -sh "$data"

measure() { # label, command...
    local label="$1"; shift
    local log="$work/$label.time"
    /usr/bin/time -v "$@" > "$work/$label.out" 2> "$log" || { cat "$log"; return 1; }
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
    echo "$label wall=$wall peak_rss_mib=$((rss / 1024))"
    echo "$wall $rss" > "$work/$label.sum"
}

measure custseg "$bin" run --quiet --force --data "$data" --out "$work/custseg-out"
measure reference_polars "$ref_python" "$reference" "$data" "$work/ref-out" --engine polars
tail -n 1 "$work/reference_polars.out"
"$ref_python" - "$work" <<'PY'
import sys
w = sys.argv[1]
def secs(s):
    parts = [float(p) for p in s.split(":")]
    t = 0.0
    for p in parts:
        t = t * 60 + p
    return t
a = open(f"{w}/custseg.sum").read().split()
b = open(f"{w}/reference_polars.sum").read().split()
print(f"speed-up vs reference (polars engine): {secs(b[0]) / secs(a[0]):.1f}x; "
      f"peak memory custseg / reference: {int(a[1]) / int(b[1]):.2f}")
PY
