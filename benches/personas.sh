#!/usr/bin/env bash
# How well the default profile finds planted personas (issue 13): `sample-data --personas N` for
# N = 4..7 and seeds 1..SEEDS (10,000 customers each), one default run each; prints one line per run
# (custseg's k and adjusted Rand index against truth.csv, scikit-learn's side by side: see
# benches/personas.py) and per N the hit rate and mean index.
#
#   benches/personas.sh [SEEDS] [WORKDIR]     (default 20, /var/tmp/custseg-personas)
#
# Needs a Python with pandas, pyarrow and scikit-learn at $REF_PYTHON (default /tmp/ref/bin/python).
# 80 runs take about 8 minutes for custseg and 10 for scikit-learn on the 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-20}"
work="${2:-/var/tmp/custseg-personas}"
ref_python="${REF_PYTHON:-/tmp/ref/bin/python}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/custseg-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/custseg"
mkdir -p "$work"
lines="$work/runs.txt"
: > "$lines"
for n in 4 5 6 7; do
    for s in $(seq 1 "$seeds"); do
        data="$work/data/p$n-s$s"
        out="$work/out/p$n-s$s"
        [ -f "$data/truth.csv" ] || "$bin" sample-data --quiet --customers 10000 --seed "$s" --personas "$n" --out "$data"
        "$bin" run --quiet --force --data "$data" --out "$out" || true
        line="$("$ref_python" benches/personas.py "$data" "$out" 2>/dev/null || echo "custseg k=0 ari=0 sklearn k=0 ari=0 planted=$n")"
        echo "p$n s$s $line" | tee -a "$lines"
    done
done
awk '{
    split($4, k, "="); split($5, a, "="); split($7, sk, "="); split($8, sa, "="); split($9, p, "=")
    n[$1]++; ari[$1] += a[2]; skari[$1] += sa[2]
    if (k[2] == p[2]) { hit[$1]++; hitari[$1] += a[2]; hitsk[$1] += sa[2] }
    if (k[2] > p[2] + 1) over[$1]++
    if (sk[2] == p[2]) skhit[$1]++
} END {
    for (g in n) printf "%s: custseg planted k in %d of %d (above planted + 1: %d), mean ARI %.3f (%.3f where k was right); scikit-learn planted k in %d, mean ARI %.3f (%.3f on the same runs)\n",
        g, hit[g], n[g], over[g], ari[g] / n[g], hit[g] ? hitari[g] / hit[g] : 0, skhit[g], skari[g] / n[g], hit[g] ? hitsk[g] / hit[g] : 0
}' "$lines" | sort
