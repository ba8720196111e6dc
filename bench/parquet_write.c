/* bench/parquet_write.c: Cairn's side of the Parquet write benchmark (bench/w1_parquet_write.sh).
 *
 * Reads a Parquet file and writes it back as Parquet (ZSTD, the default), as DuckDB's
 * COPY (FROM 'in.parquet') TO 'out.parquet' (FORMAT parquet) does. Prints one JSON line:
 *   {"rows":..,"read_s":..,"write_s":..,"total_s":..,"bytes":..}
 */
#include <stdio.h>
#include <sys/stat.h>

#include "cairn/cairn.h"

static int fail(const cairn_error *err)
{
    char msg[1024];
    cairn_error_format(err, msg, sizeof msg);
    fprintf(stderr, "error: %s\n", msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_parquet_write IN.parquet OUT.parquet\n");
        return 1;
    }
    cairn_error err;
    cairn_error_clear(&err);
    cairn_table *t;
    int64_t t0 = cairn_monotonic_ns();
    if (cairn_table_read_file(argv[1], NULL, NULL, &t, &err)) return fail(&err);
    int64_t t1 = cairn_monotonic_ns();
    if (cairn_parquet_write_file(t, argv[2], NULL, &err)) return fail(&err);
    int64_t t2 = cairn_monotonic_ns();
    struct stat st;
    stat(argv[2], &st);
    printf("{\"rows\":%lld,\"read_s\":%.4f,\"write_s\":%.4f,\"total_s\":%.4f,\"bytes\":%lld}\n",
           (long long)cairn_table_num_rows(t), (double)(t1 - t0) / 1e9, (double)(t2 - t1) / 1e9,
           (double)(t2 - t0) / 1e9, (long long)st.st_size);
    cairn_table_free(t);
    return 0;
}
