/* buf.c: the one growable byte buffer (in the manner of Git's strbuf).
 *
 * Invariants: data is never NULL (a static "" until the first allocation), data[len] is
 * always '\0', len <= cap, and len <= max when max is set. A failed append (CAIRN_ENOMEM or
 * CAIRN_ELIMIT) leaves the buffer exactly as it was. Tests: tests/unit/core/test_buf.c.
 */
#include <stdio.h>
#include <string.h>

#include "cairn/core.h"

static char empty_string[1];

void cairn_buf_init(cairn_buf *buf, size_t max)
{
    buf->data = empty_string;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max;
}

void cairn_buf_release(cairn_buf *buf)
{
    if (buf->cap) cairn_free(buf->data);
    cairn_buf_init(buf, buf->max);
}

void cairn_buf_reset(cairn_buf *buf)
{
    buf->len = 0;
    buf->data[0] = '\0';
}

int cairn_buf_reserve(cairn_buf *buf, size_t extra)
{
    if (extra > SIZE_MAX - buf->len - 1) return CAIRN_ENOMEM;
    size_t need = buf->len + extra;
    if (buf->max && need > buf->max) return CAIRN_ELIMIT;
    if (need <= buf->cap) return 0;
    size_t ncap = buf->cap ? buf->cap : 64;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (buf->max && ncap > buf->max) ncap = buf->max;
    char *p = buf->cap ? cairn_realloc(buf->data, ncap + 1) : cairn_malloc(ncap + 1);
    if (!p) return CAIRN_ENOMEM;
    if (!buf->cap) p[0] = '\0';
    buf->data = p;
    buf->cap = ncap;
    return 0;
}

int cairn_buf_append(cairn_buf *buf, const void *data, size_t len)
{
    int rc = cairn_buf_reserve(buf, len);
    if (rc) return rc;
    if (len) memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

int cairn_buf_puts(cairn_buf *buf, const char *s)
{
    return cairn_buf_append(buf, s, strlen(s));
}

int cairn_buf_putc(cairn_buf *buf, char c)
{
    return cairn_buf_append(buf, &c, 1);
}

int cairn_buf_vprintf(cairn_buf *buf, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) return CAIRN_EINVAL;
    if ((size_t)n < sizeof small) return cairn_buf_append(buf, small, (size_t)n);
    int rc = cairn_buf_reserve(buf, (size_t)n);
    if (rc) return rc;
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    buf->len += (size_t)n;
    return 0;
}

int cairn_buf_printf(cairn_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cairn_buf_vprintf(buf, fmt, ap);
    va_end(ap);
    return rc;
}

char *cairn_buf_detach(cairn_buf *buf, size_t *len)
{
    char *p = buf->data;
    if (!buf->cap) {
        p = cairn_malloc(1);
        if (!p) return NULL;
        p[0] = '\0';
    }
    if (len) *len = buf->len;
    cairn_buf_init(buf, buf->max);
    return p;
}
