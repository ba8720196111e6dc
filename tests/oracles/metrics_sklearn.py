#!/usr/bin/python3
"""tests/oracles/metrics_sklearn.py: reference computations for Cairn's evaluation maths
(src/train/metrics.c, significance.c, calibrate.c, fairness.c), run by
tests/oracles/test_metrics_sklearn.sh with Debian's python3 (scikit-learn 1.2, scipy 1.10).

  metrics_sklearn.py gen DIR     writes seeded datasets (ties, weights with zeros, extreme
                                 probabilities, a tiny set, a large set) and DIR/manifest.json
  metrics_sklearn.py check DIR   reads DIR/<name>.out.json written by the C side
                                 (tests/unit/train/test_metrics_oracle.c) and compares:

- every binary metric with sklearn (roc_auc_score, average_precision_score, log_loss with
  eps=1e-15, brier_score_loss, accuracy/precision/recall/f1 with zero_division=0, f1 macro
  and weighted, confusion_matrix), multiclass (accuracy, f1 macro/weighted, log_loss) and
  regression (RMSE, MAE, r2_score), all with sample weights where given: 1e-9;
- the cost-optimal threshold against an exhaustive search; cost weights by formula;
- calibration_curve (uniform and quantile; weighted bins by hand), ECE by formula;
- IsotonicRegression(out_of_bounds='clip') thresholds and predictions exactly (1e-12);
  Platt's (a, b) against a converged Newton (1e-7) and sklearn's _sigmoid_calibration
  (BFGS, looser: 2e-3, and Cairn's objective no worse);
- DeLong against a direct O(n^2) computation; McNemar against scipy's binomtest and chi2;
- fairness against a direct numpy computation of the documented definitions;
- the bootstrap: Cairn's resampled statistics are taken as given and the percentile,
  basic and BCa intervals recomputed from them with numpy's percentile and scipy's BCa
  formulas (acceleration from Python's own leave-one-out jackknife with sklearn): 1e-9; on
  the large set, Cairn's percentile and BCa intervals against scipy.stats.bootstrap's own
  (other resamples) within 10% of the interval width, and the standard errors within 10%;
- slices: each segment's estimate is sklearn's metric on that segment's rows.
"""
import json
import math
import os
import sys

import numpy as np
from scipy import stats
from scipy.special import ndtr, ndtri
from sklearn import metrics as skm
from sklearn.calibration import _sigmoid_calibration, calibration_curve
from sklearn.isotonic import IsotonicRegression

TOL = 1e-9
failures = []


def close(a, b, tol=TOL):
    # JSON null is Cairn's NaN.
    a = float("nan") if a is None else float(a)
    b = float("nan") if b is None else float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(b))


def expect(name, got, want, tol=TOL):
    if isinstance(want, (list, tuple, np.ndarray)):
        got = list(got) if got is not None else None
        want = list(np.asarray(want, dtype=float))
        if got is None or len(got) != len(want):
            failures.append(f"{name}: length {None if got is None else len(got)} != {len(want)}")
            return
        for i, (g, w) in enumerate(zip(got, want)):
            if not close(g, w, tol):
                failures.append(f"{name}[{i}]: cairn {g!r}, reference {w!r}")
                return
    elif not close(got, want, tol):
        failures.append(f"{name}: cairn {got!r}, reference {want!r}")


# ------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------

def binary_set(rng, n, *, ties, weighted, extreme=False, groups=(0, 1, 3)):
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-1.3 * x))
    y = (rng.uniform(size=n) < p).astype(float)
    p2 = 1 / (1 + np.exp(-(0.6 * x + rng.normal(size=n))))
    if ties:
        p = np.round(p, ties)
        p2 = np.round(p2, ties)
    if extreme:
        y = (rng.uniform(size=n) < 0.08 + 0.2 * p).astype(float)
        p[rng.uniform(size=n) < 0.05] = 0.0
        p[rng.uniform(size=n) < 0.05] = 1.0
        edges = rng.uniform(size=n) < 0.1  # exactly on uniform bin edges
        p[edges] = rng.integers(0, 11, size=edges.sum()) / 10.0
    else:
        dup = rng.uniform(size=n) < 0.1
        p[dup] = p[rng.integers(0, n, size=dup.sum())]
    w = rng.uniform(0, 3, size=n) if weighted else np.ones(n)
    if weighted:
        w[rng.uniform(size=n) < 0.05] = 0.0
    g = rng.choice(np.asarray(groups), size=n)
    return dict(y=y, p=p, p2=p2, w=w, g=g)


