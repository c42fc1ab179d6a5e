#!/usr/bin/env bash
# Scale benchmark: a full `custseg run` on N generated customers read from Parquet, with wall time,
# peak memory and the manifest's seconds per stage.
#
#   benches/scale.sh [CUSTOMERS ...]     (default 1000000; data under $WORKDIR, default /var/tmp/custseg-scale)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${WORKDIR:-/var/tmp/custseg-scale}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/custseg-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/custseg"
mkdir -p "$work"
for n in "${@:-1000000}"; do
    data="$work/parquet-$n"
    if [[ ! -f "$data/billing.parquet" ]]; then
        "$bin" sample-data --customers "$n" --seed 7 --parquet --out "$work/gen-$n"
        mkdir -p "$data"
        mv "$work/gen-$n"/*.parquet "$data/"
        rm -rf "$work/gen-$n"
    fi
    echo "== $n customers from Parquet ($(du -sh "$data" | cut -f1))"
    /usr/bin/time -f "wall %e s, peak %M kB" "$bin" run --quiet --force --data "$data" --out "$work/out-$n"
    python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print('stages:', ', '.join(f\"{t['stage']} {t['seconds']:.1f} s ({t.get('peak_rss_mib')} MiB peak)\" for t in m['timings']), '| k =', m['k'])" "$work/out-$n/manifest.json"
done
