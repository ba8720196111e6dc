#!/usr/bin/env bash
# tests/oracles/test_encoder_sklearn.sh: Cairn's fitted encoders (src/feature/encoder.c)
# agree with scikit-learn and NumPy on generated data with nulls, duplicates, unseen and
# non-ASCII categories: RobustScaler, OneHotEncoder(handle_unknown='ignore'),
# SimpleImputer(strategy='median') and the target encoder's full-data smoothing formula
# (tests/oracles/test_encoder_sklearn.py, run by Debian's /usr/bin/python3 with the
# python3-sklearn package). The C side is test_oracle_dump in
# tests/unit/feature/test_encoder.c, which runs alone when CAIRN_ENCODER_ORACLE_DIR is set.
# Env: CAIRN_TOP (the source tree), CAIRN_BUILD (the build tree).
set -euo pipefail
top=${CAIRN_TOP:?}; build=${CAIRN_BUILD:?}
bin=$build/tests/feature_test_encoder
py=$top/tests/oracles/test_encoder_sklearn.py
/usr/bin/python3 -c 'import sklearn, numpy' 2>/dev/null ||
  { echo "scikit-learn is missing: apt-get install python3-sklearn (scripts/setup)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$py" gen "$tmp"
for m in 20 0.5; do
  CAIRN_ENCODER_ORACLE_DIR=$tmp CAIRN_ENCODER_ORACLE_M=$m "$bin" >"$tmp/log" 2>&1 ||
    { cat "$tmp/log"; exit 1; }
  test -s "$tmp/out.csv" || { cat "$tmp/log"; echo "no output from $bin"; exit 1; }
  /usr/bin/python3 "$py" check "$tmp" "$m"
  rm -f "$tmp/out.csv"
done
