#!/usr/bin/env python3
"""Synthetic Gaussian-blob data for the size-constrained k-means baseline.

Layout: n rows x d=30 features, float64, written raw little-endian row-major
to data_{n}.f64 (no header), plus data_{n}.json = {"n": n, "d": 30}.

Generation (numpy.random.default_rng / PCG64):
  * CENTRE_SEED = 12345: 7 blob centres uniform in [-4, 4]^30
    (same centres for every n).
  * ROW_SEED = 67890 + n: blob sizes are fixed (blob 0 holds floor(0.6*n) rows,
    the remaining rows are split equally over blobs 1..6, any remainder going
    one row each to blobs 1, 2, ...); each row = its centre + N(0, 1) noise per
    feature; rows are then shuffled with the same generator.

Usage: python make_data.py [n ...]   (default: 300000 1000000); files go to $CUSTSEG_BENCH_DIR
(default: this folder)
"""
import json
import sys
from pathlib import Path

import numpy as np

D = 30
K = 7
CENTRE_SEED = 12345
ROW_SEED_BASE = 67890
import os

OUT = Path(os.environ.get("CUSTSEG_BENCH_DIR", Path(__file__).resolve().parent))


def blob_sizes(n):
    big = (6 * n) // 10
    rest = n - big
    q, r = divmod(rest, K - 1)
    return [big] + [q + (1 if i < r else 0) for i in range(K - 1)]


def make(n):
    centres = np.random.default_rng(CENTRE_SEED).uniform(-4.0, 4.0, size=(K, D))
    rng = np.random.default_rng(ROW_SEED_BASE + n)
    sizes = blob_sizes(n)
    labels = np.repeat(np.arange(K), sizes)
    rng.shuffle(labels)
    x = rng.standard_normal((n, D))
    x += centres[labels]
    x = np.ascontiguousarray(x, dtype="<f8")
    x.tofile(OUT / f"data_{n}.f64")
    (OUT / f"data_{n}.json").write_text(json.dumps({"n": n, "d": D}) + "\n")
    print(json.dumps({"n": n, "d": D, "blob_sizes": sizes,
                      "file": str(OUT / f"data_{n}.f64")}))


if __name__ == "__main__":
    ns = [int(a) for a in sys.argv[1:]] or [300000, 1000000]
    for n in ns:
        make(n)
