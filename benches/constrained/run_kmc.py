#!/usr/bin/env python3
"""Baseline: k-means-constrained on data_{n}.f64 (see make_data.py).

Usage: python run_kmc.py N [DIR]  (DIR holds data_N.f64; default: this folder)
Prints one JSON line. Only the fit is timed (time.perf_counter).
inertia = sum over rows of squared Euclidean distance to the centre of the
assigned cluster, recomputed here with numpy from labels_ and cluster_centers_.
"""
import json
import math
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
from k_means_constrained import KMeansConstrained

HERE = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent


def main():
    n = int(sys.argv[1])
    meta = json.loads((HERE / f"data_{n}.json").read_text())
    assert meta["n"] == n
    d = meta["d"]
    x = np.fromfile(HERE / f"data_{n}.f64", dtype="<f8").reshape(n, d)

    size_min = math.ceil(0.05 * n)
    size_max = math.floor(0.25 * n)
    km = KMeansConstrained(n_clusters=7, size_min=size_min, size_max=size_max,
                           n_init=1, max_iter=300, random_state=0)
    t0 = time.perf_counter()
    km.fit(x)
    secs = time.perf_counter() - t0

    labels = np.asarray(km.labels_, dtype=np.int64)
    centres = np.asarray(km.cluster_centers_, dtype=np.float64)
    inertia = 0.0
    step = 100000
    for s in range(0, n, step):
        diff = x[s:s + step] - centres[labels[s:s + step]]
        inertia += float(np.einsum("ij,ij->", diff, diff))
    sizes = sorted(np.bincount(labels, minlength=7).tolist())

    print(json.dumps({"n": n, "seconds": round(secs, 3), "inertia": inertia,
                      "sizes": sizes, "size_min": size_min, "size_max": size_max,
                      "n_iter": int(getattr(km, "n_iter_", -1)),
                      "package_version": version("k-means-constrained")}))


if __name__ == "__main__":
    main()
