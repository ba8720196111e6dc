#!/usr/bin/env python3
# tests/oracles/xgb_oracle.py: the oracle half of test_xgb_python.sh.
#   gen DIR     writes DIR/train.csv, DIR/valid.csv, DIR/test.csv (f0..f7, y_bin, y_multi,
#               y_reg; f7 has missing values, written as empty fields) and DIR/blobs.csv
#   check DIR   compares what the C driver wrote (DIR/<name>.ubj, DIR/<name>_*.csv,
#               DIR/<name>.json) with Debian's python3-xgboost and scikit-learn
# XGBoost: Python's xgboost.Booster loads Cairn's native UBJ bytes and predicts the test rows
# (values, margins, TreeSHAP); the early-stopped model's best_iteration and rounds; Python's
# xgb.train with the same parameters, seed and nthread grows the same trees. Linear models:
# LogisticRegression(solver='liblinear') and LinearRegression on StandardScaler'd training
# rows (f0..f6; both sides read the same float32 values), KMeans on well-separated blobs.
# Every comparison prints its maximum difference.
import json
import sys

import numpy as np

FEATURES = [f"f{i}" for i in range(8)]
LIN_FEATURES = FEATURES[:7]  # no missing values: scikit-learn's linear models refuse NaN


def gen(d):
    rng = np.random.default_rng(20240611)

    def table(n):
        x = rng.normal(size=(n, 8)).astype(np.float32)
        x[:, 1] = x[:, 1] * 3 + 5
        x[:, 2] = x[:, 2] * 0.1 - 2
        logit = 1.2 * x[:, 0] - 0.8 * (x[:, 1] - 5) / 3 + x[:, 3] * x[:, 4] + 0.7 * x[:, 7]
        y_bin = (logit + rng.normal(scale=0.7, size=n) > 0).astype(int)
        y_multi = np.argmax(np.stack([x[:, 0], x[:, 3], 0.5 * x[:, 5] + 0.3]), axis=0)
        y_reg = 2 * x[:, 0] - x[:, 3] + 0.5 * x[:, 5] ** 2 + rng.normal(scale=0.2, size=n)
        x[rng.random(n) < 0.1, 7] = np.nan
        return x, y_bin, y_multi, y_reg

    for name, n in (("train", 2000), ("valid", 600), ("test", 500)):
        x, yb, ym, yr = table(n)
        with open(f"{d}/{name}.csv", "w") as f:
            f.write(",".join(FEATURES + ["y_bin", "y_multi", "y_reg"]) + "\n")
            for i in range(n):
                cells = ["" if np.isnan(v) else "%.9g" % v for v in x[i]]
                cells += [str(yb[i]), str(ym[i]), repr(float(yr[i]))]
                f.write(",".join(cells) + "\n")
    centres = np.array([[0, 0], [8, 1], [1, 9], [9, 9]], dtype=np.float64)
    pts = np.concatenate([c + rng.normal(scale=0.6, size=(300, 2)) for c in centres])
    with open(f"{d}/blobs.csv", "w") as f:
        f.write("x,y\n")
        for p in pts.astype(np.float32):
            f.write("%.9g,%.9g\n" % (p[0], p[1]))


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float64,
                         missing_values="", filling_values=np.nan)
    cols = {name: data[:, i] for i, name in enumerate(header)}
    return cols


def matrix(cols, names):
    return np.stack([cols[n] for n in names], axis=1).astype(np.float32)


def read_csv(path):
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


class Report:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, what, diff, limit):
        ok = bool(diff <= limit)
        print(f"{'ok  ' if ok else 'FAIL'} {what}: max |diff| {diff:.3g} (limit {limit:g})")
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def true(self, what, cond):
        print(f"{'ok  ' if cond else 'FAIL'} {what}")
        if cond:
            self.passed += 1
        else:
            self.failed += 1


def maxdiff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


XGB_PARAMS = {"max_depth": 4, "eta": 0.1, "subsample": 0.8, "colsample_bytree": 0.9,
              "min_child_weight": 1, "lambda": 1.5, "alpha": 0.1, "max_bin": 64}


def check_xgb(d, rep, xgb, name, objective, extra, label, rounds):
    test, train = load(f"{d}/test.csv"), load(f"{d}/train.csv")
    xt = matrix(test, FEATURES)
    bst = xgb.Booster(model_file=f"{d}/{name}.ubj")
    rep.true(f"{name}: feature names came along", bst.feature_names == FEATURES)
    dt = xgb.DMatrix(xt, missing=np.nan, feature_names=FEATURES)
    groups = extra.get("num_class", 1)
    value = bst.predict(dt).reshape(len(xt), -1)
    margin = bst.predict(dt, output_margin=True).reshape(len(xt), -1)
    shap = bst.predict(dt, pred_contribs=True).reshape(len(xt), -1)
    rep.check(f"{name}: Python's predictions of Cairn's model", maxdiff(value, read_csv(f"{d}/{name}_value.csv")), 1e-6)
    rep.check(f"{name}: margins", maxdiff(margin, read_csv(f"{d}/{name}_margin.csv")), 1e-6)
    rep.check(f"{name}: TreeSHAP", maxdiff(shap, read_csv(f"{d}/{name}_shap.csv")), 1e-5)
    rep.true(f"{name}: SHAP shape {shap.shape}", shap.shape == (len(xt), groups * 9))
    # Python trains the same model from the same parameters, seed and thread count.
    params = dict(XGB_PARAMS, objective=objective, tree_method="hist", seed=42, nthread=2,
                  verbosity=1, **extra)
    dtrain = xgb.DMatrix(matrix(train, FEATURES), label=train[label], missing=np.nan,
                         feature_names=FEATURES)
    py = xgb.train(params, dtrain, num_boost_round=rounds)
    rep.check(f"{name}: Python-trained vs Cairn-trained predictions",
              maxdiff(py.predict(dt).reshape(len(xt), -1), value), 1e-6)


