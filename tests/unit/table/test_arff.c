#include "testutil.h"

/* tests/unit/table/test_arff.c: the ARFF reader and writer (src/table/arff.c): header
 * keywords in any case, comments, quoting and escapes, every attribute type, missing
 * values, integer detection (and widening), nominal validation, dates and their formats,
 * sparse rows, CRLF, an empty data section, errors with line, character column and
 * attribute, bad-row callbacks, explicit fields, max_rows, the parallel path against the
 * sequential one, allocation failures, dispatch by extension, the writer's round trip, and
 * every example file of Debian's weka package when it is installed. */

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "table/convert.h"
#include "table/table_internal.h"

typedef struct bad_list {
    int count;
    cairn_error errs[32];
    char raws[32][256];
} bad_list;

static bool collect(void *ud, const cairn_error *err, const char *raw, size_t raw_len)
{
    bad_list *b = ud;
    if (b->count < 32) {
        b->errs[b->count] = *err;
        size_t n = raw_len < 255 ? raw_len : 255;
        memcpy(b->raws[b->count], raw, n);
        b->raws[b->count][n] = '\0';
    }
    b->count++;
    return true;
}

static cairn_table *read_ok(const char *text, const cairn_read_options *opts)
{
    cairn_table *t = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn__arff_read(text, strlen(text), "t.arff", opts, &t, &err), &err);
    return t;
}

static int read_err(const char *text, const cairn_read_options *opts, cairn_error *err)
{
    cairn_table *t = NULL;
    cairn_error_clear(err);
    int rc = cairn__arff_read(text, strlen(text), "t.arff", opts, &t, err);
    assert_int_not_equal(rc, 0);
    assert_null(t);
    return rc;
}

static const char *formatted(const cairn_error *e)
{
    static char msg[1024];
    cairn_error_format(e, msg, sizeof msg);
    return msg;
}

