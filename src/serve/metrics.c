/* src/serve/metrics.c: the metrics registry (counters, gauges, histograms with fixed buckets)
 * and its Prometheus text rendering.
 *
 * A registry is a list of families (one per metric name, in the order first registered),
 * each a list of series (one per label text). Lookup and creation take the registry's
 * mutex; updates do not: a value is a double held as bits in an _Atomic uint64_t and
 * changed by compare-and-swap, a histogram's buckets are atomic integer counts. Series are
 * never removed, so a handle stays valid until the registry is freed.
 *
 * Tests: tests/unit/serve/test_server.c (metrics_* tests and /metrics).
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "cairn/json.h"
#include "cairn/serve.h"

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } metric_kind;

struct cairn_metric {
    struct cairn_metric *next; /* next series of the same family */
    char *labels;              /* "" when none */
    metric_kind kind;
    _Atomic uint64_t bits;     /* counter/gauge value; histogram sum (double bits) */
    _Atomic uint64_t count;    /* histogram observations */
    const double *bounds;      /* the family's */
    size_t nbounds;
    _Atomic uint64_t *buckets; /* nbounds + 1, not cumulative */
};

typedef struct family {
    struct family *next;
    char *name, *help;
    metric_kind kind;
    double *bounds;
    size_t nbounds;
    cairn_metric *series, *series_tail;
} family;

struct cairn_metrics {
    pthread_mutex_t lock;
    family *head, *tail;
};

/* ------------------------------------------------------------------------------------------
 * Private helpers
 * ---------------------------------------------------------------------------------------- */

