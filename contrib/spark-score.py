"""Runs the query of `custseg sql score --dialect spark` and saves its rows as a table.

    spark-submit --conf spark.sql.session.timeZone=UTC contrib/spark-score.py score.sql analytics.segments_2026_11

The table is replaced if it exists. Prints the number of customers per segment when done.
"""

import sys

from pyspark.sql import SparkSession


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: spark-score.py SCORE.sql TABLE")
    query_path, table = sys.argv[1], sys.argv[2]
    spark = SparkSession.builder.appName("custseg-score").getOrCreate()
    scored = spark.sql(open(query_path, encoding="utf-8").read())
    scored.write.mode("overwrite").saveAsTable(table)
    for row in spark.table(table).groupBy("segment", "segment_name").count().orderBy("segment").collect():
        print(f"segment {row['segment']} ({row['segment_name']}): {row['count']} customers")
    spark.stop()


if __name__ == "__main__":
    main()