def write_csv(path, cols):
    names = list(cols)
    arrs = [np.asarray(cols[k]) for k in names]
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for i in range(len(arrs[0])):
            f.write(",".join(repr(float(a[i])) for a in arrs) + "\n")


def gen(d):
    rng = np.random.default_rng(20240601)
    binaries = [
        dict(name="ties", n=600, ties=2, weighted=False, costs=[0, 1, 4, 0], privileged=1,
             n_groups=4, n_bins=10, threshold=0.5, resamples=2000),
        dict(name="weighted", n=800, ties=0, weighted=True, costs=[-0.5, 2, 3, 0.25],
             privileged=0, n_groups=4, n_bins=8, threshold=0.4, resamples=2000),
        dict(name="extreme", n=400, ties=3, weighted=False, extreme=True, costs=[0, 1, 10, 0],
             privileged=3, n_groups=4, n_bins=10, threshold=0.5, resamples=2000),
        dict(name="small", n=40, ties=1, weighted=False, costs=[0, 1, 1, 0], privileged=0,
             n_groups=4, n_bins=4, threshold=0.5, resamples=1000),
        dict(name="large", n=3000, ties=3, weighted=False, costs=[0, 1, 2, 0], privileged=1,
             n_groups=4, n_bins=15, threshold=0.5, resamples=2999),
    ]
    for b in binaries:
        cols = binary_set(rng, b["n"], ties=b["ties"], weighted=b["weighted"],
                          extreme=b.get("extreme", False))
        write_csv(os.path.join(d, b["name"] + ".csv"), cols)
    multis = [dict(name="multi_w", n=500, k=4, weighted=True),
              dict(name="multi_ties", n=300, k=3, weighted=False)]
    for m in multis:
        n, k = m["n"], m["k"]
        logits = rng.normal(size=(n, k))
        if not m["weighted"]:
            logits = np.round(logits)  # equal maxima: first argmax
        P = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        y = np.array([rng.choice(k, p=P[i] * 0.5 + 0.5 / k) for i in range(n)], dtype=float)
        w = rng.uniform(0, 2, size=n) if m["weighted"] else np.ones(n)
        cols = {"y": y, "w": w}
        for c in range(k):
            cols[f"p{c}"] = P[:, c]
        write_csv(os.path.join(d, m["name"] + ".csv"), cols)
    regs = [dict(name="reg", n=400, weighted=True)]
    for r in regs:
        y = rng.normal(3, 2, size=r["n"])
        p = y + rng.normal(0, 1, size=r["n"])
        w = rng.uniform(0.1, 2, size=r["n"])
        write_csv(os.path.join(d, r["name"] + ".csv"), {"y": y, "p": p, "w": w})
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(dict(binary=binaries, multiclass=multis, regression=regs), f)


def read_csv(path):
    with open(path) as f:
        names = f.readline().strip().split(",")
        rows = np.array([[float(v) for v in line.split(",")] for line in f if line.strip()])
    return {k: rows[:, i] for i, k in enumerate(names)}


# ------------------------------------------------------------------------------------------
# References
# ------------------------------------------------------------------------------------------

