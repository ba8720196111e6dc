/* json.c: JSON parsing with positions, and a serializer with shortest round-trip doubles.
 *
 * Parsing is jansson's (json_loadb with duplicate keys rejected); its error line and column
 * are copied into the cairn_error. Serializing is our own small recursive writer, because
 * jansson writes doubles with 17 digits ("0.33000000000000002"): we write the fewest digits
 * that read back to the same double, and keep a ".0" on integral reals so that their type
 * survives a round trip. Object keys keep insertion order. Tests: tests/unit/core/test_json.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/json.h"
#include "core/alloc_internal.h"

int cairn_json_parse(const char *data, size_t len, const char *name, json_t **out,
                     cairn_error *err)
{
    json_error_t jerr;
    cairn__json_alloc_failed(true);
    *out = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (*out) return 0;
    /* jansson reports some failed allocations as syntax errors: ask the allocator */
    if (cairn__json_alloc_failed(true) || json_error_code(&jerr) == json_error_out_of_memory)
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory parsing JSON (%s)", name);
    cairn_error_set(err, CAIRN_EPARSE, "invalid JSON: %s", jerr.text);
    cairn_error_at(err, name, jerr.line > 0 ? jerr.line : 1, jerr.column > 0 ? jerr.column : 1);
    if (err) err->offset = jerr.position;
    return CAIRN_EPARSE;
}

int cairn_json_load_file(const char *path, json_t **out, cairn_error *err)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_file_read(path, &b, 0, err);
    if (rc == 0) rc = cairn_json_parse(b.data, b.len, path, out, err);
    cairn_buf_release(&b);
    return rc;
}

size_t cairn_format_double(double v, char *out, size_t cap)
{
    if (isnan(v)) return (size_t)snprintf(out, cap, "nan");
    if (isinf(v)) return (size_t)snprintf(out, cap, v < 0 ? "-inf" : "inf");
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, cap, "%.*g", prec, v);
        if (prec == 17 || strtod(out, NULL) == v) break;
    }
    if (n > 0 && (size_t)n + 2 < cap && !strpbrk(out, ".eEn")) {
        out[n++] = '.';
        out[n++] = '0';
        out[n] = '\0';
    }
    return n < 0 ? 0 : (size_t)n;
}

int cairn_json_put_double(cairn_buf *buf, double v)
{
    if (!isfinite(v)) return cairn_buf_puts(buf, "null");
    char tmp[40];
    size_t n = cairn_format_double(v, tmp, sizeof tmp);
    return cairn_buf_append(buf, tmp, n);
}

int cairn_json_put_string(cairn_buf *buf, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int rc = cairn_buf_reserve(buf, len + 2);
    if (rc) return rc;
    cairn_buf_putc(buf, '"');
    size_t run = 0; /* bytes copied verbatim in one go */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        if (run && (rc = cairn_buf_append(buf, s + i - run, run))) return rc;
        run = 0;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u', esc[2] = '0', esc[3] = '0';
            esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
            elen = 6;
        }
        if ((rc = cairn_buf_append(buf, esc, elen))) return rc;
    }
    if (run && (rc = cairn_buf_append(buf, s + len - run, run))) return rc;
    return cairn_buf_putc(buf, '"');
}

static int indent(cairn_buf *buf, int flags, int depth)
{
    if (!(flags & CAIRN_JSON_PRETTY)) return 0;
    int rc = cairn_buf_putc(buf, '\n');
    for (int i = 0; rc == 0 && i < depth; i++) rc = cairn_buf_puts(buf, "  ");
    return rc;
}

static int dump_value(const json_t *v, int flags, int depth, cairn_buf *buf);

static int dump_object(const json_t *v, int flags, int depth, cairn_buf *buf)
{
    const char *key;
    json_t *item;
    int rc = cairn_buf_putc(buf, '{');
    bool first = true;
    json_object_foreach((json_t *)v, key, item) {
        if (rc == 0 && !first) rc = cairn_buf_putc(buf, ',');
        if (rc == 0) rc = indent(buf, flags, depth + 1);
        if (rc == 0) rc = cairn_json_put_string(buf, key, strlen(key));
        if (rc == 0) rc = cairn_buf_puts(buf, (flags & CAIRN_JSON_PRETTY) ? ": " : ":");
        if (rc == 0) rc = dump_value(item, flags, depth + 1, buf);
        first = false;
    }
    if (rc == 0 && !first) rc = indent(buf, flags, depth);
    return rc ? rc : cairn_buf_putc(buf, '}');
}

static int dump_array(const json_t *v, int flags, int depth, cairn_buf *buf)
{
    int rc = cairn_buf_putc(buf, '[');
    size_t n = json_array_size(v);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i) rc = cairn_buf_putc(buf, ',');
        if (rc == 0) rc = indent(buf, flags, depth + 1);
        if (rc == 0) rc = dump_value(json_array_get(v, i), flags, depth + 1, buf);
    }
    if (rc == 0 && n) rc = indent(buf, flags, depth);
    return rc ? rc : cairn_buf_putc(buf, ']');
}

static int dump_value(const json_t *v, int flags, int depth, cairn_buf *buf)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return dump_object(v, flags, depth, buf);
    case JSON_ARRAY: return dump_array(v, flags, depth, buf);
    case JSON_STRING: return cairn_json_put_string(buf, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return cairn_buf_printf(buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL: return cairn_json_put_double(buf, json_real_value(v));
    case JSON_TRUE: return cairn_buf_puts(buf, "true");
    case JSON_FALSE: return cairn_buf_puts(buf, "false");
    default: return cairn_buf_puts(buf, "null");
    }
}

int cairn_json_dump(const json_t *value, int flags, cairn_buf *buf)
{
    if (!value) return cairn_buf_puts(buf, "null");
    return dump_value(value, flags, 0, buf);
}

static int key_error(cairn_error *err, const char *key, const char *expected, const json_t *v)
{
    static const char *const names[] = {"object", "array",  "string", "integer",
                                        "real",   "true",   "false",  "null"};
    const char *found = v ? names[json_typeof(v)] : "nothing (missing key)";
    cairn_error_set(err, CAIRN_ETYPE, "key '%s': expected %s, found %s", key, expected, found);
    cairn_error_field(err, key);
    return CAIRN_ETYPE;
}

int cairn_json_get_int(const json_t *obj, const char *key, int64_t *out, cairn_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v)) return key_error(err, key, "integer", v);
    *out = json_integer_value(v);
    return 0;
}

int cairn_json_get_double(const json_t *obj, const char *key, double *out, cairn_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v)) return key_error(err, key, "number", v);
    *out = json_number_value(v);
    return 0;
}

int cairn_json_get_string(const json_t *obj, const char *key, const char **out,
                          cairn_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) return key_error(err, key, "string", v);
    *out = json_string_value(v);
    return 0;
}
