/* value.c: column types and single values (cairn_type_*, cairn_value_*).
 *
 * The names of types and their aliases sit in one descriptor table; parsing is a
 * case-insensitive lookup in it. Aliases follow PostgreSQL: int/integer are int32,
 * bigint is int64, real is float32, float/double are float64. Values format to the
 * canonical text the CSV writer and the CLI print: shortest round-trip numbers
 * (cairn_format_double), ISO-8601 times and dates, true/false.
 * Tests: tests/unit/table/test_value.c.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/json.h"
#include "table_internal.h"

/* ------------------------------------------------------------------------------------------
 * Type names
 * ---------------------------------------------------------------------------------------- */

typedef struct type_name {
    const char *name;
    cairn_type type;
} type_name;

/* Canonical names first: cairn_type_name returns the first entry of a type. */
static const type_name type_names[] = {
    {"bool", CAIRN_TYPE_BOOL},           {"int32", CAIRN_TYPE_INT32},
    {"int64", CAIRN_TYPE_INT64},         {"float32", CAIRN_TYPE_FLOAT32},
    {"float64", CAIRN_TYPE_FLOAT64},     {"string", CAIRN_TYPE_STRING},
    {"timestamp", CAIRN_TYPE_TIMESTAMP}, {"date", CAIRN_TYPE_DATE32},
    {"boolean", CAIRN_TYPE_BOOL},        {"int", CAIRN_TYPE_INT32},
    {"integer", CAIRN_TYPE_INT32},       {"int4", CAIRN_TYPE_INT32},
    {"bigint", CAIRN_TYPE_INT64},        {"int8", CAIRN_TYPE_INT64},
    {"long", CAIRN_TYPE_INT64},          {"float", CAIRN_TYPE_FLOAT64},
    {"double", CAIRN_TYPE_FLOAT64},      {"float8", CAIRN_TYPE_FLOAT64},
    {"real", CAIRN_TYPE_FLOAT32},        {"float4", CAIRN_TYPE_FLOAT32},
    {"varchar", CAIRN_TYPE_STRING},      {"text", CAIRN_TYPE_STRING},
    {"str", CAIRN_TYPE_STRING},          {"utf8", CAIRN_TYPE_STRING},
    {"datetime", CAIRN_TYPE_TIMESTAMP},  {"date32", CAIRN_TYPE_DATE32},
};
#define NTYPE_NAMES (sizeof type_names / sizeof type_names[0])

const char *cairn_type_name(cairn_type type)
{
    for (size_t i = 0; i < NTYPE_NAMES; i++)
        if (type_names[i].type == type) return type_names[i].name;
    return "unknown";
}

static bool ascii_iequal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        if (ca != *b) return false;
    }
    return *a == *b;
}

int cairn_type_parse(const char *name, cairn_type *out)
{
    if (!name) return CAIRN_EINVAL;
    for (size_t i = 0; i < NTYPE_NAMES; i++) {
        if (ascii_iequal(name, type_names[i].name)) {
            *out = type_names[i].type;
            return 0;
        }
    }
    return CAIRN_ENOTFOUND;
}

size_t cairn_type_width(cairn_type type)
{
    switch (type) {
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
    case CAIRN_TYPE_FLOAT32:
        return 4;
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
    case CAIRN_TYPE_FLOAT64:
        return 8;
    default:
        return 0;
    }
}

bool cairn_type_is_numeric(cairn_type type)
{
    return type == CAIRN_TYPE_INT32 || type == CAIRN_TYPE_INT64 || type == CAIRN_TYPE_FLOAT32 ||
           type == CAIRN_TYPE_FLOAT64;
}

/* ------------------------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------------------------- */

/* Shortest text that reads back to the same float, in cairn_format_double's style. */
static size_t format_float32(float v, char *out, size_t cap)
{
    if (isnan(v) || isinf(v)) return cairn_format_double((double)v, out, cap);
    int n = 0;
    for (int prec = 6; prec <= 9; prec++) {
        n = snprintf(out, cap, "%.*g", prec, (double)v);
        if (prec == 9 || strtof(out, NULL) == v) break;
    }
    if (n > 0 && (size_t)n + 2 < cap && !strpbrk(out, ".eEn")) {
        out[n++] = '.';
        out[n++] = '0';
        out[n] = '\0';
    }
    return n < 0 ? 0 : (size_t)n;
}

static int format_fixed(const cairn_value *value, cairn_buf *out)
{
    char text[CAIRN_TIME_FMT_LEN];
    size_t n;
    switch (value->type) {
    case CAIRN_TYPE_BOOL:
        return cairn_buf_puts(out, value->v.b ? "true" : "false");
    case CAIRN_TYPE_INT32:
        return cairn_buf_printf(out, "%" PRId32, value->v.i32);
    case CAIRN_TYPE_INT64:
        return cairn_buf_printf(out, "%" PRId64, value->v.i64);
    case CAIRN_TYPE_FLOAT32:
        n = format_float32(value->v.f32, text, sizeof text);
        break;
    case CAIRN_TYPE_FLOAT64:
        n = cairn_format_double(value->v.f64, text, sizeof text);
        break;
    case CAIRN_TYPE_TIMESTAMP:
        n = cairn_time_format(value->v.i64, text, sizeof text);
        break;
    case CAIRN_TYPE_DATE32:
        n = cairn_date_format(value->v.i32, text, sizeof text);
        break;
    default:
        return CAIRN_EINVAL;
    }
    return cairn_buf_append(out, text, n < sizeof text ? n : sizeof text - 1);
}

int cairn_value_format(const cairn_value *value, const char *null_text, cairn_buf *out)
{
    if (value->is_null) return null_text ? cairn_buf_puts(out, null_text) : 0;
    if (value->type == CAIRN_TYPE_STRING)
        return cairn_buf_append(out, value->v.str.ptr, value->v.str.len);
    return format_fixed(value, out);
}

bool cairn_value_as_double(const cairn_value *value, double *out)
{
    if (value->is_null) return false;
    switch (value->type) {
    case CAIRN_TYPE_BOOL:
        *out = value->v.b ? 1.0 : 0.0;
        return true;
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        *out = (double)value->v.i32;
        return true;
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        *out = (double)value->v.i64;
        return true;
    case CAIRN_TYPE_FLOAT32:
        *out = (double)value->v.f32;
        return true;
    case CAIRN_TYPE_FLOAT64:
        *out = value->v.f64;
        return true;
    default:
        return false;
    }
}

int cairn__str_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0) return c < 0 ? -1 : 1;
    return (alen > blen) - (alen < blen);
}