def binary_metrics(y, p, w, t):
    yhat = (p >= t).astype(float)
    prob = bool(np.all((p >= 0) & (p <= 1)))
    r = {
        "roc_auc": skm.roc_auc_score(y, p, sample_weight=w),
        "average_precision": skm.average_precision_score(y, p, sample_weight=w),
        "log_loss": skm.log_loss(y, p, eps=1e-15, sample_weight=w, labels=[0, 1]) if prob else None,
        "brier": skm.brier_score_loss(y, p, sample_weight=w) if prob else None,
        "accuracy": skm.accuracy_score(y, yhat, sample_weight=w),
        "precision": skm.precision_score(y, yhat, sample_weight=w, zero_division=0),
        "recall": skm.recall_score(y, yhat, sample_weight=w, zero_division=0),
        "f1": skm.f1_score(y, yhat, sample_weight=w, zero_division=0),
        "f1_macro": skm.f1_score(y, yhat, sample_weight=w, average="macro", zero_division=0),
        "f1_weighted": skm.f1_score(y, yhat, sample_weight=w, average="weighted", zero_division=0),
    }
    return r


def platt_newton(s, y, w):
    P, N = w[y > 0].sum(), w[y <= 0].sum()
    t = np.where(y > 0, (P + 1) / (P + 2), 1 / (N + 2))
    a, b = 0.0, math.log((N + 1) / (P + 1))
    for _ in range(200):
        f = a * s + b
        q = np.exp(-np.logaddexp(0, f))  # 1 / (1 + e^f)
        g = np.array([np.sum(w * s * (t - q)), np.sum(w * (t - q))])
        c = w * q * (1 - q)
        H = np.array([[np.sum(c * s * s), np.sum(c * s)], [np.sum(c * s), np.sum(c)]])
        step = np.linalg.solve(H, -g)
        a, b = a + step[0], b + step[1]
        if np.max(np.abs(step)) < 1e-15:
            break
    return a, b, t


def platt_objective(a, b, s, t, w):
    f = a * s + b
    return float(np.sum(w * (np.logaddexp(0, f) - (1 - t) * f)))


def delong_direct(y, p1, p2):
    pos, neg = y == 1, y == 0
    out = []
    for p in (p1, p2):
        X, Y = p[pos][:, None], p[neg][None, :]
        psi = (X > Y) + 0.5 * (X == Y)
        out.append((psi.mean(1), psi.mean(0)))
    m, n = pos.sum(), neg.sum()
    v10 = np.array([o[0] for o in out])
    v01 = np.array([o[1] for o in out])
    S = np.cov(v10) / m + np.cov(v01) / n
    auc = v10.mean(1)
    z = (auc[0] - auc[1]) / math.sqrt(S[0, 0] + S[1, 1] - 2 * S[0, 1])
    return auc, S, z, 2 * stats.norm.sf(abs(z))


def group_rates(y, yhat, w):
    W, pos, neg = w.sum(), (w * y).sum(), (w * (1 - y)).sum()
    tp, fp = (w * y * yhat).sum(), (w * (1 - y) * yhat).sum()
    div = lambda a, b: a / b if b > 0 else float("nan")
    return dict(selection_rate=div((w * yhat).sum(), W), tpr=div(tp, pos), fpr=div(fp, neg),
                weight=W)


def spread(vals):
    v = [x for x in vals if not math.isnan(x)]
    if not v:
        return float("nan"), float("nan")
    return max(v) - min(v), (min(v) / max(v) if max(v) > 0 else float("nan"))


def auc_weighted(y, p, w):
    try:
        return skm.roc_auc_score(y, p, sample_weight=w)
    except ValueError:
        return float("nan")


def bca_from(dist, theta_hat, jack, alpha):
    dist = np.asarray([v for v in dist if v is not None and not math.isnan(v)])
    z0 = ndtri(((dist < theta_hat).sum() + (dist <= theta_hat).sum()) / (2 * len(dist)))
    jack = jack[~np.isnan(jack)]
    d = jack.mean() - jack
    den = (d ** 2).sum()
    a = (d ** 3).sum() / (6 * den ** 1.5) if den > 0 else 0.0
    za = ndtri(alpha)
    n1, n2 = z0 + za, z0 - za
    a1, a2 = ndtr(z0 + n1 / (1 - a * n1)), ndtr(z0 + n2 / (1 - a * n2))
    return np.percentile(dist, a1 * 100), np.percentile(dist, a2 * 100), z0, a


