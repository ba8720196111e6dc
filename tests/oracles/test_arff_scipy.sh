#!/usr/bin/env bash
# tests/oracles/test_arff_scipy.sh: Cairn's ARFF reader (src/table/arff.c) agrees cell by
# cell with scipy.io.arff.loadarff (Debian's /usr/bin/python3, package python3-scipy) on
# Weka's German credit data (/usr/share/doc/weka/examples/credit-g.arff, package weka, or
# its .gz), on every other example of that package that scipy can read (it refuses string
# attributes), and on generated files (tests/oracles/arff_scipy.py gen): each file goes
# through `cairn data convert X.arff X.jsonl` and arff_scipy.py compares the JSON Lines with
# scipy's arrays. A missing weka package is a failure, not a skip: the credit example
# depends on it (scripts/debian-packages.txt lists it).
# Env: CAIRN (the binary), CAIRN_TOP (the source tree).
set -euo pipefail
cairn=${CAIRN:?}; top=${CAIRN_TOP:?}
py=$top/tests/oracles/arff_scipy.py
examples=/usr/share/doc/weka/examples
/usr/bin/python3 -c 'import scipy.io.arff, numpy' 2>/dev/null ||
  { echo "FAIL: scipy is missing: apt-get install python3-scipy"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if [ -f "$examples/credit-g.arff" ]; then
  credit=$examples/credit-g.arff
elif [ -f "$examples/credit-g.arff.gz" ]; then
  credit=$tmp/credit-g.arff
  gzip -dc "$examples/credit-g.arff.gz" >"$credit"
else
  echo "FAIL: $examples/credit-g.arff is missing: install Debian's weka package" \
       "(apt-get install weka; scripts/debian-packages.txt lists it)"
  exit 1
fi

compare() { # ARFF: convert with Cairn, compare with scipy
  local arff=$1 out
  out=$tmp/$(basename "$arff" .arff).jsonl
  "$cairn" --quiet data convert "$arff" "$out" >"$tmp/log" 2>&1 ||
    { cat "$tmp/log"; echo "FAIL: cairn data convert $arff"; exit 1; }
  /usr/bin/python3 "$py" check "$arff" "$out"
}

compare "$credit"
for f in "$examples"/*.arff "$examples"/*.arff.gz; do
  [ -e "$f" ] || continue
  case $(basename "$f") in credit-g.arff*) continue ;; esac
  if [ "${f%.gz}" != "$f" ]; then
    [ -e "${f%.gz}" ] && continue
    gzip -dc "$f" >"$tmp/$(basename "${f%.gz}")"
    f=$tmp/$(basename "${f%.gz}")
  fi
  if /usr/bin/python3 "$py" skip-reason "$f"; then continue; fi
  compare "$f"
done

/usr/bin/python3 "$py" gen "$tmp"
for f in "$tmp"/gen_*.arff; do compare "$f"; done

# Cairn's own errors name the file, line, column and attribute.
sed 's/^\(.*\),67,none,own,2,skilled,1,yes,yes,good$/\1,6x7,none,own,2,skilled,1,yes,yes,good/' \
  "$credit" >"$tmp/bad.arff"
if "$cairn" --quiet data head "$tmp/bad.arff" >"$tmp/log" 2>&1; then
  echo "FAIL: a bad age was accepted"; exit 1
fi
grep -q "bad.arff:302:.*attribute 'age'.*found '6x7'" "$tmp/log" ||
  { cat "$tmp/log"; echo "FAIL: the error does not locate the bad age"; exit 1; }
echo "ok: a bad value is reported as $(head -1 "$tmp/log")"
