"""bench/report.py: medians, ratio and peak memory for a scan benchmark whose runs left
c_N / d_N (JSON from bench_scan and duckdb_query.mjs) and c_mem_N / d_mem_N (/usr/bin/time %M)
in a directory. Exits 1 when the two sides' results disagree.
Usage: report.py TITLE DIR RUNS THREADS"""
import json
import statistics
import sys

title, tmp, runs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = [json.load(open(f"{tmp}/c_{i}")) for i in range(1, runs + 1)]
d = [json.load(open(f"{tmp}/d_{i}")) for i in range(1, runs + 1)]
mem = lambda p: statistics.median(int(open(f"{tmp}/{p}_mem_{i}").read().split()[-1]) for i in range(1, runs + 1)) / 1024
r = d[0]["rows"][0]
same = (c[0]["rows"] == int(r["n"]) and c[0]["sum_delay"] == int(r["sd"])
        and c[0]["sum_distance"] == int(r["sdist"]) and c[0]["origins"] == int(r["o"]))
ct = statistics.median(x["total_s"] for x in c)
dt = statistics.median(x["total_s"] for x in d)
print(f"{title}: {runs} runs each, {threads} threads")
print(f"  results agree: {same} (rows {c[0]['rows']}, sum(delay) {c[0]['sum_delay']}, "
      f"sum(distance) {c[0]['sum_distance']}, distinct origins {c[0]['origins']})")
print(f"  cairn   median {ct:.3f} s (read into columns {statistics.median(x['read_s'] for x in c):.3f} s), peak RSS {mem('c'):.0f} MiB")
print(f"  duckdb  median {dt:.3f} s (query time inside Node), peak RSS {mem('d'):.0f} MiB (includes Node)")
print(f"  ratio cairn/duckdb: {ct/dt:.2f} (target <= 1.0)")
sys.exit(0 if same else 1)
