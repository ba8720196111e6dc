#!/usr/bin/python3
"""tests/oracles/stability_scipy.py: reference values for cairn_importance_stability_of
(src/train/stability.c), run by tests/oracles/test_stability_scipy.sh with Debian's python3
(scipy 1.10, numpy 1.24).

  stability_scipy.py gen DIR     writes DIR/cases.json: seeded random pairs of importance
                                 lists (names, values with null for NaN, k)
  stability_scipy.py check DIR   reads DIR/out.json written by the C side
                                 (tests/unit/train/test_stability_oracle.c) and compares:

- common / only_a / only_b: the features present (non-NaN) in both lists, in one only;
- spearman: scipy.stats.spearmanr over the common features (NaN below 2), within 1e-12;
- kendall_tau_b: scipy.stats.kendalltau (variant 'b', its default), within 1e-12;
- top_k, top_overlap, top_jaccard: each list's present features sorted by value, largest
  first, ties by name, the first min(k, sizes) of each compared by name.

The cases cover heavy ties (a few levels), no ties, negative values (permutation drops),
NaN entries, infinities, features on one side only, disjoint lists, constant sides, one
common feature, empty lists, k of 0 and k beyond the lists, and lists of 2,000 and 20,000
features (Knight's O(n log n) path at size).
"""
import json
import math
import os
import sys
import warnings

import numpy as np
from scipy import stats

TOL = 1e-12


def make_case(rng, i):
    kind = i % 8
    if i == 0:
        return {"names_a": [], "a": [], "names_b": [], "b": [], "k": 10}
    n_union = int(rng.integers(1, 40)) if i < 300 else (2000 if i < 305 else 20000)
    names = [f"f{j}" for j in range(n_union)]
    if i % 17 == 0:  # a few names outside ASCII: byte order = code point order
        names = [n + ("\u00e9" if j % 3 == 0 else "z") for j, n in enumerate(names)]
    levels = [3, 10, None, 5, None, 2, 50, None][kind]
    base = rng.normal(size=n_union)
    noise = rng.uniform(0.0, 1.5)
    a = base + noise * rng.normal(size=n_union)
    b = base + noise * rng.normal(size=n_union)
    if kind == 3:
        b = -b  # anti-correlated
    if levels:
        a = np.round(a * levels / 3) / levels
        b = np.round(b * levels / 3) / levels
    if kind == 5:
        a = np.abs(a)  # mean |SHAP| is non-negative; permutation drops are not
    in_a = rng.uniform(size=n_union) < rng.uniform(0.5, 1.0)
    in_b = rng.uniform(size=n_union) < rng.uniform(0.5, 1.0)
    if i % 23 == 0:  # disjoint
        in_b = ~in_a
    a = a.astype(float)
    b = b.astype(float)
    a[rng.uniform(size=n_union) < 0.05] = np.nan
    b[rng.uniform(size=n_union) < 0.05] = np.nan
    if i % 29 == 0:
        a[:] = 0.25  # a constant side
    if i % 31 == 0 and n_union > 3:
        a[0], b[1] = np.inf, -np.inf
    if i % 37 == 0:  # exactly one common feature
        in_a[:] = False
        in_b[:] = False
        in_a[0] = in_b[0] = True
        in_a[-1] = True
        a[0] = b[0] = 1.0
    ia = [j for j in range(n_union) if in_a[j]]
    ib = [j for j in range(n_union) if in_b[j]]
    rng.shuffle(ia)
    rng.shuffle(ib)
    k = int(rng.choice([0, 1, 3, 5, 10, 1000])) if i % 11 else int(rng.integers(0, 50))

    def vals(v, idx):
        return [None if math.isnan(v[j]) else (float(v[j]) if math.isfinite(v[j]) else
                                                ("Infinity" if v[j] > 0 else "-Infinity"))
                for j in idx]
    return {"names_a": [names[j] for j in ia], "a": vals(a, ia),
            "names_b": [names[j] for j in ib], "b": vals(b, ib), "k": k}


def gen(d):
    rng = np.random.default_rng(20240611)
    cases = [make_case(rng, i) for i in range(310)]
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump({"cases": cases}, f)


def value(v):
    if v is None:
        return math.nan
    if isinstance(v, str):
        return math.inf if v == "Infinity" else -math.inf
    return float(v)


def finite_ranks(v):
    """v with +-inf replaced by finite values beyond the others: the ranks, and so both
    coefficients, are unchanged. Needed because spearmanr's NaN check sums its input, and
    inf + -inf is NaN, so a case holding both infinities would come back NaN."""
    if v.size == 0 or np.isfinite(v).all():
        return v
    top = np.abs(v[np.isfinite(v)]).max(initial=0.0) + 1.0
    return np.where(np.isposinf(v), top, np.where(np.isneginf(v), -top, v))


def reference(case):
    a = {n: value(v) for n, v in zip(case["names_a"], case["a"]) if not math.isnan(value(v))}
    b = {n: value(v) for n, v in zip(case["names_b"], case["b"]) if not math.isnan(value(v))}
    common = sorted(set(a) & set(b))
    x = finite_ranks(np.array([a[n] for n in common]))
    y = finite_ranks(np.array([b[n] for n in common]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rho = stats.spearmanr(x, y).statistic if len(common) >= 2 else math.nan
        tau = stats.kendalltau(x, y).statistic if len(common) >= 2 else math.nan
    k = min(case["k"], len(a), len(b))
    top = lambda m: set(sorted(m, key=lambda n: (-m[n], n.encode()))[:k])
    overlap = len(top(a) & top(b))
    return {"common": len(common), "only_a": len(a) - len(common),
            "only_b": len(b) - len(common), "spearman": float(rho), "kendall_tau_b": float(tau),
            "top_k": k, "top_overlap": overlap,
            "top_jaccard": overlap / (2 * k - overlap) if k else math.nan}


def same(got, want):
    got = math.nan if got is None else float(got)
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return abs(got - want) <= TOL


def check(d):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)["cases"]
    with open(os.path.join(d, "out.json")) as f:
        out = json.load(f)
    if len(out) != len(cases):
        print(f"FAIL: {len(out)} results for {len(cases)} cases")
        sys.exit(1)
    failures, compared = [], 0
    for i, (case, got) in enumerate(zip(cases, out)):
        want = reference(case)
        for key, w in want.items():
            compared += 1
            ok = same(got.get(key), w) if isinstance(w, float) else got.get(key) == w
            if not ok:
                failures.append(f"case {i} ({len(case['a'])} vs {len(case['b'])} features, "
                                f"k {case['k']}): {key}: cairn {got.get(key)!r}, scipy {w!r}")
    defined = sum(1 for c in cases if not math.isnan(reference(c)["spearman"]))
    for line in failures[:30]:
        print("FAIL:", line)
    print(f"{len(cases)} cases ({defined} with a defined Spearman), {compared} values compared, "
          f"{len(failures)} differ")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    {"gen": gen, "check": check}[sys.argv[1]](sys.argv[2])
