"""Runs custseg's generated SQL in a real engine, for the integration tests (tests/cli/sql.rs) and the
benchmark (benches/sql.sh).

    python engine.py duckdb|spark JOBS.json

JOBS.json is a list of jobs, each:
    {"tables": [{"name": "billing", "csv": "/path/billing.csv",
                 "columns": [["customer_id", "VARCHAR"], ["bill_date", "DATE"], ...]}, ...],
     "sql": "/path/query.sql",            # one statement, or several separated by ";\n\n"
     "out": "/path/result.csv",           # each statement's rows, statement i to out + ".i" when several
     "parquet": false}                    # true: the rows go to a Parquet file (DuckDB) or folder
                                          # (Spark) at "out" instead, without passing through Python
Every table is loaded from its CSV (header row; an empty cell is NULL) with the columns typed as
listed, in file order; names may hold any character. Numbers are written back with repr(), which
round-trips a double. Prints one line per job, as JSON: the seconds spent loading the tables (DuckDB
reads the CSV then; Spark only when the query runs) and running the statements.
"""

import csv
import json
import sys
import time


def quote(name, q):
    return q + name.replace(q, q + q) + q


def statements(path):
    text = open(path, encoding="utf-8").read()
    return [s for s in (p.strip() for p in text.split(";\n\n")) if s]


def write_rows(path, columns, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for row in rows:
            w.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])


def report(engine, job, load, query):
    print(json.dumps({"engine": engine, "sql": job["sql"], "load_seconds": round(load, 3), "query_seconds": round(query, 3)}), flush=True)


def outputs(job, n):
    return [job["out"]] if n == 1 else [f"{job['out']}.{i}" for i in range(n)]


def run_duckdb(jobs):
    import duckdb

    for job in jobs:
        con = duckdb.connect()
        loading = time.perf_counter()
        for t in job["tables"]:
            parts = t["name"].split(".")
            if len(parts) == 2:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(parts[0], chr(34))}")
            name = ".".join(quote(p, '"') for p in parts)
            cols = ", ".join(f"CAST({quote(c, chr(34))} AS {ty}) AS {quote(c, chr(34))}" for c, ty in t["columns"])
            con.execute(
                f"CREATE TABLE {name} AS SELECT {cols} FROM read_csv(?, header = true, all_varchar = true)",
                [t["csv"]],
            )
        start = time.perf_counter()
        stmts = statements(job["sql"])
        for stmt, out in zip(stmts, outputs(job, len(stmts))):
            if job.get("parquet"):
                con.execute(f"COPY ({stmt}) TO '{out}' (FORMAT parquet)")
                continue
            cur = con.execute(stmt)
            write_rows(out, [d[0] for d in cur.description], cur.fetchall())
        report("duckdb", job, start - loading, time.perf_counter() - start)
        con.close()


def run_spark(jobs):
    import os

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    spark = (
        SparkSession.builder.master(os.environ.get("CUSTSEG_SPARK_MASTER", "local[2]"))
        .appName("custseg-sql-test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("CUSTSEG_SPARK_PARTITIONS", "4"))
        .config("spark.driver.memory", os.environ.get("CUSTSEG_SPARK_MEMORY", "2g"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    kinds = {"VARCHAR": T.StringType(), "DATE": T.DateType(), "TIMESTAMP": T.TimestampType(), "DOUBLE": T.DoubleType(), "BOOLEAN": T.BooleanType()}
    for job in jobs:
        for t in job["tables"]:
            schema = T.StructType([T.StructField(c, kinds[ty], True) for c, ty in t["columns"]])
            # RFC 4180 quoting (a quote doubled inside quotes), as custseg and DuckDB read it.
            df = spark.read.csv(t["csv"], header=True, schema=schema, escape='"', timestampFormat="yyyy-MM-dd HH:mm[:ss]")
            # A dotted name can only be a global temporary view (global_temp.NAME).
            schema_name, _, view = t["name"].rpartition(".")
            if schema_name:
                assert schema_name == "global_temp", t["name"]
                df.createOrReplaceGlobalTempView(view)
            else:
                df.createOrReplaceTempView(view)
        start = time.perf_counter()
        stmts = statements(job["sql"])
        for stmt, out in zip(stmts, outputs(job, len(stmts))):
            df = spark.sql(stmt)
            if job.get("parquet"):
                df.write.mode("overwrite").parquet(out)
                continue
            rows = df.collect()
            write_rows(out, df.columns, [tuple(r) for r in rows])
        report("spark", job, 0.0, time.perf_counter() - start)
        for t in job["tables"]:
            schema_name, _, view = t["name"].rpartition(".")
            (spark.catalog.dropGlobalTempView if schema_name else spark.catalog.dropTempView)(view)
    spark.stop()


if __name__ == "__main__":
    engine, jobs_path = sys.argv[1], sys.argv[2]
    jobs = json.load(open(jobs_path, encoding="utf-8"))
    {"duckdb": run_duckdb, "spark": run_spark}[engine](jobs)