def check_early_stopping(d, rep, xgb):
    bst = xgb.Booster(model_file=f"{d}/early.ubj")
    info = json.load(open(f"{d}/early_info.json"))
    rep.true(f"early stopping: best_iteration {bst.attr('best_iteration')} == {info['best_round']}",
             int(bst.attr("best_iteration")) == info["best_round"])
    rep.true(f"early stopping: {bst.num_boosted_rounds()} rounds == best + 1",
             bst.num_boosted_rounds() == info["best_round"] + 1)
    # Python's own early stopping on the same data stops at the same round.
    train, valid = load(f"{d}/train.csv"), load(f"{d}/valid.csv")
    dtrain = xgb.DMatrix(matrix(train, FEATURES), label=train["y_bin"], missing=np.nan)
    dvalid = xgb.DMatrix(matrix(valid, FEATURES), label=valid["y_bin"], missing=np.nan)
    params = {"objective": "binary:logistic", "tree_method": "hist", "seed": 42, "nthread": 2,
              "max_depth": 6, "eta": 0.3}
    py = xgb.train(params, dtrain, num_boost_round=500, evals=[(dvalid, "valid")],
                   early_stopping_rounds=10, verbose_eval=False)
    rep.true(f"early stopping: Python's best_iteration {py.best_iteration} == Cairn's",
             py.best_iteration == info["best_round"])
    rep.check("early stopping: best score", abs(py.best_score - info["best_score"]), 1e-9)


def standardized(train, other, names):
    from sklearn.preprocessing import StandardScaler
    sc = StandardScaler().fit(matrix(train, names).astype(np.float64))
    return sc.transform(matrix(train, names).astype(np.float64)), \
        sc.transform(matrix(other, names).astype(np.float64))


def check_linear(d, rep):
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LinearRegression, LogisticRegression
    train, test = load(f"{d}/train.csv"), load(f"{d}/test.csv")
    ztr, zte = standardized(train, test, LIN_FEATURES)
    for name, label in (("logistic", "y_bin"), ("logistic_multi", "y_multi")):
        ours = json.load(open(f"{d}/{name}.json"))
        lr = LogisticRegression(solver="liblinear", C=0.5, tol=1e-10, max_iter=10000)
        lr.fit(ztr, train[label].astype(int))
        rep.check(f"{name}: coefficients vs scikit-learn liblinear",
                  maxdiff(np.array(ours["coef"]), lr.coef_), 1e-6)
        rep.check(f"{name}: intercepts", maxdiff(np.array(ours["intercept"]), lr.intercept_), 1e-6)
        p = lr.predict_proba(zte)
        if name == "logistic":
            p = p[:, 1:]
        rep.check(f"{name}: probabilities", maxdiff(read_csv(f"{d}/{name}_value.csv"), p), 1e-6)
    ours = json.load(open(f"{d}/linear.json"))
    ols = LinearRegression().fit(ztr, train["y_reg"])
    rep.check("linear: coefficients vs LinearRegression", maxdiff(np.array(ours["coef"][0]), ols.coef_), 1e-8)
    rep.check("linear: intercept", abs(ours["intercept"][0] - ols.intercept_), 1e-8)
    rep.check("linear: predictions", maxdiff(read_csv(f"{d}/linear_value.csv")[:, 0], ols.predict(zte)), 1e-8)
    blobs = load(f"{d}/blobs.csv")
    xb = matrix(blobs, ["x", "y"]).astype(np.float64)
    km = KMeans(n_clusters=4, n_init=10, random_state=0).fit(xb)
    ours = json.load(open(f"{d}/kmeans.json"))
    info = json.load(open(f"{d}/kmeans_info.json"))
    a = np.array(sorted(map(tuple, ours["centroids"])))
    b = np.array(sorted(map(tuple, km.cluster_centers_)))
    rep.check("kmeans: centroids vs scikit-learn KMeans", maxdiff(a, b), 1e-6)
    rep.check("kmeans: inertia (relative)", abs(info["inertia"] - km.inertia_) / km.inertia_, 1e-9)


def check(d):
    import xgboost as xgb
    rep = Report()
    check_xgb(d, rep, xgb, "bin", "binary:logistic", {}, "y_bin", 50)
    check_xgb(d, rep, xgb, "multi", "multi:softprob", {"num_class": 3}, "y_multi", 30)
    check_xgb(d, rep, xgb, "reg", "reg:squarederror", {}, "y_reg", 40)
    check_early_stopping(d, rep, xgb)
    check_linear(d, rep)
    print(f"{rep.passed} passed, {rep.failed} failed")
    return 0 if rep.failed == 0 else 1


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
