#!/usr/bin/env bash
# tests/oracles/test_metrics_sklearn.sh: Cairn's evaluation maths (src/train/metrics.c,
# significance.c, calibrate.c, fairness.c) against scikit-learn 1.2 and scipy 1.10 on
# seeded datasets with ties, weights (some zero), extreme probabilities, a tiny and a large
# set: every metric, cost thresholds, calibration curves, isotonic and Platt fits, DeLong
# (against an O(n^2) computation), McNemar (binomtest, chi2), fairness, bootstrap intervals
# (recomputed from Cairn's resamples, and against scipy.stats.bootstrap on the large set).
# tests/oracles/metrics_sklearn.py generates and checks (Debian's /usr/bin/python3); the C
# side is tests/unit/train/test_metrics_oracle.c, run with CAIRN_METRICS_ORACLE_DIR set.
# Env: CAIRN_TOP (the source tree), CAIRN_BUILD (the build tree).
set -euo pipefail
top=${CAIRN_TOP:?}; build=${CAIRN_BUILD:?}
bin=$build/tests/train_test_metrics_oracle
py=$top/tests/oracles/metrics_sklearn.py
/usr/bin/python3 -c 'import sklearn, scipy, numpy' 2>/dev/null ||
  { echo "scikit-learn or scipy is missing: apt-get install python3-sklearn (scripts/setup)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$py" gen "$tmp"
CAIRN_METRICS_ORACLE_DIR=$tmp "$bin" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
grep -q "PASSED.*1 test" "$tmp/log" || { cat "$tmp/log"; echo "the oracle dump did not run"; exit 1; }
/usr/bin/python3 "$py" check "$tmp"
