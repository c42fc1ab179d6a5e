"""The files of a Parquet data folder (every export keyed by customer_id) three times over, customer ids prefixed a/b/c, written row group
by row group (never the whole file in memory): 30M customers from the 10M of `benches/scale.sh
10000000` in about 2 minutes, where generating 30M afresh takes far longer.

    python benches/triple_parquet.py SRC_DIR DST_DIR      (needs pyarrow; see benches/e2e.sh)
"""
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for name in ["billing", "outages", "tickets", "customers"]:
    f = pq.ParquetFile(f"{src}/{name}.parquet")
    w = None
    for prefix in ["a", "b", "c"]:
        for g in range(f.num_row_groups):
            t = f.read_row_group(g)
            i = t.schema.get_field_index("customer_id")
            t = t.set_column(i, "customer_id", pc.binary_join_element_wise(pa.scalar(prefix), t.column(i).cast(pa.string()), ""))
            if w is None:
                w = pq.ParquetWriter(f"{dst}/{name}.parquet", t.schema, compression="zstd")
            w.write_table(t, row_group_size=262144)
    w.close()
    print(name, pq.ParquetFile(f"{dst}/{name}.parquet").metadata.num_rows, flush=True)
