#!/usr/bin/env bash
# tests/oracles/test_cluster_sklearn.sh: Cairn's clustering metrics (src/train/metrics.c:
# silhouette per point, overall and on a seeded sample, Davies-Bouldin, Calinski-Harabasz,
# inertia) against scikit-learn 1.2 on seeded datasets: k-means on blobs (with the model's
# centres, against KMeans.inertia_), random points with arbitrary label values and a
# singleton, a grid full of duplicate points, overlapping clusters scored on a sample,
# clusters of identical points, and the undefined cases (one label; as many labels as
# points) where sklearn raises and Cairn gives NaN.
# tests/oracles/cluster_sklearn.py generates and checks (Debian's /usr/bin/python3); the C
# side is tests/unit/train/test_cluster_oracle.c, run with CAIRN_CLUSTER_ORACLE_DIR set.
# Env: CAIRN_TOP (the source tree), CAIRN_BUILD (the build tree).
set -euo pipefail
top=${CAIRN_TOP:?}; build=${CAIRN_BUILD:?}
bin=$build/tests/train_test_cluster_oracle
py=$top/tests/oracles/cluster_sklearn.py
/usr/bin/python3 -c 'import sklearn, numpy' 2>/dev/null ||
  { echo "scikit-learn is missing: apt-get install python3-sklearn (scripts/setup)"; exit 1; }
[ -x "$bin" ] || { echo "$bin is not built (make train_test_cluster_oracle)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$py" gen "$tmp"
CAIRN_CLUSTER_ORACLE_DIR=$tmp "$bin" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
grep -q "PASSED.*1 test" "$tmp/log" || { cat "$tmp/log"; echo "the oracle dump did not run"; exit 1; }
/usr/bin/python3 "$py" check "$tmp"
