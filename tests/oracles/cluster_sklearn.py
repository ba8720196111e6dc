#!/usr/bin/python3
# tests/oracles/cluster_sklearn.py: the scikit-learn side of tests/oracles/test_cluster_sklearn.sh.
#   gen DIR    writes seeded datasets (DIR/<name>.csv: x0..x{d-1},label; optional
#              DIR/<name>.centroids.csv) and DIR/manifest.json
#   check DIR  compares DIR/<name>.out.json (written by tests/unit/train/test_cluster_oracle.c)
#              with sklearn.metrics' silhouette_samples, silhouette_score (also on the rows
#              Cairn sampled), davies_bouldin_score, calinski_harabasz_score and KMeans' inertia_
# Debian's /usr/bin/python3 with python3-sklearn (1.2).
import json
import os
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import (calinski_harabasz_score, davies_bouldin_score, silhouette_samples,
                             silhouette_score)

TOL = 1e-9


def write(d, name, x, labels, centroids=None, sample=0, seed=0):
    with open(os.path.join(d, name + ".csv"), "w") as f:
        f.write(",".join([f"x{j}" for j in range(x.shape[1])] + ["label"]) + "\n")
        for row, lab in zip(x, labels):
            f.write(",".join(repr(float(v)) for v in row) + f",{int(lab)}\n")
    if centroids is not None:
        with open(os.path.join(d, name + ".centroids.csv"), "w") as f:
            f.write(",".join(f"x{j}" for j in range(x.shape[1])) + "\n")
            for row in centroids:
                f.write(",".join(repr(float(v)) for v in row) + "\n")
    return {"name": name, "sample": sample, "seed": seed, "centroids": centroids is not None}


def gen(d):
    rng = np.random.default_rng(20240611)
    sets = []
    # k-means on blobs: labels and centres of a fitted model
    x, _ = make_blobs(n_samples=400, n_features=4, centers=5, random_state=0)
    km = KMeans(n_clusters=5, n_init=10, random_state=0).fit(x)
    sets.append(write(d, "blobs", x, km.labels_, km.cluster_centers_))
    np.save(os.path.join(d, "blobs.inertia.npy"), np.array([km.inertia_]))
    # random points, arbitrary label values (a DBSCAN-style -1), one singleton cluster
    x = rng.normal(size=(300, 6))
    lab = rng.choice([-1, 3, 7, 100, 250], size=300)
    lab[42] = 999
    sets.append(write(d, "random", x, lab))
    # integer grid: many duplicate points and ties
    x = rng.integers(0, 3, size=(200, 2)).astype(float)
    sets.append(write(d, "ties", x, rng.integers(0, 4, size=200)))
    # overlapping clusters, scored on a sample as cairn train does
    x, lab = make_blobs(n_samples=3000, n_features=3, centers=3, cluster_std=2.5, random_state=4)
    sets.append(write(d, "sampled", x, lab, sample=700, seed=123))
    # clusters of identical points: Davies-Bouldin 0, Calinski-Harabasz 1
    x = np.repeat(np.array([[0.0, 1.0], [5.0, 5.0], [9.0, -2.0]]), 4, axis=0)
    sets.append(write(d, "tight", x, np.repeat([0, 1, 2], 4)))
    # undefined: one label, and as many labels as points
    x = rng.normal(size=(6, 2))
    sets.append(write(d, "one_label", x, np.zeros(6, int)))
    sets.append(write(d, "all_distinct", x, np.arange(6)))
    # small and uneven: a cluster of two, a singleton
    x = rng.normal(size=(7, 3)) * [1, 10, 100]
    sets.append(write(d, "uneven", x, [0, 0, 0, 0, 1, 1, 2]))
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"sets": sets}, f)


failures = []


def close(what, got, want, tol=TOL):
    if want is None:
        if got is not None:
            failures.append(f"{what}: Cairn {got}, sklearn raises (undefined)")
        return
    if got is None or not abs(got - want) <= tol * max(1.0, abs(want)):
        failures.append(f"{what}: Cairn {got}, sklearn {want}")


def sk(fn, *a, **k):
    try:
        return float(fn(*a, **k))
    except ValueError:  # fewer than 2 or as many labels as points
        return None


def load(d, name):
    raw = np.loadtxt(os.path.join(d, name + ".csv"), delimiter=",", skiprows=1, ndmin=2)
    return raw[:, :-1], raw[:, -1].astype(int)


def check(d):
    with open(os.path.join(d, "manifest.json")) as f:
        sets = json.load(f)["sets"]
    for s in sets:
        name = s["name"]
        x, lab = load(d, name)
        with open(os.path.join(d, name + ".out.json")) as f:
            out = json.load(f)
        try:
            want = silhouette_samples(x, lab)
        except ValueError:
            want = None
        got = out["silhouette_samples"]
        if want is None:
            if any(v is not None for v in got):
                failures.append(f"{name} silhouette_samples: defined, sklearn raises (undefined)")
        else:
            for i, (g, w) in enumerate(zip(got, want)):
                close(f"{name} silhouette_samples[{i}]", g, float(w))
        close(f"{name} silhouette_score", out["silhouette"], sk(silhouette_score, x, lab))
        if s["sample"]:
            rows = np.array(out["sample_rows"], int)
            if len(rows) != min(s["sample"], len(x)) or len(set(rows)) != len(rows):
                failures.append(f"{name}: sample of {len(rows)} rows, {len(set(rows))} distinct")
            close(f"{name} silhouette on the sample", out["silhouette_sampled"],
                  sk(silhouette_score, x[rows], lab[rows]))
        close(f"{name} davies_bouldin", out["davies_bouldin"], sk(davies_bouldin_score, x, lab))
        close(f"{name} calinski_harabasz", out["calinski_harabasz"], sk(calinski_harabasz_score, x, lab))
        wcss = sum(((x[lab == c] - x[lab == c].mean(axis=0)) ** 2).sum() for c in np.unique(lab))
        close(f"{name} inertia (own means)", out["inertia"], float(wcss))
        if s["centroids"]:
            inertia = float(np.load(os.path.join(d, name + ".inertia.npy"))[0])
            close(f"{name} inertia (KMeans.inertia_)", out["inertia_centroids"], inertia)
    for f in failures:
        print("FAIL:", f)
    print(f"{len(sets)} datasets, {len(failures)} mismatches")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        sys.exit("usage: cluster_sklearn.py gen|check DIR")
    gen(sys.argv[2]) if sys.argv[1] == "gen" else check(sys.argv[2])
