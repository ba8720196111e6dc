/* tests/fuzz/fuzz_util.h: what the text-format fuzz targets (fuzz_csv.c, fuzz_jsonl.c) share
 * to compare a parallel read with a sequential one: a bad-row log and a table dump. */
#ifndef CAIRN_FUZZ_UTIL_H
#define CAIRN_FUZZ_UTIL_H

#include <stdlib.h>

#include "cairn/cairn.h"

/* A cairn_bad_row_fn appending each bad row (error, row, offset, raw text) to the cairn_buf
 * given as ud. */
static inline bool fuzz_log_bad(void *ud, const cairn_error *err, const char *raw,
                                size_t raw_len)
{
    cairn_buf *log = ud;
    char msg[1024];
    cairn_error_format(err, msg, sizeof msg);
    cairn_buf_printf(log, "%s|%lld|%lld|", msg, (long long)err->row, (long long)err->offset);
    cairn_buf_append(log, raw, raw_len);
    cairn_buf_putc(log, '\n');
    return true;
}

/* The table's schema line and rows as JSON Lines ("" when t is NULL). */
static inline void fuzz_dump(const cairn_table *t, cairn_buf *out)
{
    cairn_error e;
    if (!t) return;
    for (size_t c = 0; c < cairn_table_num_columns(t); c++) {
        const cairn_column *col = cairn_table_column(t, c);
        cairn_buf_printf(out, "%s:%s:%d,", col->name, cairn_type_name(col->type), col->nullable);
    }
    cairn_buf_putc(out, '\n');
    if (cairn_jsonl_write(t, NULL, out, &e) != 0) abort();
}

#endif