# ------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------

def check_binary(d, spec):
    name = spec["name"]
    data = read_csv(os.path.join(d, name + ".csv"))
    with open(os.path.join(d, name + ".out.json")) as f:
        out = json.load(f)
    y, p, p2, g = data["y"], data["p"], data["p2"], data["g"].astype(int)
    w = data["w"]
    t = spec["threshold"]
    ref = binary_metrics(y, p, w, t)
    for k, v in ref.items():
        expect(f"{name}: {k}", out["metrics"][k], v)
        expect(f"{name}: struct {k}", out["struct"].get(k, out["metrics"][k]), v)
    cm = skm.confusion_matrix(y, (p >= t).astype(float), sample_weight=w).ravel()
    expect(f"{name}: confusion", out["confusion"], cm)

    # Cost threshold: exhaustive search over "none" and every score.
    ctp, cfp, cfn, ctn = spec["costs"]

    def cost(th):
        yh = p >= th
        c = np.where(y == 1, np.where(yh, ctp, cfn), np.where(yh, cfp, ctn))
        return float((w * c).sum() / w.sum())
    best = min([cost(np.inf)] + [cost(s) for s in np.unique(p)])
    expect(f"{name}: min mean cost", out["cost"]["mean_cost"], best, 1e-12)
    expect(f"{name}: cost at cairn's threshold", cost(out["cost"]["threshold"]), best, 1e-12)
    rw = np.where(y == 1, cfn - ctp, cfp - ctn) * w
    expect(f"{name}: cost weights", out["cost_weights"], rw / rw.mean())

    # Calibration curves and ECE.
    nb = spec["n_bins"]
    for strategy in ("uniform", "quantile"):
        got = out["curve_" + strategy]
        if spec["weighted"]:
            edges = (np.linspace(0, 1, nb + 1) if strategy == "uniform"
                     else np.percentile(p, np.linspace(0, 1, nb + 1) * 100))
            ids = np.searchsorted(edges[1:-1], p)
            tot = np.bincount(ids, weights=w, minlength=nb)
            nz = tot > 0
            pt = np.bincount(ids, weights=w * y, minlength=nb)[nz] / tot[nz]
            pp = np.bincount(ids, weights=w * p, minlength=nb)[nz] / tot[nz]
            cnt = tot[nz]
        else:
            pt, pp = calibration_curve(y, p, n_bins=nb, strategy=strategy)
            edges = (np.linspace(0, 1, nb + 1) if strategy == "uniform"
                     else np.percentile(p, np.linspace(0, 1, nb + 1) * 100))
            cnt = np.bincount(np.searchsorted(edges[1:-1], p), minlength=nb)
            cnt = cnt[cnt > 0]
        expect(f"{name}: {strategy} prob_true", got["prob_true"], pt, 1e-12)
        expect(f"{name}: {strategy} prob_pred", got["prob_pred"], pp, 1e-12)
        expect(f"{name}: {strategy} count", got["count"], cnt, 1e-12)
    edges = np.linspace(0, 1, nb + 1)
    ids = np.searchsorted(edges[1:-1], p)
    gap = np.abs(np.bincount(ids, weights=w * y, minlength=nb) -
                 np.bincount(ids, weights=w * p, minlength=nb)).sum()
    expect(f"{name}: ece", out["ece"], gap / w.sum(), 1e-12)

    # Isotonic and Platt, calibrating the second model's scores.
    grid = np.array(out["grid"])
    ir = IsotonicRegression(out_of_bounds="clip").fit(p2, y, sample_weight=w)
    expect(f"{name}: isotonic x", out["isotonic"]["x"], ir.X_thresholds_, 1e-12)
    expect(f"{name}: isotonic y", out["isotonic"]["y"], ir.y_thresholds_, 1e-12)
    expect(f"{name}: isotonic predict", out["isotonic_apply"], ir.predict(grid), 1e-12)
    a, b, targets = platt_newton(p2, y, w)
    expect(f"{name}: platt a", out["platt"]["a"], a, 1e-7)
    expect(f"{name}: platt b", out["platt"]["b"], b, 1e-7)
    expect(f"{name}: platt apply", out["platt_apply"], 1 / (1 + np.exp(a * grid + b)), 1e-7)
    sa, sb = _sigmoid_calibration(p2, y, None if not spec["weighted"] else w)
    expect(f"{name}: platt a vs sklearn BFGS", out["platt"]["a"], sa, 2e-3)
    expect(f"{name}: platt b vs sklearn BFGS", out["platt"]["b"], sb, 2e-3)
    ours = platt_objective(out["platt"]["a"], out["platt"]["b"], p2, targets, w)
    theirs = platt_objective(sa, sb, p2, targets, w)
    if ours > theirs + 1e-9 * abs(theirs):
        failures.append(f"{name}: Platt objective {ours!r} worse than sklearn's {theirs!r}")

    # DeLong (unweighted by definition) and McNemar.
    auc, S, z, pv = delong_direct(y, p, p2)
    dl = out["delong"]
    expect(f"{name}: delong auc1", dl["auc1"], auc[0], 1e-12)
    expect(f"{name}: delong auc2", dl["auc2"], auc[1], 1e-12)
    expect(f"{name}: delong var1", dl["var1"], S[0, 0], 1e-10)
    expect(f"{name}: delong var2", dl["var2"], S[1, 1], 1e-10)
    expect(f"{name}: delong cov", dl["cov"], S[0, 1], 1e-10)
    expect(f"{name}: delong z", dl["z"], z, 1e-9)
    expect(f"{name}: delong p", dl["p_value"], pv, 1e-9)
    zq = ndtri(0.975)
    expect(f"{name}: delong ci low", out["delong_ci"]["ci_low"],
           max(0.0, auc[0] - zq * math.sqrt(S[0, 0])), 1e-9)
    ya, yb = (p >= 0.5).astype(float), (p2 >= 0.5).astype(float)
    bb = int(((ya == y) & (yb != y)).sum())
    cc = int(((ya != y) & (yb == y)).sum())
    mc = out["mcnemar"]
    expect(f"{name}: mcnemar b", mc["b"], bb, 0)
    expect(f"{name}: mcnemar c", mc["c"], cc, 0)
    if bb + cc > 0:
        stat = (abs(bb - cc) - 1) ** 2 / (bb + cc)
        expect(f"{name}: mcnemar statistic", mc["statistic"], stat, 1e-12)
        expect(f"{name}: mcnemar p_chi2", mc["p_chi2"], stats.chi2.sf(stat, 1), 1e-9)
        exact = stats.binomtest(min(bb, cc), bb + cc, 0.5).pvalue
        expect(f"{name}: mcnemar p_exact", mc["p_exact"], exact, 1e-9)
        expect(f"{name}: mcnemar p_value", mc["p_value"],
               exact if bb + cc < 25 else stats.chi2.sf(stat, 1), 1e-9)
        if mc["exact"] != (bb + cc < 25):
            failures.append(f"{name}: mcnemar exact flag {mc['exact']} for b + c = {bb + cc}")

    # Fairness, ŷ = p >= threshold.
    yhat = (p >= t).astype(float)
    k, priv = spec["n_groups"], spec["privileged"]
    rates = [group_rates(y[g == j], yhat[g == j], w[g == j]) for j in range(k)]
    fo = out["fairness"]
    for j in range(k):
        for key in ("selection_rate", "tpr", "fpr", "weight"):
            expect(f"{name}: group {j} {key}", fo["groups"][j][key], rates[j][key], 1e-12)
    sr_d, sr_r = spread([r["selection_rate"] for r in rates])
    tpr_d, _ = spread([r["tpr"] for r in rates])
    fpr_d, _ = spread([r["fpr"] for r in rates])
    expect(f"{name}: dp difference", fo["demographic_parity_difference"], sr_d, 1e-12)
    expect(f"{name}: dp ratio", fo["demographic_parity_ratio"], sr_r, 1e-12)
    expect(f"{name}: eo difference", fo["equal_opportunity_difference"], tpr_d, 1e-12)
    expect(f"{name}: eodds difference", fo["equalized_odds_difference"], max(tpr_d, fpr_d), 1e-12)
    u = group_rates(y[g != priv], yhat[g != priv], w[g != priv])
    pr = rates[priv]
    di = u["selection_rate"] / pr["selection_rate"] if pr["selection_rate"] > 0 else float("nan")
    expect(f"{name}: disparate impact", fo["disparate_impact"], di, 1e-12)
    expect(f"{name}: spd", fo["statistical_parity_difference"],
           u["selection_rate"] - pr["selection_rate"], 1e-12)
    expect(f"{name}: aif eod", fo["aif_equal_opportunity_difference"], u["tpr"] - pr["tpr"], 1e-12)
    expect(f"{name}: aod", fo["average_odds_difference"],
           ((u["fpr"] - pr["fpr"]) + (u["tpr"] - pr["tpr"])) / 2, 1e-12)
    if fo["disparate_impact_flag"] != (di < 0.8):
        failures.append(f"{name}: disparate impact flag {fo['disparate_impact_flag']} for {di}")

    check_bootstrap(name, spec, out, y, p, p2, w)
    # Slices: segment estimates are sklearn's metrics on the segment's rows.
    for j, seg in enumerate(out["slices"]):
        m = g == j
        expect(f"{name}: slice {j} rows", seg["rows"], m.sum(), 0)
        ref = auc_weighted(y[m], p[m], w[m]) if m.sum() else float("nan")
        expect(f"{name}: slice {j} roc_auc", seg["roc_auc"], ref)
        ref = skm.accuracy_score(y[m], (p[m] >= t).astype(float), sample_weight=w[m]) if w[m].sum() > 0 else float("nan")
        expect(f"{name}: slice {j} accuracy", seg["accuracy"], ref)


