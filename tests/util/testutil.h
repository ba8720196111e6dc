/* tests/util/testutil.h: helpers shared by the cmocka unit tests.
 *
 * Include after <cmocka.h>'s prerequisites; every test file starts with
 *   #include "testutil.h"
 * which brings in stdarg/stddef/setjmp, cmocka and cairn.h.
 */
#ifndef CAIRN_TESTUTIL_H
#define CAIRN_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cairn/cairn.h"

/* A fresh empty directory under $TMPDIR (or /tmp), removed by cairn_test_rmtree. The
 * returned path is static storage: copy it if you need two. */
const char *cairn_test_tmpdir(const char *tag);
/* rm -rf path (refuses anything outside the temporary directory). */
void cairn_test_rmtree(const char *path);
/* Writes a whole file (not atomic; for fixtures). */
void cairn_test_write_file(const char *path, const char *data, size_t len);
/* Table fixtures. cairn_test_add adds a nullable column; cairn_test_put_str appends s, or a
 * null when s is NULL. Each fails the test on error. */
cairn_table *cairn_test_table(void);
cairn_column *cairn_test_add(cairn_table *t, const char *name, cairn_type type);
void cairn_test_put_str(cairn_column *c, const char *s);
/* The text of one cell as cairn_value_format writes it ("NULL" for null); the result lives
 * in one of four rotating static buffers, so up to four can be compared at once. */
const char *cairn_test_cell(const cairn_table *t, const char *column, int64_t row);
cairn_type cairn_test_col_type(const cairn_table *t, const char *column);
/* Fails unless e has this code, line, column and field and its message contains part. */
void cairn_test_assert_error(const cairn_error *e, int code, int64_t line, int64_t column,
                             const char *field, const char *message_part);

/* Runs a catalog query that returns one integer row and returns the integer. */
int64_t cairn_test_query_int(cairn_catalog *catalog, const char *sql);

/* Fails the test with the formatted error when rc != 0. */
#define CAIRN_ASSERT_OK(rc, err)                                                               \
    do {                                                                                       \
        int rc_ = (rc);                                                                        \
        if (rc_ != 0) {                                                                        \
            char msg_[1024];                                                                   \
            cairn_error_format((err), msg_, sizeof msg_);                                      \
            fail_msg("%s failed: %s: %s", #rc, cairn_strerror(rc_), msg_);                     \
        }                                                                                      \
    } while (0)

#endif