static void test_types_and_values(void **state)
{
    (void)state;
    cairn_table *t = read_ok("% a comment before the header\n"
                             "@RELATION weather\n"
                             "\n"
                             "@Attribute outlook {sunny, overcast, 'light rain'}\n"
                             "@attribute temperature REAL\n"
                             "@attribute 'humidity %' numeric % the name holds a percent sign\n"
                             "@attribute count integer\n"
                             "@attribute note string\n"
                             "@attribute when date\n"
                             "@attribute day DATE \"yyyy-MM-dd\"\n"
                             "@attribute play{yes,no}\n"
                             "@DATA\n"
                             "sunny,85,85.5,3,'hot day',2001-04-03T12:12:12,2001-04-03,no\n"
                             "% a comment between rows\n"
                             "'light rain', -1.5e2 , ?, ?, ?, ?, ?, yes\n"
                             "overcast,?,0,7,\"\",'1999-12-31T23:59:59','2000-02-29',yes % c\n",
                             NULL);
    assert_int_equal(cairn_table_num_rows(t), 3);
    const char *order[] = {"outlook", "temperature", "humidity %", "count",
                           "note",    "when",        "day",        "play"};
    assert_int_equal(cairn_table_num_columns(t), 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(cairn_table_column(t, i)->name, order[i]);
    assert_int_equal(cairn_test_col_type(t, "outlook"), CAIRN_TYPE_STRING);
    assert_int_equal(cairn_test_col_type(t, "temperature"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(t, "humidity %"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(t, "count"), CAIRN_TYPE_INT64);
    assert_int_equal(cairn_test_col_type(t, "note"), CAIRN_TYPE_STRING);
    assert_int_equal(cairn_test_col_type(t, "when"), CAIRN_TYPE_TIMESTAMP);
    assert_int_equal(cairn_test_col_type(t, "day"), CAIRN_TYPE_TIMESTAMP);
    assert_string_equal(cairn_test_cell(t, "outlook", 1), "light rain");
    assert_string_equal(cairn_test_cell(t, "temperature", 0), "85.0");
    assert_string_equal(cairn_test_cell(t, "temperature", 1), "-150.0");
    assert_string_equal(cairn_test_cell(t, "temperature", 2), "NULL");
    assert_string_equal(cairn_test_cell(t, "humidity %", 0), "85.5");
    assert_string_equal(cairn_test_cell(t, "count", 2), "7");
    assert_string_equal(cairn_test_cell(t, "note", 0), "hot day");
    assert_string_equal(cairn_test_cell(t, "note", 1), "NULL");
    assert_string_equal(cairn_test_cell(t, "note", 2), ""); /* quoted empty: not missing */
    assert_string_equal(cairn_test_cell(t, "when", 0), "2001-04-03T12:12:12Z");
    assert_string_equal(cairn_test_cell(t, "when", 2), "1999-12-31T23:59:59Z");
    assert_string_equal(cairn_test_cell(t, "day", 2), "2000-02-29T00:00:00Z");
    assert_string_equal(cairn_test_cell(t, "play", 2), "yes");
    cairn_table_free(t);
}

static void test_integer_detection(void **state)
{
    (void)state;
    cairn_table *t = read_ok("@relation r\n"
                             "@attribute whole integer\n"
                             "@attribute mixed integer\n"
                             "@attribute num numeric\n"
                             "@attribute big integer\n"
                             "@data\n"
                             "1,1,1,9223372036854775807\n"
                             "3.0,2.5,2,-9223372036854775808\n"
                             "1e3,?,3,0\n"
                             "-0,-7,4,12\n",
                             NULL);
    assert_int_equal(cairn_test_col_type(t, "whole"), CAIRN_TYPE_INT64);
    assert_int_equal(cairn_test_col_type(t, "mixed"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(t, "num"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(t, "big"), CAIRN_TYPE_INT64);
    assert_string_equal(cairn_test_cell(t, "whole", 1), "3");
    assert_string_equal(cairn_test_cell(t, "whole", 2), "1000");
    assert_string_equal(cairn_test_cell(t, "whole", 3), "0");
    assert_string_equal(cairn_test_cell(t, "mixed", 0), "1.0");
    assert_string_equal(cairn_test_cell(t, "mixed", 1), "2.5");
    assert_string_equal(cairn_test_cell(t, "mixed", 2), "NULL");
    assert_string_equal(cairn_test_cell(t, "big", 0), "9223372036854775807");
    assert_string_equal(cairn_test_cell(t, "big", 1), "-9223372036854775808");
    cairn_table_free(t);

    /* past int64: float64 */
    t = read_ok("@relation r\n@attribute n integer\n@data\n1\n99999999999999999999\n", NULL);
    assert_int_equal(cairn_test_col_type(t, "n"), CAIRN_TYPE_FLOAT64);
    assert_string_equal(cairn_test_cell(t, "n", 1), "1e+20");
    cairn_table_free(t);
}

static void test_quoting_and_escapes(void **state)
{
    (void)state;
    cairn_table *t =
        read_ok("@relation 'my relation'\n"
                "@attribute \"a \\\"quoted\\\" name\" string\n"
                "@attribute 'it\\'s' {'a,b', \"c'd\", plain value, '?', '\\u00e9t\\u00e9'}\n"
                "@data\n"
                "'line\\nbreak\\ttab\\\\ back % not a comment', 'a,b'\n"
                "\"it's\", \"c'd\"\n"
                "'\\q\\%', plain value\n"
                "'?', '?'\n"
                "'x', '\\u00e9t\\u00e9'\n"
                "'x', été\n",
                NULL);
    assert_string_equal(cairn_table_column(t, 0)->name, "a \"quoted\" name");
    assert_string_equal(cairn_table_column(t, 1)->name, "it's");
    assert_int_equal(cairn_table_num_rows(t), 6);
    assert_string_equal(cairn_test_cell(t, "a \"quoted\" name", 0),
                        "line\nbreak\ttab\\ back % not a comment");
    assert_string_equal(cairn_test_cell(t, "it's", 0), "a,b");
    assert_string_equal(cairn_test_cell(t, "a \"quoted\" name", 1), "it's");
    assert_string_equal(cairn_test_cell(t, "it's", 1), "c'd");
    assert_string_equal(cairn_test_cell(t, "a \"quoted\" name", 2), "q%");
    assert_string_equal(cairn_test_cell(t, "it's", 2), "plain value");
    assert_string_equal(cairn_test_cell(t, "a \"quoted\" name", 3), "?"); /* quoted: a value */
    assert_string_equal(cairn_test_cell(t, "it's", 3), "?");
    assert_string_equal(cairn_test_cell(t, "it's", 4), "\xc3\xa9t\xc3\xa9");
    assert_string_equal(cairn_test_cell(t, "it's", 5), "\xc3\xa9t\xc3\xa9");
    cairn_table_free(t);
}

static void test_crlf_bom_blank_and_empty_data(void **state)
{
    (void)state;
    cairn_table *t = read_ok("\xEF\xBB\xBF@relation r\r\n"
                             "\r\n"
                             "@attribute a numeric\r\n"
                             "@attribute b {x,y}\r\n"
                             "@data\r\n"
                             "\r\n"
                             "  \t\r\n"
                             "1,x\r\n"
                             "%comment\r\n"
                             "2,y",
                             NULL);
    assert_int_equal(cairn_table_num_rows(t), 2);
    assert_string_equal(cairn_test_cell(t, "b", 0), "x");
    assert_string_equal(cairn_test_cell(t, "b", 1), "y");
    assert_string_equal(cairn_test_cell(t, "a", 1), "2.0");
    cairn_table_free(t);

    t = read_ok("@relation r\n@attribute a integer\n@attribute s string\n@attribute d date\n"
                "@data\n% nothing here\n",
                NULL);
    assert_int_equal(cairn_table_num_rows(t), 0);
    assert_int_equal(cairn_table_num_columns(t), 3);
    assert_int_equal(cairn_test_col_type(t, "a"), CAIRN_TYPE_INT64);
    assert_int_equal(cairn_test_col_type(t, "s"), CAIRN_TYPE_STRING);
    assert_int_equal(cairn_test_col_type(t, "d"), CAIRN_TYPE_TIMESTAMP);
    cairn_table_free(t);

    t = read_ok("@relation r\n@attribute a integer\n@data", NULL); /* no newline after @data */
    assert_int_equal(cairn_table_num_rows(t), 0);
    cairn_table_free(t);
}

static void test_nominal_validation(void **state)
{
    (void)state;
    cairn_error e;
    const char *text = "@relation r\n"
                       "@attribute id numeric\n"
                       "@attribute class {good, bad, 'so so'}\n"
                       "@data\n"
                       "1,good\n"
                       "2, Good\n";
    assert_int_equal(read_err(text, NULL, &e), CAIRN_EPARSE);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 4, "class", "nominal attribute 'class'");
    assert_string_equal(e.expected, "one of {good, bad, 'so so'}");
    assert_string_equal(e.found, "'Good'");
    assert_int_equal(e.row, 1);
    assert_non_null(strstr(formatted(&e), "t.arff:6:4: "));

    /* a long list is cut short in the message, at a character boundary */
    cairn_buf b;
    cairn_buf_init(&b, 0);
    cairn_buf_puts(&b, "@relation r\n@attribute c {");
    for (int i = 0; i < 60; i++)
        cairn_buf_printf(&b, "%s\xc3\xa9value%d", i ? "," : "", i);
    cairn_buf_puts(&b, "}\n@data\n\xc3\xa9value7\n\xc3\xa9value59\nvalue\n");
    read_err(b.data, NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 1, "c", "bad value");
    assert_non_null(strstr(e.expected, "...}"));
    assert_true(cairn__utf8_valid(e.expected, strlen(e.expected), NULL));
    cairn_buf_release(&b);
}

static void test_data_errors_located(void **state)
{
    (void)state;
    cairn_error e;
    const char *head = "@relation credit\n"
                       "@attribute age numeric\n"
                       "@attribute name string\n"
                       "@attribute when date 'yyyy-MM-dd'\n"
                       "@data\n";
    char text[1024];
#define ROW(r) (snprintf(text, sizeof text, "%s1,a,2001-01-01\n%s\n", head, r), text)
    read_err(ROW("abc,x,2001-01-01"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 7, 1, "age", "numeric attribute 'age'");
    assert_string_equal(e.expected, "a number");
    assert_string_equal(e.found, "'abc'");
    assert_non_null(strstr(formatted(&e), "t.arff:7:1: bad value for numeric attribute 'age'"));

    read_err(ROW("12,\xc3\xa9t\xc3\xa9,2001-02-30"), NULL, &e); /* columns count characters */
    cairn_test_assert_error(&e, CAIRN_EPARSE, 7, 8, "when", "date attribute 'when'");
    assert_string_equal(e.expected, "a date as yyyy-MM-dd");

    read_err(ROW("12,x"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 7, 1, "", "wrong number of values");
    assert_string_equal(e.found, "2");
    read_err(ROW("12,x,2001-01-01,4"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 7, 1, "", "wrong number of values");
    assert_string_equal(e.found, "4");
    read_err(ROW("12,'x,2001-01-01"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 7, 4, "", "unterminated quoted value");
    read_err(ROW("12,'x' y,2001-01-01"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 7, 8, "", "expected ','");
    read_err(ROW("12,,2001-01-01"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 7, 4, "", "expected a value");
    read_err(ROW("12,x,2001-01-01,{3}"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EUNSUPPORTED, 7, 17, "", "instance weights");
    read_err(ROW("1e999,x,2001-01-01"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_ERANGE, 7, 1, "age", "out of range for float64");
    read_err(ROW("1,\xff,2001-01-01"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 7, 3, "name", "not valid UTF-8");
#undef ROW
}

static void test_header_errors(void **state)
{
    (void)state;
    cairn_error e;
    read_err("a,b\n1,2\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 1, "", "expected @relation");
    read_err("@attribute a numeric\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 1, "", "expected @relation before");
    read_err("@relation r\n@attribute a numeric\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 0, "", "no @data section");
    read_err("", NULL, &e);
    assert_non_null(strstr(e.message, "not an ARFF file"));
    read_err("@relation r\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 1, "", "no @attribute before @data");
    read_err("@relation r\n@attribute a numeric\n@attribute a string\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 3, 12, "", "declared twice");
    read_err("@relation r\n@attribute a numbers\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 14, "a", "unknown type");
    assert_string_equal(e.found, "'numbers'");
    read_err("@relation r\n@attribute a\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 13, "a", "has no type");
    read_err("@relation r\n@attribute a {x, y\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 14, "a", "no closing '}'");
    read_err("@relation r\n@attribute a {}\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 15, "a", "has no values");
    read_err("@relation r\n@attribute a {x,y,x}\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 19, "a", "lists the value 'x' twice");
    read_err("@relation r\n@attribute a numeric {2}\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EUNSUPPORTED, 2, 22, "a", "attribute weights");
    read_err("@relation r\n@attribute bag relational\n@end bag\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EUNSUPPORTED, 2, 16, "bag", "relational");
    read_err("@relation r\n@attribute d date \"dd-MMM-yyyy\"\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EUNSUPPORTED, 2, 23, "d", "month names");
    read_err("@relation r\n@attribute d date yyyy-MM-dd'T'HH:mm:ssZ\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EUNSUPPORTED, 2, 40, "d", "not supported");
    assert_non_null(strstr(e.message, "'Z'"));
    read_err("@relation r\n@attribute d date 'yy-MM-dd'\n@data\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EUNSUPPORTED, 2, 20, "d", "four-digit years");
    read_err("@relation r\n@relation s\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 1, "", "second @relation");
    read_err("@relation r\n@attribute a numeric\n@frobnicate\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 3, 1, "", "unknown keyword '@frobnicate'");
    read_err("@relation r\n@attribute 'a numeric\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 12, "", "unterminated quoted text");
    read_err("@relation r\n@attribute a numeric\n@data extra\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 3, 7, "", "after @data");
}

static void test_dates(void **state)
{
    (void)state;
    cairn_table *t =
        read_ok("@relation r\n"
                "@attribute a date \"yyyy-MM-dd HH:mm:ss\"\n"
                "@attribute b date yyyyMMdd\n"
                "@attribute c date 'd/M/yyyy'\n"
                "@attribute d date \"yyyy-MM-dd'T'HH:mm:ss.SSS\"\n"
                "@attribute e date \"HH'h'mm\"\n"
                "@data\n"
                "'2001-04-03 12:12:12',20010403,3/4/2001,2001-04-03T12:12:12.250,07h05\n"
                "'1969-12-31 23:59:59',19000101,31/12/1999,?,23h59\n",
                NULL);
    assert_string_equal(cairn_test_cell(t, "a", 0), "2001-04-03T12:12:12Z");
    assert_string_equal(cairn_test_cell(t, "a", 1), "1969-12-31T23:59:59Z");
    assert_string_equal(cairn_test_cell(t, "b", 0), "2001-04-03T00:00:00Z");
    assert_string_equal(cairn_test_cell(t, "b", 1), "1900-01-01T00:00:00Z");
    assert_string_equal(cairn_test_cell(t, "c", 0), "2001-04-03T00:00:00Z");
    assert_string_equal(cairn_test_cell(t, "c", 1), "1999-12-31T00:00:00Z");
    assert_string_equal(cairn_test_cell(t, "d", 0), "2001-04-03T12:12:12.250000Z");
    assert_string_equal(cairn_test_cell(t, "d", 1), "NULL");
    assert_string_equal(cairn_test_cell(t, "e", 0), "1970-01-01T07:05:00Z");
    cairn_table_free(t);

    cairn_error e;
    const char *bad[] = {"2001-4-3T00:00:00x", "2001-02-29T00:00:00", "2001-01-01T24:00:00",
                         "2001-01-01",         "01-01-2001T00:00:00", "2001-01-01T00:60:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "@relation r\n@attribute d date\n@data\n'%s'\n", bad[i]);
        read_err(text, NULL, &e);
        cairn_test_assert_error(&e, CAIRN_EPARSE, 4, 1, "d", "date attribute 'd'");
        assert_string_equal(e.expected, "a date as yyyy-MM-dd'T'HH:mm:ss");
    }
    /* Java's lenient single digits are accepted where a literal follows */
    t = read_ok("@relation r\n@attribute d date\n@data\n2001-4-3T1:2:3\n", NULL);
    assert_string_equal(cairn_test_cell(t, "d", 0), "2001-04-03T01:02:03Z");
    cairn_table_free(t);
}

static void test_sparse(void **state)
{
    (void)state;
    cairn_table *t = read_ok("@relation r\n"
                             "@attribute n numeric\n"
                             "@attribute i integer\n"
                             "@attribute c {first, second}\n"
                             "@attribute d date\n"
                             "@attribute s string\n"
                             "@data\n"
                             "{0 2.5, 2 second, 4 'hi there'}\n"
                             "  { 4 x }  % a comment\n"
                             "{0 ?, 1 7, 3 '2001-01-01T00:00:00', 4 ?}\n"
                             "1,2,first,?,dense\n",
                             NULL);
    assert_int_equal(cairn_table_num_rows(t), 4);
    assert_string_equal(cairn_test_cell(t, "n", 0), "2.5");
    assert_string_equal(cairn_test_cell(t, "i", 0), "0");
    assert_string_equal(cairn_test_cell(t, "c", 0), "second");
    assert_string_equal(cairn_test_cell(t, "d", 0), "1970-01-01T00:00:00Z");
    assert_string_equal(cairn_test_cell(t, "s", 0), "hi there");
    assert_string_equal(cairn_test_cell(t, "n", 1), "0.0");
    assert_string_equal(cairn_test_cell(t, "c", 1), "first");
    assert_string_equal(cairn_test_cell(t, "n", 2), "NULL");
    assert_string_equal(cairn_test_cell(t, "i", 2), "7");
    assert_string_equal(cairn_test_cell(t, "d", 2), "2001-01-01T00:00:00Z");
    assert_string_equal(cairn_test_cell(t, "s", 2), "NULL");
    assert_string_equal(cairn_test_cell(t, "s", 3), "dense");
    assert_int_equal(cairn_test_col_type(t, "i"), CAIRN_TYPE_INT64);
    cairn_table_free(t);

    cairn_error e;
    const char *head = "@relation r\n@attribute a numeric\n@attribute b numeric\n"
                       "@attribute s string\n@data\n";
    char text[512];
#define ROW(r) (snprintf(text, sizeof text, "%s%s\n", head, r), text)
    read_err(ROW("{0 1, 1 2}"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 1, "s", "leaves out string attribute 's'");
    read_err(ROW("{1 1, 0 2, 2 x}"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 7, "", "sparse indices must increase");
    read_err(ROW("{0 1, 3 2, 2 x}"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 7, "", "out of range");
    read_err(ROW("{0 1, 99999999999999999999999 2}"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 7, "", "out of range");
    read_err(ROW("{0 1, 2 x"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 10, "", "expected ',' or '}'");
    read_err(ROW("{x 1}"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 2, "", "expected an attribute index");
    read_err(ROW("{0}"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 3, "", "expected a space after the index");
    read_err(ROW("{0 1, 2 x}, {4}"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EUNSUPPORTED, 6, 13, "", "instance weights");
    read_err(ROW("{0 1, 2 x} y"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 12, "", "after a sparse row");
    read_err(ROW("{0 abc, 2 x}"), NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 6, 4, "a", "numeric attribute 'a'");
#undef ROW
}

static void test_bad_rows_collected(void **state)
{
    (void)state;
    bad_list b = {0};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.on_bad_row = collect;
    o.bad_row_ud = &b;
    cairn_table *t = read_ok("@relation r\n"
                             "@attribute n integer\n"
                             "@attribute c {a,b}\n"
                             "@data\n"
                             "1,a\n"
                             "x,b\n"
                             "2,z\r\n"
                             "3\n"
                             "4.5,b\n",
                             &o);
    assert_int_equal(b.count, 3);
    assert_int_equal(cairn_table_num_rows(t), 2);
    assert_int_equal(cairn_test_col_type(t, "n"), CAIRN_TYPE_FLOAT64); /* 4.5 widened it */
    assert_string_equal(cairn_test_cell(t, "n", 1), "4.5");
    cairn_test_assert_error(&b.errs[0], CAIRN_EPARSE, 6, 1, "n", "numeric");
    assert_string_equal(b.raws[0], "x,b");
    assert_int_equal(b.errs[0].row, 1);
    cairn_test_assert_error(&b.errs[1], CAIRN_EPARSE, 7, 3, "c", "nominal");
    assert_string_equal(b.raws[1], "2,z");
    cairn_test_assert_error(&b.errs[2], CAIRN_EPARSE, 8, 1, "", "wrong number");
    assert_int_equal(b.errs[2].row, 3);
    cairn_table_free(t);
}

static void test_explicit_fields(void **state)
{
    (void)state;
    const char *text = "@relation r\n"
                       "@attribute x numeric\n"
                       "@attribute flag {true,false}\n"
                       "@attribute d date\n"
                       "@attribute n integer\n"
                       "@attribute code {'1','22'}\n"
                       "@data\n"
                       "1.5,true,2001-01-02T00:00:00,1,22\n"
                       "2,false,2001-01-03T00:00:00,?,1\n";
    cairn_field fields[] = {{"n", CAIRN_TYPE_INT32, true},
                            {"x", CAIRN_TYPE_STRING, true},
                            {"flag", CAIRN_TYPE_BOOL, true},
                            {"d", CAIRN_TYPE_DATE32, true},
                            {"code", CAIRN_TYPE_INT64, true}};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.fields = fields;
    o.nfields = 5;
    cairn_table *t = read_ok(text, &o);
    assert_int_equal(cairn_table_num_columns(t), 5);
    assert_string_equal(cairn_table_column(t, 0)->name, "n");
    assert_int_equal(cairn_test_col_type(t, "n"), CAIRN_TYPE_INT32);
    assert_string_equal(cairn_test_cell(t, "n", 1), "NULL");
    assert_string_equal(cairn_test_cell(t, "x", 0), "1.5");
    assert_string_equal(cairn_test_cell(t, "x", 1), "2");
    assert_string_equal(cairn_test_cell(t, "flag", 1), "false");
    assert_string_equal(cairn_test_cell(t, "d", 0), "2001-01-02");
    assert_string_equal(cairn_test_cell(t, "code", 0), "22");
    cairn_table_free(t);

    cairn_error e;
    fields[0].nullable = false;
    read_err(text, &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 9, 29, "n", "non-nullable");
    assert_string_equal(e.expected, "int32");
    fields[0] = (cairn_field){"x", CAIRN_TYPE_INT64, true};
    o.nfields = 1;
    read_err(text, &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 8, 1, "x", "not a valid int64");
    fields[0] = (cairn_field){"missing", CAIRN_TYPE_INT64, true};
    assert_int_equal(read_err(text, &o, &e), CAIRN_ENOTFOUND);
    assert_string_equal(e.field, "missing");
    fields[0] = (cairn_field){"d", CAIRN_TYPE_FLOAT64, true};
    read_err(text, &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 8, 10, "d", "not a valid float64");

    /* null_text also means missing (unquoted only) */
    cairn_read_options_init(&o);
    o.null_text = "NA";
    t = read_ok("@relation r\n@attribute a numeric\n@attribute s string\n@data\nNA,'NA'\n", &o);
    assert_string_equal(cairn_test_cell(t, "a", 0), "NULL");
    assert_string_equal(cairn_test_cell(t, "s", 0), "NA");
    cairn_table_free(t);
}

static char *big_arff(int rows, size_t *len)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    cairn_buf_puts(&b, "@relation big\n@attribute id integer\n@attribute v integer\n"
                       "@attribute c {red,green,'dark blue'}\n@attribute s string\n@data\n");
    for (int i = 0; i < rows; i++) {
        switch (i % 7) {
        case 0:
            cairn_buf_printf(&b, "%d,%d,red,'row %d'\n", i, i, i);
            break;
        case 1:
            cairn_buf_printf(&b, "{0 %d, 2 'dark blue', 3 x}\r\n", i);
            break;
        case 2:
            cairn_buf_printf(&b, "%d,?,green,?\n%% comment\n\n", i);
            break;
        case 3:
            cairn_buf_printf(&b, "%d,%d,purple,bad\n", i, i);
            break;
        default:
            cairn_buf_printf(&b, "%d,%d,'dark blue',\"q\\\"%d\"\n", i, i * 3, i);
            break;
        }
    }
    cairn_buf_printf(&b, "%d,0.5,red,late\n", rows); /* widens v after many chunks */
    return cairn_buf_detach(&b, len);
}

static void test_parallel_equals_sequential(void **state)
{
    (void)state;
    size_t saved = cairn__tr_min_chunk_bytes, len;
    cairn__tr_min_chunk_bytes = 256;
    char *text = big_arff(3000, &len);
    for (int cb = 0; cb < 2; cb++) {
        cairn_buf dumps[2];
        int rcs[2], counts[2];
        for (int k = 0; k < 2; k++) {
            bad_list b = {0};
            cairn_read_options o;
            cairn_read_options_init(&o);
            o.threads = k ? 3 : 1;
            if (cb) {
                o.on_bad_row = collect;
                o.bad_row_ud = &b;
            }
            cairn_table *t = NULL;
            cairn_error e;
            cairn_error_clear(&e);
            rcs[k] = cairn__arff_read(text, len, "big.arff", &o, &t, &e);
            counts[k] = b.count;
            cairn_buf_init(&dumps[k], 0);
            cairn_buf_puts(&dumps[k], formatted(&e));
            if (t) {
                assert_int_equal(cairn_test_col_type(t, "v"), CAIRN_TYPE_FLOAT64);
                assert_int_equal(cairn_test_col_type(t, "id"), CAIRN_TYPE_INT64);
                assert_int_equal(cairn_table_num_rows(t), 3001 - 3000 / 7 - 1);
                CAIRN_ASSERT_OK(cairn_jsonl_write(t, NULL, &dumps[k], &e), &e);
                cairn_table_free(t);
            }
        }
        assert_int_equal(rcs[0], rcs[1]);
        assert_int_equal(rcs[0], cb ? 0 : CAIRN_EPARSE);
        assert_int_equal(counts[0], counts[1]);
        assert_string_equal(dumps[0].data, dumps[1].data);
        if (!cb) assert_non_null(strstr(dumps[0].data, "big.arff:12:"));
        cairn_buf_release(&dumps[0]);
        cairn_buf_release(&dumps[1]);
    }
    cairn_free(text);
    cairn__tr_min_chunk_bytes = saved;
}

static void test_max_rows(void **state)
{
    (void)state;
    size_t len;
    char *text = big_arff(100, &len);
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.max_rows = 3; /* the bad row (i = 3) comes after three good ones */
    cairn_table *t = NULL;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn__arff_read(text, len, "m.arff", &o, &t, &e), &e);
    assert_int_equal(cairn_table_num_rows(t), 3);
    assert_string_equal(cairn_test_cell(t, "s", 0), "row 0");
    cairn_table_free(t);
    cairn_free(text);
}

static bool keep_going(void *ud, const cairn_error *err, const char *raw, size_t len)
{
    (void)err;
    (void)raw;
    (void)len;
    (*(int *)ud)++;
    return true;
}

static void test_allocation_failures(void **state)
{
    (void)state;
    size_t saved = cairn__tr_min_chunk_bytes, len;
    cairn__tr_min_chunk_bytes = 512;
    char *text = big_arff(120, &len);
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    for (int threads = 1; threads <= 2; threads++) {
        for (int64_t n = 1;; n++) {
            cairn_read_options o;
            cairn_read_options_init(&o);
            int bad = 0;
            o.threads = threads;
            o.on_bad_row = keep_going;
            o.bad_row_ud = &bad;
            cairn_table *t = NULL;
            cairn_error e;
            cairn_testalloc_fail_at(n, false);
            int rc = cairn__arff_read(text, len, "alloc.arff", &o, &t, &e);
            cairn_testalloc_fail_at(0, false);
            if (rc == 0) {
                cairn_table_free(t);
                assert_int_equal(cairn_testalloc_live_blocks(), base);
                break;
            }
            if (rc != CAIRN_ENOMEM)
                fail_msg("allocation %lld: expected ENOMEM, got %s: %s", (long long)n,
                         cairn_errname(rc), formatted(&e));
            assert_null(t);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            assert_true(n < 100000);
        }
    }
    /* the writers, to memory and to a file */
    cairn_table *t = NULL;
    cairn_error e;
    cairn_read_options o;
    cairn_read_options_init(&o);
    int bad = 0;
    o.on_bad_row = keep_going;
    o.bad_row_ud = &bad;
    CAIRN_ASSERT_OK(cairn__arff_read(text, len, "w.arff", &o, &t, &e), &e);
    const char *dir = cairn_test_tmpdir("arff-alloc");
    char path[4096];
    snprintf(path, sizeof path, "%s/out.arff", dir);
    base = cairn_testalloc_live_blocks();
    for (int to_file = 0; to_file < 2; to_file++) {
        for (int64_t n = 1;; n++) {
            cairn_buf out;
            cairn_buf_init(&out, 0);
            cairn_testalloc_fail_at(n, false);
            int rc = to_file ? cairn__arff_write_file(t, path, NULL, &e)
                             : cairn__arff_write(t, "w", &out, &e);
            cairn_testalloc_fail_at(0, false);
            cairn_buf_release(&out);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            if (rc == 0) break;
            if (rc != CAIRN_ENOMEM)
                fail_msg("allocation %lld: got %s", (long long)n, cairn_errname(rc));
            assert_true(n < 100000);
        }
    }
    cairn_table_free(t); /* before uninstalling: it came from the counting allocator */
    cairn_testalloc_uninstall();
    cairn_test_rmtree(dir);
    cairn_free(text);
    cairn__tr_min_chunk_bytes = saved;
}

static void test_dispatch_and_writer(void **state)
{
    (void)state;
    assert_string_equal(cairn_format_for_path("data/credit-g.ARFF")->name, "arff");
    assert_string_equal(cairn_format_by_name("arff")->name, "arff");

    cairn_table *t = cairn_test_table();
    cairn_column *s = cairn_test_add(t, "na'me", CAIRN_TYPE_STRING);
    cairn_column *i = cairn_test_add(t, "i", CAIRN_TYPE_INT32);
    cairn_column *f = cairn_test_add(t, "f", CAIRN_TYPE_FLOAT64);
    cairn_column *b = cairn_test_add(t, "b", CAIRN_TYPE_BOOL);
    cairn_column *ts = cairn_test_add(t, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *d = cairn_test_add(t, "d", CAIRN_TYPE_DATE32);
    const char *strs[] = {"it's \\ \"x\"\nnext % line", "?", "", NULL};
    const double fs[] = {0.1, NAN, -INFINITY, 1e300};
    for (int r = 0; r < 4; r++) {
        cairn_test_put_str(s, strs[r]);
        assert_int_equal(r == 3 ? cairn_column_append_null(i) : cairn_column_append_int32(i, r - 2),
                         0);
        assert_int_equal(cairn_column_append_float64(f, fs[r]), 0);
        assert_int_equal(r == 2 ? cairn_column_append_null(b) : cairn_column_append_bool(b, r & 1),
                         0);
        assert_int_equal(cairn_column_append_int64(ts, (r - 1) * INT64_C(86400123000)), 0);
        assert_int_equal(cairn_column_append_int32(d, r * 400 - 800), 0);
    }
    const char *dir = cairn_test_tmpdir("arff");
    char path[4096];
    snprintf(path, sizeof path, "%s/out.arff", dir);
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_table_write_file(t, path, NULL, NULL, &e), &e);
    cairn_table *back = NULL;
    CAIRN_ASSERT_OK(cairn_table_read_file(path, NULL, NULL, &back, &e), &e);
    assert_int_equal(cairn_table_num_rows(back), 4);
    for (int r = 0; r < 4; r++) {
        assert_string_equal(cairn_test_cell(back, "na'me", r), cairn_test_cell(t, "na'me", r));
        assert_string_equal(cairn_test_cell(back, "i", r), cairn_test_cell(t, "i", r));
        assert_string_equal(cairn_test_cell(back, "f", r), cairn_test_cell(t, "f", r));
        assert_string_equal(cairn_test_cell(back, "b", r), cairn_test_cell(t, "b", r));
        assert_string_equal(cairn_test_cell(back, "ts", r), cairn_test_cell(t, "ts", r));
        char day[64]; /* a date attribute reads back as a timestamp */
        snprintf(day, sizeof day, "%sT00:00:00Z", cairn_test_cell(t, "d", r));
        assert_string_equal(cairn_test_cell(back, "d", r), day);
    }
    assert_int_equal(cairn_test_col_type(back, "i"), CAIRN_TYPE_INT64);
    assert_int_equal(cairn_test_col_type(back, "b"), CAIRN_TYPE_STRING); /* {false,true} */
    assert_string_equal(cairn_test_cell(back, "d", 1), "1968-11-27T00:00:00Z");
    cairn_table_free(back);

    cairn_buf text;
    cairn_buf_init(&text, 0);
    CAIRN_ASSERT_OK(cairn__arff_write(t, "my rel", &text, &e), &e);
    assert_non_null(strstr(text.data, "@relation 'my rel'\n\n@attribute 'na\\'me' string\n"
                                      "@attribute 'i' integer\n@attribute 'f' numeric\n"
                                      "@attribute 'b' {false,true}\n"
                                      "@attribute 'ts' date \"yyyy-MM-dd'T'HH:mm:ss.SSS\"\n"
                                      "@attribute 'd' date 'yyyy-MM-dd'\n\n@data\n"));
    assert_non_null(strstr(text.data, "\n'?',-1,NaN,true,1970-01-01T00:00:00.000,1968-11-27\n"));
    assert_non_null(strstr(text.data, "\n?,?,1e+300,true,1970-01-03T00:00:00.246,1971-02-05\n"));
    cairn_buf_release(&text);

    /* microseconds do not fit an ARFF date: refused, not rounded */
    assert_int_equal(cairn_column_append_int64(ts, 1), 0);
    cairn_test_put_str(s, "x");
    assert_int_equal(cairn_column_append_null(i), 0);
    assert_int_equal(cairn_column_append_null(f), 0);
    assert_int_equal(cairn_column_append_null(b), 0);
    assert_int_equal(cairn_column_append_null(d), 0);
    assert_int_equal(cairn_table_write_file(t, path, NULL, NULL, &e), CAIRN_ERANGE);
    assert_string_equal(e.field, "ts");
    cairn_table_free(t);
    cairn_test_rmtree(dir);
}

/* Every example of Debian's weka package reads (the scipy oracle checks values). */
static void test_weka_examples(void **state)
{
    (void)state;
    const char *dir = "/usr/share/doc/weka/examples";
    DIR *dh = opendir(dir);
    if (!dh) {
        print_message("skipped: %s is missing (apt-get install weka)\n", dir);
        return;
    }
    int files = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 5, ".arff") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        cairn_table *t = NULL;
        cairn_error e;
        cairn_error_clear(&e);
        int rc = cairn_table_read_file(path, NULL, NULL, &t, &e);
        if (rc) fail_msg("%s", formatted(&e));
        assert_true(cairn_table_num_rows(t) > 0);
        if (strcmp(de->d_name, "credit-g.arff") == 0) {
            assert_int_equal(cairn_table_num_rows(t), 1000);
            assert_int_equal(cairn_table_num_columns(t), 21);
            assert_string_equal(cairn_test_cell(t, "checking_status", 0), "<0");
            assert_string_equal(cairn_test_cell(t, "age", 0), "67.0");
            assert_string_equal(cairn_test_cell(t, "class", 1), "bad");
        }
        cairn_table_free(t);
        files++;
    }
    closedir(dh);
    assert_true(files > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_and_values),
        cmocka_unit_test(test_integer_detection),
        cmocka_unit_test(test_quoting_and_escapes),
        cmocka_unit_test(test_crlf_bom_blank_and_empty_data),
        cmocka_unit_test(test_nominal_validation),
        cmocka_unit_test(test_data_errors_located),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_sparse),
        cmocka_unit_test(test_bad_rows_collected),
        cmocka_unit_test(test_explicit_fields),
        cmocka_unit_test(test_parallel_equals_sequential),
        cmocka_unit_test(test_max_rows),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_dispatch_and_writer),
        cmocka_unit_test(test_weka_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