def check_bootstrap(name, spec, out, y, p, p2, w):
    bs = out["bootstrap"]
    dist = np.array([np.nan if v is None else v for v in bs["distribution"]])
    theta = skm.roc_auc_score(y, p, sample_weight=w)
    expect(f"{name}: bootstrap estimate", bs["estimate"], theta)
    ok = dist[~np.isnan(dist)]
    alpha = 0.05 / 2
    expect(f"{name}: percentile ci", bs["percentile"], np.percentile(ok, [alpha * 100, (1 - alpha) * 100]))
    lo, hi = np.percentile(ok, [alpha * 100, (1 - alpha) * 100])
    expect(f"{name}: basic ci", bs["basic"], [2 * theta - hi, 2 * theta - lo])
    expect(f"{name}: standard error", bs["standard_error"], np.std(ok, ddof=1))
    if spec["n"] <= 1000:
        keep = np.ones(len(y), bool)
        jack = []
        for i in range(len(y)):
            keep[i] = False
            jack.append(auc_weighted(y[keep], p[keep], w[keep]))
            keep[i] = True
        # z0 counts resamples <= the estimate, so it needs Cairn's estimate to the last bit
        # (resamples often equal it exactly); the estimate itself is compared above.
        blo, bhi, z0, a = bca_from(dist, bs["estimate"], np.array(jack), alpha)
        expect(f"{name}: bca z0", bs["z0"], z0, 1e-12)
        expect(f"{name}: bca acceleration", bs["acceleration"], a, 1e-8)
        expect(f"{name}: bca ci", bs["bca"], [blo, bhi])
    # Paired difference AUC(p) - AUC(p2), same resamples.
    pdist = np.array([np.nan if v is None else v for v in out["paired"]["distribution"]])
    pok = pdist[~np.isnan(pdist)]
    diff = theta - skm.roc_auc_score(y, p2, sample_weight=w)
    expect(f"{name}: paired estimate", out["paired"]["estimate"], diff)
    expect(f"{name}: paired percentile", out["paired"]["percentile"],
           np.percentile(pok, [alpha * 100, (1 - alpha) * 100]))
    pv = min(1.0, 2 * min((pok <= 0).mean(), (pok >= 0).mean()))
    expect(f"{name}: paired p", out["paired"]["p_value"], pv)
    if spec["name"] == "large":
        def auc_stat(yy, pp, axis=-1):
            r = stats.rankdata(pp, axis=axis)
            n1 = yy.sum(axis)
            n0 = yy.shape[axis] - n1
            return ((r * yy).sum(axis) - n1 * (n1 + 1) / 2) / (n1 * n0)
        for method in ("percentile", "BCa"):
            res = stats.bootstrap((y, p), auc_stat, paired=True, vectorized=True,
                                  n_resamples=spec["resamples"], method=method, batch=300,
                                  random_state=np.random.default_rng(7))
            ci = res.confidence_interval
            width = ci.high - ci.low
            got = bs["percentile" if method == "percentile" else "bca"]
            for label, g_, s_ in (("low", got[0], ci.low), ("high", got[1], ci.high)):
                if abs(g_ - s_) > 0.1 * width:
                    failures.append(f"{name}: {method} {label} {g_!r} vs scipy {s_!r} "
                                    f"(width {width!r})")
            if abs(bs["standard_error"] / res.standard_error - 1) > 0.1:
                failures.append(f"{name}: bootstrap SE {bs['standard_error']!r} vs scipy "
                                f"{res.standard_error!r}")


