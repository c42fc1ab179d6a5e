#!/usr/bin/env python3
"""One Lloyd iteration in scikit-learn on the matrix `benches/lloyd_iteration.rs` wrote.

Usage: python benches/sklearn_iteration.py DATA.f64
Same start as the Rust bench (the first 7 rows). Times KMeans(init=start, n_init=1, max_iter=1,
algorithm="lloyd").fit, which is one iteration plus scikit-learn's final labelling pass, and
`_kmeans_single_lloyd`-free `predict` (one assignment pass) for comparison. Median of 5.
"""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans

D, K, REPEATS = 30, 7, 5
x = np.fromfile(sys.argv[1], dtype="<f8").reshape(-1, D)
init = x[:K].copy()


def median_time(f):
    ts = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]


km = KMeans(n_clusters=K, init=init, n_init=1, max_iter=1, tol=0.0, algorithm="lloyd")
fit_s = median_time(lambda: km.fit(x))
predict_s = median_time(lambda: km.predict(x))
print(json.dumps({"bench": "sklearn_fit_max_iter_1", "n": len(x), "seconds": round(fit_s, 4), "sklearn": sklearn.__version__}))
print(json.dumps({"bench": "sklearn_predict_one_assignment_pass", "n": len(x), "seconds": round(predict_s, 4)}))
