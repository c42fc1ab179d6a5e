#!/usr/bin/env bash
# The same customers exported the Chinese way (GBK, Chinese headers, slash dates, thousands separators,
# every export; read with the default profile plus the [exports.*] tables of
# profiles/examples/gbk-chinese-headers.toml) against the UTF-8 run, one after the other (issue 17: at
# most 1.3x the time and 1.1x the memory); the assignments must be identical.
#
#   benches/gbk.sh [CUSTOMERS] [WORKDIR]     (default 1000000, /var/tmp/custseg-gbk)
#
# Needs a Python with polars at $REF_PYTHON (default /tmp/ref/bin/python; see benches/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
work="${2:-/var/tmp/custseg-gbk}"
ref_python="${REF_PYTHON:-/tmp/ref/bin/python}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/custseg-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/custseg"
utf8="$work/utf8"
gbk="$work/gbk"
if [ ! -f "$utf8/billing.csv" ]; then
    "$bin" sample-data --quiet --customers "$n" --seed 7 --out "$utf8"
    rm -f "$utf8/truth.csv"
fi
if [ ! -f "$gbk/billing.csv" ]; then
    mkdir -p "$gbk"
    "$ref_python" - "$utf8" "$gbk" <<'PY'
import sys
import polars as pl
src, dst = sys.argv[1], sys.argv[2]
def slash(c):
    return pl.col(c).str.replace_all("-", "/")
def minutes(c):
    return pl.col(c).str.replace_all("-", "/").str.slice(0, 16)
def thousands(c):
    # 1234.5 -> "1,234.50"; values under 1,000 keep their text.
    x = pl.col(c).cast(pl.Float64)
    whole = x.floor().cast(pl.Int64)
    cents = ((x * 100).round() % 100).cast(pl.Int64).cast(pl.String).str.zfill(2)
    big = pl.concat_str([(whole // 1000).cast(pl.String), pl.lit(","), (whole % 1000).cast(pl.String).str.zfill(3), pl.lit("."), cents])
    return pl.when(x >= 1000).then(big).otherwise(pl.col(c)).alias(c)
jobs = {
    "billing": ([slash("bill_date"), slash("due_date"), slash("paid_date"), thousands("amount_due"), thousands("amount_paid"), thousands("consumption")],
                {"customer_id": "户号", "bill_date": "账单日期", "consumption": "用电量", "amount_due": "电费金额", "due_date": "到期日", "paid_date": "缴费日期", "amount_paid": "实缴金额", "payment_method": "缴费方式"}),
    "outages": ([minutes("outage_start"), minutes("outage_end")],
                {"customer_id": "户号", "outage_start": "停电开始时间", "outage_end": "停电结束时间", "cause": "停电原因"}),
    "tickets": ([minutes("opened_at"), minutes("closed_at")],
                {"ticket_id": "工单号", "customer_id": "户号", "opened_at": "受理时间", "closed_at": "办结时间", "category": "诉求类型", "channel": "渠道"}),
    "customers": ([slash("service_start")],
                  {"customer_id": "户号", "service_start": "立户日期", "region": "地区", "customer_class": "用户类别", "dwelling": "住宅类型", "homeowner": "是否业主", "heating": "采暖方式", "ev_owner": "电动汽车"}),
}
for name, (exprs, names) in jobs.items():
    df = pl.read_csv(f"{src}/{name}.csv", infer_schema_length=0).with_columns(exprs).rename(names)
    text = df.write_csv()
    with open(f"{dst}/{name}.csv", "wb") as f:
        f.write(text.encode("gbk"))
    print(name, df.height, "rows")
PY
fi
measure() { # label, command...
    local label="$1"; shift
    /usr/bin/time -f "$label wall %e s, peak %M kB" "$@"
}
# Like for like: the default profile (the UTF-8 run's features, weights and k selection) with the
# GBK example profile's [exports.*] tables (encoding, Chinese headers, slash dates, thousands), so
# that the two runs differ only in how the files are written.
like="$work/residential-gbk.toml"
{ cat profiles/residential.toml; echo; sed -n '/^\[exports\./,$p' profiles/examples/gbk-chinese-headers.toml; } > "$like"
grep -q '^encoding = "gbk"' "$like" || { echo "no GBK export settings in $like" >&2; exit 1; }
measure utf8 "$bin" run --quiet --force --data "$utf8" --out "$work/utf8-out"
measure gbk "$bin" run --quiet --force --data "$gbk" --profile "$like" --out "$work/gbk-out"
for d in utf8 gbk; do
    python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(sys.argv[2], 'stages:', ', '.join(f\"{t['stage']} {t['seconds']:.1f} s ({t.get('peak_rss_mib')} MiB peak)\" for t in m['timings']), '| k =', m['k'], '| rejected', {k: v['rows_rejected'] for k, v in m['rows'].items()})" "$work/$d-out/manifest.json" "$d"
done
cmp -s "$work/utf8-out/assignments.csv" "$work/gbk-out/assignments.csv" && echo "assignments identical" || echo "assignments differ"