def check_multi(d, spec):
    name = spec["name"]
    data = read_csv(os.path.join(d, name + ".csv"))
    with open(os.path.join(d, name + ".out.json")) as f:
        out = json.load(f)
    k = spec["k"]
    y, w = data["y"], data["w"]
    P = np.stack([data[f"p{c}"] for c in range(k)], 1)
    yhat = P.argmax(1)
    ref = {
        "accuracy": skm.accuracy_score(y, yhat, sample_weight=w),
        "f1_macro": skm.f1_score(y, yhat, average="macro", sample_weight=w, zero_division=0),
        "f1_weighted": skm.f1_score(y, yhat, average="weighted", sample_weight=w, zero_division=0),
        "log_loss": skm.log_loss(y, P, eps=1e-15, sample_weight=w, labels=list(range(k))),
    }
    for key, v in ref.items():
        expect(f"{name}: {key}", out["metrics"][key], v)
        expect(f"{name}: struct {key}", out["struct"][key], v)


def check_regression(d, spec):
    name = spec["name"]
    data = read_csv(os.path.join(d, name + ".csv"))
    with open(os.path.join(d, name + ".out.json")) as f:
        out = json.load(f)
    y, p, w = data["y"], data["p"], data["w"]
    ref = {"rmse": math.sqrt(skm.mean_squared_error(y, p, sample_weight=w)),
           "mae": skm.mean_absolute_error(y, p, sample_weight=w),
           "r2": skm.r2_score(y, p, sample_weight=w)}
    for key, v in ref.items():
        expect(f"{name}: {key}", out["metrics"][key], v)


def check(d):
    with open(os.path.join(d, "manifest.json")) as f:
        man = json.load(f)
    for spec in man["binary"]:
        check_binary(d, spec)
    for spec in man["multiclass"]:
        check_multi(d, spec)
    for spec in man["regression"]:
        check_regression(d, spec)
    if failures:
        print(f"{len(failures)} mismatches:")
        for line in failures[:60]:
            print("  " + line)
        sys.exit(1)
    print(f"metrics oracle: all comparisons passed ({len(man['binary'])} binary, "
          f"{len(man['multiclass'])} multiclass, {len(man['regression'])} regression sets)")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        sys.exit("usage: metrics_sklearn.py gen|check DIR")
    gen(sys.argv[2]) if sys.argv[1] == "gen" else check(sys.argv[2])
