#!/usr/bin/env python3
# tests/oracles/test_encoder_sklearn.py: the oracle half of test_encoder_sklearn.sh.
#   gen DIR          writes DIR/train.csv and DIR/test.csv (cat, x, y; empty field = null)
#   check DIR M      compares what Cairn wrote (DIR/out.csv, DIR/<kind>.json) with
#                    scikit-learn and NumPy; M is the target encoder's smoothing.
# ROBUST = RobustScaler (quantile_range (25, 75), numpy's linear interpolation); ONEHOT =
# OneHotEncoder(handle_unknown='ignore') categories and columns; IMPUTE numeric =
# SimpleImputer(strategy='median'); TARGET (full data) = the smoothing formula
# (n * mean + m * prior) / (n + m) computed directly. scikit-learn's own TargetEncoder (1.3+,
# not in Debian 12's 1.2) shrinks with an empirical-Bayes or a different smoothing, so it is
# not the oracle here.
import csv
import json
import math
import random
import sys

CATS = ["SFO", "LAX", "JFK", "ORD", "ATL", "é", "naïve café", "a,b", 'say "hi"', "x" * 40,
        "Zeta", "zeta", "10", "2"] + [f"c{i:02d}" for i in range(30)]


def gen(d):
    rnd = random.Random(20240607)
    effect = {c: rnd.uniform(-3, 3) for c in CATS}
    weights = [1.0 / (i + 1) for i in range(len(CATS))]

    def rows(n, unseen):
        out = []
        for _ in range(n):
            r = rnd.random()
            if r < 0.03:
                cat = ""
            elif r < 0.03 + unseen:
                cat = f"unseen{rnd.randint(0, 9)}"
            else:
                cat = rnd.choices(CATS, weights)[0]
            x = "" if rnd.random() < 0.08 else repr(round(rnd.gauss(10, 25), rnd.choice([0, 2, 6])))
            base = effect.get(cat, 0.0)
            y = "" if rnd.random() < 0.05 else repr(base + rnd.gauss(0, 1))
            out.append([cat, x, y])
        return out

    for name, n, unseen in (("train", 4000, 0.0), ("test", 1000, 0.05)):
        with open(f"{d}/{name}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["cat", "x", "y"])
            w.writerows(rows(n, unseen))


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def num(s):
    return float("nan") if s == "" else float(s)


class Report:
    def __init__(self):
        self.bad = 0

    def same(self, what, got, want, rel=1e-12):
        if isinstance(want, float) and math.isnan(want):
            ok = isinstance(got, float) and math.isnan(got)
        else:
            ok = got == want or (isinstance(want, float) and isinstance(got, float) and
                                 math.isclose(got, want, rel_tol=rel, abs_tol=1e-12))
        if not ok:
            self.bad += 1
            if self.bad <= 20:
                print(f"MISMATCH {what}: cairn {got!r}, oracle {want!r}")
        return ok


def check(d, m):
    import numpy as np
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, RobustScaler

    train, test, out = load(f"{d}/train.csv"), load(f"{d}/test.csv"), load(f"{d}/out.csv")
    rep = Report()
    rep.same("rows", len(out), len(test))
    x_train = np.array([num(r["x"]) for r in train]).reshape(-1, 1)
    x_test = np.array([num(r["x"]) for r in test]).reshape(-1, 1)

    # ROBUST
    rs = RobustScaler().fit(x_train)
    state = json.load(open(f"{d}/robust.json"))["state"]
    q1, q3 = np.nanpercentile(x_train[:, 0], [25, 75])
    rep.same("robust median", state["median"], float(rs.center_[0]), 0)
    rep.same("robust q1", state["q1"], float(q1), 0)
    rep.same("robust q3", state["q3"], float(q3), 0)
    rep.same("robust scale", state["scale"], float(rs.scale_[0]), 0)
    want = rs.transform(x_test)[:, 0]
    exact = 0
    for i, r in enumerate(out):
        got = num(r["x__robust"])
        if rep.same(f"x__robust[{i}]", got, float(want[i])) and (got == want[i] or math.isnan(got)):
            exact += 1
    print(f"robust: median {state['median']!r}, IQR {state['scale']!r}; {exact}/{len(out)} rows bit-identical")

    # IMPUTE (numeric)
    si = SimpleImputer(strategy="median").fit(x_train)
    state = json.load(open(f"{d}/impute.json"))["state"]
    rep.same("impute fill", state["fill"], float(si.statistics_[0]), 0)
    want = si.transform(x_test)[:, 0]
    for i, r in enumerate(out):
        rep.same(f"x__imputed[{i}]", num(r["x__imputed"]), float(want[i]), 0)
        rep.same(f"x__missing[{i}]", r["x__missing"], "1" if math.isnan(x_test[i, 0]) else "0")
    print(f"impute: median {state['fill']!r}")

    # ONEHOT
    seen = np.array([r["cat"] for r in train if r["cat"] != ""], dtype=object).reshape(-1, 1)
    ohe = OneHotEncoder(handle_unknown="ignore").fit(seen)
    cats = [str(c) for c in ohe.categories_[0]]
    state = json.load(open(f"{d}/onehot.json"))["state"]
    rep.same("onehot categories", state["categories"], cats)
    probe = np.array([r["cat"] if r["cat"] != "" else "\x00null" for r in test],
                     dtype=object).reshape(-1, 1)
    dense = ohe.transform(probe).toarray()
    for i, r in enumerate(out):
        for k, c in enumerate(cats):
            rep.same(f"cat={c}[{i}]", r[f"cat={c}"], str(int(dense[i, k])))
        rep.same(f"cat=__other__[{i}]", r["cat=__other__"], "1" if dense[i].sum() == 0 else "0")
    print(f"onehot: {len(cats)} categories")

    # TARGET (full data)
    ys = np.array([num(r["y"]) for r in train])
    labelled = ~np.isnan(ys)
    prior = float(ys[labelled].mean())
    stats = {}
    for r, y, ok in zip(train, ys, labelled):
        if ok and r["cat"] != "":
            stats.setdefault(r["cat"], []).append(y)
    value = {c: (len(v) * float(np.mean(v)) + m * prior) / (len(v) + m) for c, v in stats.items()}
    state = json.load(open(f"{d}/target.json"))["state"]
    rep.same("target prior", state["prior"], prior)
    rep.same("target categories", [c["value"] for c in state["categories"]], sorted(stats))
    for c in state["categories"]:
        rep.same(f"target count {c['value']}", c["count"], len(stats.get(c["value"], [])))
        rep.same(f"target encoded {c['value']}", c["encoded"], value.get(c["value"]))
    for i, r in enumerate(out):
        rep.same(f"cat__te[{i}]", num(r["cat__te"]), value.get(r["cat"], prior))
    print(f"target: m {m}, prior {prior!r}, {len(stats)} categories")

    print("mismatches:", rep.bad)
    return 1 if rep.bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2], float(sys.argv[3])))
