#!/usr/bin/env bash
# tests/oracles/test_stability_scipy.sh: cairn_importance_stability_of (src/train/stability.c)
# against scipy 1.10 on 310 seeded random pairs of importance lists: Spearman
# (scipy.stats.spearmanr) and Kendall's tau-b (scipy.stats.kendalltau) within 1e-12, the
# matched and unmatched counts and the top-k overlap exactly. The cases have heavy ties, NaN
# entries, infinities, features on one side only, disjoint and constant lists, and lists of up
# to 20,000 features. tests/oracles/stability_scipy.py generates and checks (Debian's
# /usr/bin/python3); the C side is tests/unit/train/test_stability_oracle.c, run with
# CAIRN_STABILITY_ORACLE_DIR set. Env: CAIRN_TOP (the source tree), CAIRN_BUILD (the build
# tree).
set -euo pipefail
top=${CAIRN_TOP:?}; build=${CAIRN_BUILD:?}
bin=$build/tests/train_test_stability_oracle
py=$top/tests/oracles/stability_scipy.py
/usr/bin/python3 -c 'import scipy, numpy' 2>/dev/null ||
  { echo "scipy is missing: apt-get install python3-scipy (scripts/setup)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$py" gen "$tmp"
CAIRN_STABILITY_ORACLE_DIR=$tmp "$bin" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
grep -q "PASSED.*1 test" "$tmp/log" || { cat "$tmp/log"; echo "the oracle dump did not run"; exit 1; }
/usr/bin/python3 "$py" check "$tmp"
