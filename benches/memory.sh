#!/usr/bin/env bash
# Memory-scaling benchmark: the same customers with 12 and with 48 bills each, every bill inside the
# analysis window. Peak memory must not grow with the rows (issue 17: within 1.25x of each other).
#
#   benches/memory.sh [CUSTOMERS] [WORKDIR]     (default 1000000, /var/tmp/custseg-memory)
#
# The 48-bill export splits each monthly bill into four weekly ones (days 5, 12, 19 and 26; the
# consumption and amounts divided by four), so that the customers, the window and the features' scale
# stay the same and only the rows per customer change. Needs a Python with polars at $REF_PYTHON
# (default /tmp/ref/bin/python; see benches/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
work="${2:-/var/tmp/custseg-memory}"
ref_python="${REF_PYTHON:-/tmp/ref/bin/python}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/custseg-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/custseg"
d12="$work/bills-12"
d48="$work/bills-48"
if [ ! -f "$d12/billing.csv" ]; then
    "$bin" sample-data --quiet --customers "$n" --seed 7 --out "$d12"
    rm -f "$d12/truth.csv"
fi
if [ ! -f "$d48/billing.csv" ]; then
    mkdir -p "$d48"
    cp "$d12"/{outages,tickets,customers}.csv "$d48/"
    "$ref_python" - "$d12/billing.csv" "$d48/billing.csv" <<'PY'
import sys
import polars as pl
bills = pl.read_csv(sys.argv[1], try_parse_dates=True)
# Only the bills of the last twelve months are split: older ones stay as they are (outside the window).
newest = bills["bill_date"].max()
weeks = []
for w, day in enumerate([5, 12, 19, 26]):
    weeks.append(bills.with_columns(
        pl.col("bill_date").dt.replace(day=day),
        pl.col("due_date").dt.offset_by(f"{7 * w}d"),
        pl.col("paid_date").dt.offset_by(f"{7 * w}d"),
        (pl.col("consumption") / 4).round(1),
        (pl.col("amount_due") / 4).round(2),
        (pl.col("amount_paid") / 4).round(2),
    ))
out = pl.concat(weeks).filter(pl.col("bill_date") <= newest).sort(["customer_id", "bill_date"])
out.write_csv(sys.argv[2])
print(f"{bills.height} bills -> {out.height} bills")
PY
fi
for d in "$d12" "$d48"; do
    rows=$(($(wc -l < "$d/billing.csv") - 1))
    echo "== $(basename "$d"): $rows bills ($(du -sh "$d/billing.csv" | cut -f1)) for $n customers"
    /usr/bin/time -f "wall %e s, peak %M kB" "$bin" run --quiet --force --data "$d" --out "$d-out"
    python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print('stages:', ', '.join(f\"{t['stage']} {t['seconds']:.1f} s ({t.get('peak_rss_mib')} MiB peak)\" for t in m['timings']), '| k =', m['k'])" "$d-out/manifest.json"
done
