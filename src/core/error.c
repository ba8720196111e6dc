/* error.c: error codes, their messages, and the detailed cairn_error.
 *
 * A cairn_error is a fixed-size, caller-owned record: filling it never allocates, so it
 * can report CAIRN_ENOMEM itself. Strings are truncated to fit (with "..." for `found`).
 * cairn_error_format renders the one-line form the CLI prints:
 *   file:line:column: message (field 'f': expected E, found F)
 * Tests: tests/unit/core/test_error.c.
 */
#include <stdio.h>
#include <string.h>

#include "cairn/core.h"

static const struct {
    int code;
    const char *name;
    const char *text;
} error_table[] = {
    {CAIRN_OK, "OK", "success"},
    {CAIRN_EINVAL, "EINVAL", "invalid argument"},
    {CAIRN_EPARSE, "EPARSE", "malformed input"},
    {CAIRN_ETYPE, "ETYPE", "type mismatch"},
    {CAIRN_ERANGE, "ERANGE", "value out of range"},
    {CAIRN_ENOTFOUND, "ENOTFOUND", "not found"},
    {CAIRN_EEXIST, "EEXIST", "already exists"},
    {CAIRN_EUNSUPPORTED, "EUNSUPPORTED", "not supported"},
    {CAIRN_ECONFLICT, "ECONFLICT", "conflicts with stored state"},
    {CAIRN_ECORRUPT, "ECORRUPT", "stored data is corrupt"},
    {CAIRN_EIO, "EIO", "input/output error"},
    {CAIRN_ENOMEM, "ENOMEM", "out of memory"},
    {CAIRN_ELIMIT, "ELIMIT", "size limit reached"},
    {CAIRN_ECATALOG, "ECATALOG", "catalog failure"},
    {CAIRN_EINTERNAL, "EINTERNAL", "internal error"},
    {CAIRN_ECANCELED, "ECANCELED", "canceled"},
};

static int error_index(int code)
{
    for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++)
        if (error_table[i].code == code) return (int)i;
    return -1;
}

const char *cairn_strerror(int code)
{
    int i = error_index(code);
    return i < 0 ? "unknown error" : error_table[i].text;
}

const char *cairn_errname(int code)
{
    int i = error_index(code);
    return i < 0 ? "EUNKNOWN" : error_table[i].name;
}

bool cairn_error_is_internal(int code)
{
    return code == CAIRN_ENOMEM || code == CAIRN_EINTERNAL || code == CAIRN_ECATALOG ||
           code == CAIRN_ECORRUPT || code == CAIRN_EIO || error_index(code) < 0;
}

void cairn_error_clear(cairn_error *err)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->row = -1;
    err->offset = -1;
}

static void copy_trunc(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap) len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int cairn_error_setv(cairn_error *err, int code, const char *fmt, va_list ap)
{
    if (!err) return code;
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

int cairn_error_set(cairn_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cairn_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void cairn_error_at(cairn_error *err, const char *file, int64_t line, int64_t column)
{
    if (!err) return;
    if (file) copy_trunc(err->file, sizeof err->file, file, strlen(file));
    err->line = line;
    err->column = column;
}

void cairn_error_field(cairn_error *err, const char *field)
{
    if (err && field) copy_trunc(err->field, sizeof err->field, field, strlen(field));
}

void cairn_error_expect(cairn_error *err, const char *expected, const char *found,
                        size_t found_len)
{
    if (!err) return;
    if (expected) copy_trunc(err->expected, sizeof err->expected, expected, strlen(expected));
    if (!found) return;
    /* Quote the found text; show at most 60 bytes, then "...". */
    size_t shown = found_len > 60 ? 60 : found_len;
    snprintf(err->found, sizeof err->found, "'%.*s%s'", (int)shown, found,
             found_len > shown ? "..." : "");
}

void cairn_error_prefix(cairn_error *err, const char *fmt, ...)
{
    if (!err) return;
    char prefix[256], old[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    snprintf(err->message, sizeof err->message, "%s%s", prefix, old);
}

size_t cairn_error_format(const cairn_error *err, char *out, size_t cap)
{
    if (!err || !cap) return 0;
    size_t n = 0;
    int w;
#define PUT(...)                                                                               \
    do {                                                                                       \
        w = snprintf(out + (n < cap ? n : cap - 1), n < cap ? cap - n : 1, __VA_ARGS__);       \
        if (w > 0) n += (size_t)w;                                                             \
    } while (0)
    out[0] = '\0';
    if (err->file[0]) {
        PUT("%s:", err->file);
        if (err->line > 0) PUT("%lld:", (long long)err->line);
        if (err->line > 0 && err->column > 0) PUT("%lld:", (long long)err->column);
        PUT(" ");
    } else if (err->line > 0) {
        PUT("line %lld: ", (long long)err->line);
    }
    PUT("%s", err->message[0] ? err->message : cairn_strerror(err->code));
    if (err->field[0] || err->expected[0] || err->found[0]) {
        const char *sep = " (";
        if (err->field[0]) {
            PUT("%sfield '%s'", sep, err->field);
            sep = ": ";
        }
        if (err->expected[0]) {
            PUT("%sexpected %s", sep, err->expected);
            sep = ", ";
        }
        if (err->found[0]) PUT("%sfound %s", sep, err->found);
        PUT(")");
    }
#undef PUT
    return n;
}

const char *cairn_version(void)
{
#ifdef CAIRN_VERSION_STRING
    return CAIRN_VERSION_STRING;
#else
    return "0.0.0";
#endif
}
