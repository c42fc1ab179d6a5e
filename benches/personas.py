"""How well the default profile recovers planted personas, side by side with scikit-learn.

For one run (custseg's output folder OUT on the data folder DATA with truth.csv), prints one line:
    custseg k=6 ari=0.904 sklearn k=6 ari=0.900 planted=6
scikit-learn: custseg's behaviour features (raw, log1p where the profile says so) plus one-hot
household attributes, every column standardised; KMeans with 10 starts, k by silhouette over 2..7
(on a 4,000-customer sub-sample): the notebook custseg is measured against (issue 13).
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

data, out = sys.argv[1], sys.argv[2]
summary = json.load(open(f"{out}/summary.json"))
model = json.load(open(f"{out}/model.json"))
features = pd.read_parquet(f"{out}/features.parquet")
ids = features.customer_id
truth = pd.read_csv(f"{data}/truth.csv").set_index("customer_id").loc[ids].persona
segment = pd.read_csv(f"{out}/assignments.csv").set_index("customer_id").loc[ids].segment

behaviour = [s for s in model["features"] if s["agg"] != "indicator"]
x = np.column_stack([
    np.log1p(np.maximum(features[s["name"]].to_numpy(), 0)) if s.get("transform") == "log1p" else features[s["name"]].to_numpy()
    for s in behaviour
])
customers = pd.read_csv(f"{data}/customers.csv").set_index("customer_id").loc[ids]
one_hot = pd.get_dummies(customers[["region", "dwelling", "homeowner", "heating", "ev_owner"]].astype(str)).to_numpy(float)
z = StandardScaler().fit_transform(np.column_stack([x, one_hot]))
rows = np.random.RandomState(0).choice(len(z), min(4000, len(z)), replace=False)
best = None
for k in range(2, 8):
    labels = KMeans(k, n_init=10, random_state=0).fit(z).labels_
    sil = silhouette_score(z[rows], labels[rows])
    if best is None or sil > best[0]:
        best = (sil, k, labels)
print(
    f"custseg k={summary['k']} ari={adjusted_rand_score(truth, segment):.3f} "
    f"sklearn k={best[1]} ari={adjusted_rand_score(truth, best[2]):.3f} planted={truth.nunique()}"
)