static uint64_t dbits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static void atomic_add_double(_Atomic uint64_t *cell, double delta)
{
    uint64_t old = atomic_load_explicit(cell, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(cell, &old, dbits(bitsd(old) + delta),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

static family *find_family(cairn_metrics *m, const char *name)
{
    for (family *f = m->head; f; f = f->next)
        if (!strcmp(f->name, name)) return f;
    return NULL;
}

static family *new_family(cairn_metrics *m, const char *name, const char *help,
                          metric_kind kind, const double *bounds, size_t nbounds)
{
    family *f = cairn_calloc(1, sizeof *f);
    if (!f) return NULL;
    f->name = cairn_strdup(name);
    f->help = cairn_strdup(help ? help : "");
    f->kind = kind;
    f->nbounds = nbounds;
    if (nbounds) f->bounds = cairn_calloc(nbounds, sizeof *bounds);
    if (!f->name || !f->help || (nbounds && !f->bounds)) {
        cairn_free(f->name);
        cairn_free(f->help);
        cairn_free(f->bounds);
        cairn_free(f);
        return NULL;
    }
    if (nbounds) memcpy(f->bounds, bounds, nbounds * sizeof *bounds);
    if (m->tail) m->tail->next = f;
    else m->head = f;
    m->tail = f;
    return f;
}

static bool valid_name(const char *name)
{
    if (!name || !*name) return false;
    for (const char *p = name; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                  *p == ':' || (p != name && *p >= '0' && *p <= '9');
        if (!ok) return false;
    }
    return true;
}

static cairn_metric *get_series(cairn_metrics *m, const char *name, const char *help,
                                const char *labels, metric_kind kind, const double *bounds,
                                size_t nbounds)
{
    if (!m || !valid_name(name)) return NULL;
    if (kind == KIND_HISTOGRAM) {
        for (size_t i = 1; i < nbounds; i++)
            if (!(bounds[i] > bounds[i - 1])) return NULL;
    }
    if (!labels) labels = "";
    cairn_metric *found = NULL;
    pthread_mutex_lock(&m->lock);
    family *f = find_family(m, name);
    if (f && f->kind != kind) goto out; /* one kind per name */
    if (!f && !(f = new_family(m, name, help, kind, bounds, nbounds))) goto out;
    for (cairn_metric *s = f->series; s; s = s->next)
        if (!strcmp(s->labels, labels)) {
            found = s;
            goto out;
        }
    cairn_metric *s = cairn_calloc(1, sizeof *s);
    if (!s) goto out;
    s->labels = cairn_strdup(labels);
    s->kind = kind;
    s->bounds = f->bounds;
    s->nbounds = f->nbounds;
    if (kind == KIND_HISTOGRAM) s->buckets = cairn_calloc(f->nbounds + 1, sizeof *s->buckets);
    if (!s->labels || (kind == KIND_HISTOGRAM && !s->buckets)) {
        cairn_free(s->labels);
        cairn_free((void *)s->buckets);
        cairn_free(s);
        goto out;
    }
    atomic_init(&s->bits, dbits(0.0));
    if (f->series_tail) f->series_tail->next = s;
    else f->series = s;
    f->series_tail = s;
    found = s;
out:
    pthread_mutex_unlock(&m->lock);
    return found;
}

static void put_value(cairn_buf *out, double v)
{
    if (isinf(v)) {
        cairn_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    } else if (isnan(v)) {
        cairn_buf_puts(out, "NaN");
    } else {
        char tmp[40];
        cairn_format_double(v, tmp, sizeof tmp);
        cairn_buf_puts(out, tmp);
    }
}

/* name{labels[,extra]} with the braces left out when both are empty. */
static void put_series_name(cairn_buf *out, const char *name, const char *suffix,
                            const char *labels, const char *extra)
{
    cairn_buf_puts(out, name);
    cairn_buf_puts(out, suffix);
    bool has_labels = labels && *labels, has_extra = extra && *extra;
    if (!has_labels && !has_extra) return;
    cairn_buf_putc(out, '{');
    if (has_labels) cairn_buf_puts(out, labels);
    if (has_labels && has_extra) cairn_buf_putc(out, ',');
    if (has_extra) cairn_buf_puts(out, extra);
    cairn_buf_putc(out, '}');
}

static void render_histogram(cairn_buf *out, const family *f, const cairn_metric *s)
{
    uint64_t cumulative = 0;
    char le[64];
    for (size_t b = 0; b <= f->nbounds; b++) {
        cumulative += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
        if (b < f->nbounds) {
            char num[40];
            cairn_format_double(f->bounds[b], num, sizeof num);
            snprintf(le, sizeof le, "le=\"%s\"", num);
        } else {
            snprintf(le, sizeof le, "le=\"+Inf\"");
        }
        put_series_name(out, f->name, "_bucket", s->labels, le);
        cairn_buf_printf(out, " %llu\n", (unsigned long long)cumulative);
    }
    put_series_name(out, f->name, "_sum", s->labels, NULL);
    cairn_buf_putc(out, ' ');
    put_value(out, bitsd(atomic_load_explicit(&s->bits, memory_order_relaxed)));
    cairn_buf_putc(out, '\n');
    put_series_name(out, f->name, "_count", s->labels, NULL);
    cairn_buf_printf(out, " %llu\n",
                     (unsigned long long)atomic_load_explicit(&s->count, memory_order_relaxed));
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

int cairn_metrics_create(cairn_metrics **out)
{
    cairn_metrics *m = cairn_calloc(1, sizeof *m);
    if (!m) return CAIRN_ENOMEM;
    pthread_mutex_init(&m->lock, NULL);
    *out = m;
    return 0;
}

void cairn_metrics_free(cairn_metrics *m)
{
    if (!m) return;
    for (family *f = m->head, *fn; f; f = fn) {
        fn = f->next;
        for (cairn_metric *s = f->series, *sn; s; s = sn) {
            sn = s->next;
            cairn_free(s->labels);
            cairn_free((void *)s->buckets);
            cairn_free(s);
        }
        cairn_free(f->name);
        cairn_free(f->help);
        cairn_free(f->bounds);
        cairn_free(f);
    }
    pthread_mutex_destroy(&m->lock);
    cairn_free(m);
}

cairn_metric *cairn_metrics_counter(cairn_metrics *m, const char *name, const char *help,
                                    const char *labels)
{
    return get_series(m, name, help, labels, KIND_COUNTER, NULL, 0);
}

cairn_metric *cairn_metrics_gauge(cairn_metrics *m, const char *name, const char *help,
                                  const char *labels)
{
    return get_series(m, name, help, labels, KIND_GAUGE, NULL, 0);
}

cairn_metric *cairn_metrics_histogram(cairn_metrics *m, const char *name, const char *help,
                                      const char *labels, const double *bounds,
                                      size_t nbounds)
{
    return get_series(m, name, help, labels, KIND_HISTOGRAM, bounds, nbounds);
}

void cairn_metric_add(cairn_metric *metric, double delta)
{
    if (!metric || metric->kind == KIND_HISTOGRAM) return;
    if (metric->kind == KIND_COUNTER && !(delta >= 0)) return; /* counters only go up */
    atomic_add_double(&metric->bits, delta);
}

void cairn_metric_set(cairn_metric *metric, double value)
{
    if (!metric || metric->kind != KIND_GAUGE) return;
    atomic_store_explicit(&metric->bits, dbits(value), memory_order_relaxed);
}

void cairn_metric_observe(cairn_metric *metric, double value)
{
    if (!metric || metric->kind != KIND_HISTOGRAM) return;
    size_t b = 0;
    while (b < metric->nbounds && value > metric->bounds[b]) b++;
    atomic_fetch_add_explicit(&metric->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&metric->count, 1, memory_order_relaxed);
    atomic_add_double(&metric->bits, value);
}

double cairn_metric_value(const cairn_metric *metric)
{
    if (!metric) return 0;
    if (metric->kind == KIND_HISTOGRAM)
        return (double)atomic_load_explicit(&metric->count, memory_order_relaxed);
    return bitsd(atomic_load_explicit(&metric->bits, memory_order_relaxed));
}

int cairn_metrics_render(cairn_metrics *m, cairn_buf *out)
{
    static const char *const kind_names[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&m->lock);
    for (const family *f = m->head; f; f = f->next) {
        cairn_buf_printf(out, "# HELP %s ", f->name);
        for (const char *p = f->help; *p; p++) { /* escape \ and newline, as the format asks */
            if (*p == '\\') cairn_buf_puts(out, "\\\\");
            else if (*p == '\n') cairn_buf_puts(out, "\\n");
            else cairn_buf_putc(out, *p);
        }
        cairn_buf_printf(out, "\n# TYPE %s %s\n", f->name, kind_names[f->kind]);
        for (const cairn_metric *s = f->series; s; s = s->next) {
            if (f->kind == KIND_HISTOGRAM) {
                render_histogram(out, f, s);
                continue;
            }
            put_series_name(out, f->name, "", s->labels, NULL);
            cairn_buf_putc(out, ' ');
            put_value(out, bitsd(atomic_load_explicit(&s->bits, memory_order_relaxed)));
            cairn_buf_putc(out, '\n');
        }
    }
    pthread_mutex_unlock(&m->lock);
    return 0;
}
