#!/usr/bin/env bash
# Scoring in the warehouse: N generated customers scored by `custseg assign` and by the SQL that
# `custseg sql score` writes, run in DuckDB and in Spark local mode (local[2]) on the same CSV files,
# side by side: wall time and peak memory (from /usr/bin/time -v) of each, the engines' own load and
# query seconds, and how many customers' segments differ from assign's.
#
#   benches/sql.sh [CUSTOMERS] [WORKDIR]      (default 1000000, /var/tmp/custseg-sql)
#
# Needs: a Python with duckdb and pyspark at $SQL_PYTHON (default /var/tmp/custseg-py/bin/python, the
# venv .ci/run makes from tests/sql/requirements.txt) and a Java runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
work="${2:-/var/tmp/custseg-sql}"
python="${SQL_PYTHON:-/var/tmp/custseg-py/bin/python}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/custseg-target}"
export CUSTSEG_SPARK_MEMORY="${CUSTSEG_SPARK_MEMORY:-8g}"
export CUSTSEG_SPARK_PARTITIONS="${CUSTSEG_SPARK_PARTITIONS:-16}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/custseg"
mkdir -p "$work"
data="$work/data-$n"
[ -f "$data/truth.csv" ] || "$bin" sample-data --customers "$n" --seed 7 --out "$data"
[ -f "$work/model/model.json" ] || "$bin" run --quiet --data "$data" --out "$work/model"
du -sh "$data"

measure() { # label, command...
    local label="$1"; shift
    local log="$work/$label.time"
    /usr/bin/time -v "$@" > "$work/$label.out" 2> "$log" || { cat "$log"; return 1; }
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
    echo "$label wall=$wall peak_rss_mib=$((rss / 1024))"
}

# The tables, typed as the export contract says (other columns are text).
"$python" - "$data" "$work" <<'PY'
import csv, json, os, sys
data, work = sys.argv[1], sys.argv[2]
types = {"bill_date": "DATE", "due_date": "DATE", "paid_date": "DATE", "service_start": "DATE",
         "consumption": "DOUBLE", "amount_due": "DOUBLE", "amount_paid": "DOUBLE",
         "outage_start": "TIMESTAMP", "outage_end": "TIMESTAMP", "opened_at": "TIMESTAMP", "closed_at": "TIMESTAMP"}
tables = []
for t in ["billing", "outages", "tickets", "customers"]:
    p = os.path.join(data, t + ".csv")
    header = next(csv.reader(open(p, encoding="utf-8")))
    tables.append({"name": t, "csv": p, "columns": [[c, types.get(c, "VARCHAR")] for c in header]})
for engine in ["duckdb", "spark"]:
    job = {"tables": tables, "sql": f"{work}/{engine}.sql", "out": f"{work}/{engine}-scored.parquet", "parquet": True}
    json.dump([job], open(f"{work}/{engine}-job.json", "w"))
PY

measure assign "$bin" assign --quiet --force --model "$work/model" --data "$data" --out "$work/assign"
for engine in duckdb spark; do
    "$bin" sql score --model "$work/model" --dialect "$engine" --out "$work/$engine.sql"
    rm -rf "$work/$engine-scored.parquet" "$work/$engine.jvm-peak"
    # Spark's JVM is not a child /usr/bin/time waits for: its peak is sampled from ps every second.
    ( peak=0; while sleep 1; do
        rss=$(ps -C java -o rss= 2>/dev/null | sort -n | tail -1); rss=${rss:-0}
        [ "$rss" -gt "$peak" ] && peak=$rss && echo "$peak" > "$work/$engine.jvm-peak"
      done ) & sampler=$!
    measure "$engine" "$python" tests/sql/engine.py "$engine" "$work/$engine-job.json"
    kill "$sampler" 2>/dev/null || true
    [ "$engine" = spark ] && [ -f "$work/spark.jvm-peak" ] && echo "spark JVM peak_rss_mib=$(( $(cat "$work/spark.jvm-peak") / 1024 ))"
    grep '"engine"' "$work/$engine.out"
done

# Segments the engines gave that assign did not (ties within 1e-9 are the only expected ones).
"$python" - "$work" <<'PY'
import sys, duckdb
w = sys.argv[1]
for engine, path in [("duckdb", f"{w}/duckdb-scored.parquet"), ("spark", f"{w}/spark-scored.parquet/*.parquet")]:
    n, differ, worst = duckdb.sql(f"""
        SELECT COUNT(*), COUNT(*) FILTER (WHERE a.segment <> s.segment), MAX(ABS(a.distance - s.distance))
        FROM '{w}/assign/assignments.parquet' a JOIN '{path}' s USING (customer_id)""").fetchall()[0]
    print(f"{engine}: {n} customers matched to assign's, {differ} in another segment, largest distance difference {worst:.3g}")
PY
