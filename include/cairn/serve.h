/* cairn/serve.h: the HTTP server behind `cairn serve` (src/serve/).
 *
 * One process serves every route: libmicrohttpd in epoll mode with an internal thread pool
 * sized to the cores. Routes sit in one table (method, exact path, handler, required role);
 * the built-in ones are GET /health, GET /ready, GET /metrics and POST /get-online-features,
 * and cairn_server_add_route adds more (before or after start). Handlers run on the pool's
 * threads, each with a request arena that is freed as soon as its response is queued.
 *
 * Design notes
 * - Errors are JSON, {"error": "..."}, with the matching status: 400 malformed body or fields,
 *   404 unknown path, 405 known path with another method (with an Allow header), 413 body
 *   over max_body, 500 a handler failure, 503 not ready.
 * - A metrics registry (counters, gauges, histograms with fixed buckets) is rendered as
 *   Prometheus text on /metrics. Series are created once and updated with atomics, so
 *   updating a metric on the request path takes no lock.
 * - cairn_server_stop stops accepting, waits for in-flight requests to finish (their
 *   responses are sent), then closes every connection.
 * - The access log is JSON lines, one write(2) per line, so lines never interleave.
 *
 * Tests: tests/unit/serve/test_server.c, tests/integration/test_serve_cli.sh,
 * tests/fuzz/fuzz_http_body.c.
 */
#ifndef CAIRN_SERVE_H
#define CAIRN_SERVE_H

#include "catalog.h"
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cairn_server cairn_server;
typedef struct cairn_metrics cairn_metrics;
typedef struct cairn_metric cairn_metric;

/* ------------------------------------------------------------------------------------------
 * Options and lifecycle
 * ---------------------------------------------------------------------------------------- */

#define CAIRN_SERVER_DEFAULT_MAX_BODY ((size_t)1 << 20) /* 1 MiB */

typedef struct cairn_server_options {
    const char *host;       /* address to bind; NULL = "127.0.0.1" ("0.0.0.0" = all) */
    int port;               /* 0 = any free port (see cairn_server_port) */
    int threads;            /* pool threads; 0 = one per core */
    size_t max_body;        /* largest request body in bytes; 0 = 1 MiB */
    const char *access_log; /* NULL = none, "-" = stderr, else a file (appended) */
    int64_t stop_timeout_ms; /* how long stop waits for in-flight requests; 0 = 10 s */
} cairn_server_options;

void cairn_server_options_init(cairn_server_options *opts); /* all defaults */

/* Starts serving. home (borrowed, must outlive the server; NULL = no home, so the feature
 * routes answer 503 and /ready is 503) gives the online store and the registry: the server
 * opens an online reader at start (or on the first request that needs it, if the home holds
 * no feature view yet). On success *out is the running server. */
int cairn_server_start(cairn_home *home, const cairn_server_options *opts, cairn_server **out,
                       cairn_error *err);
/* The bound port (the one the kernel picked when options asked for 0). */
int cairn_server_port(const cairn_server *server);
/* Stops accepting, finishes in-flight requests (up to stop_timeout_ms), closes everything
 * and frees the server. NULL is a no-op. */
void cairn_server_stop(cairn_server *server);

typedef struct cairn_server_stats {
    int64_t requests;      /* completed */
    int64_t errors_4xx, errors_5xx;
    int64_t in_flight;
    int64_t started_us;    /* wall clock at start */
} cairn_server_stats;
void cairn_server_get_stats(const cairn_server *server, cairn_server_stats *out);

/* ------------------------------------------------------------------------------------------
 * Requests, responses and routes
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_http_request {
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* without the query string */
    const char *body;    /* NUL-terminated; "" when there is none */
    size_t body_len;
    cairn_arena *arena;  /* request memory, freed once the response is queued */
    cairn_server *server;
    void *route_ud;      /* the route's ud */
    void *conn_;         /* private */
} cairn_http_request;

typedef struct cairn_http_response {
    int status;               /* 0 until set; a handler returning 0 with 0 here sends 200 */
    const char *content_type; /* static or arena; NULL = application/json */
    cairn_buf body;           /* cap: none; the server sends and frees it */
} cairn_http_response;

/* A request header's value (case-insensitive name), or NULL. Valid during the handler. */
const char *cairn_http_request_header(const cairn_http_request *req, const char *name);
/* A query-string argument's value, or NULL. Valid during the handler. */
const char *cairn_http_request_arg(const cairn_http_request *req, const char *name);

/* Sets status and replaces the body with {"error": "<formatted message>"}; returns 0 so
 * that a handler can `return cairn_http_error(resp, 400, "...")`. */
int cairn_http_error(cairn_http_response *resp, int status, const char *fmt, ...)
    CAIRN_PRINTF(3, 4);

/* A handler fills resp. Returning non-zero (a CAIRN_E* code) without having set a status
 * sends a 500 with {"error": "<cairn_strerror(code)>"}; the detail goes to the log. */
typedef int (*cairn_route_fn)(const cairn_http_request *req, cairn_http_response *resp);

typedef struct cairn_route {
    const char *method;  /* "GET", "POST", ...; copied */
    const char *path;    /* exact path, e.g. "/get-online-features"; copied */
    const char *name;    /* the route label in metrics; NULL = path; copied */
    const char *role;    /* the role a caller needs; NULL = anyone (placeholder: roles are
                            recorded now and enforced once authentication exists) */
    cairn_route_fn handler;
    void *ud;            /* borrowed; handed to the handler as req->route_ud */
} cairn_route;

#define CAIRN_SERVER_MAX_ROUTES 128

/* Adds a route; safe before or after start, from any thread (a route, once visible, stays).
 * Refuses a (method, path) already present with CAIRN_EEXIST. */
int cairn_server_add_route(cairn_server *server, const cairn_route *route, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Metrics: counters, gauges, histograms with fixed buckets; Prometheus text
 * ---------------------------------------------------------------------------------------- */

/* The server's registry (valid until cairn_server_stop). */
cairn_metrics *cairn_server_metrics(cairn_server *server);

int cairn_metrics_create(cairn_metrics **out);
void cairn_metrics_free(cairn_metrics *metrics);

/* Finds or creates the series `name{labels}`. labels is Prometheus label text without
 * braces (`route="/x",code="200"`) or NULL. The handle stays valid until the registry is
 * freed; all series of one name must share kind (and buckets). bounds are the upper bounds
 * of the histogram's buckets, ascending, +Inf implied (copied). NULL on bad use or ENOMEM. */
cairn_metric *cairn_metrics_counter(cairn_metrics *m, const char *name, const char *help,
                                    const char *labels);
cairn_metric *cairn_metrics_gauge(cairn_metrics *m, const char *name, const char *help,
                                  const char *labels);
cairn_metric *cairn_metrics_histogram(cairn_metrics *m, const char *name, const char *help,
                                      const char *labels, const double *bounds,
                                      size_t nbounds);
/* Lock-free updates; each accepts NULL (a no-op) so a failed registration never crashes. */
void cairn_metric_add(cairn_metric *metric, double delta); /* counters and gauges */
void cairn_metric_set(cairn_metric *metric, double value); /* gauges */
void cairn_metric_observe(cairn_metric *metric, double value); /* histograms */
double cairn_metric_value(const cairn_metric *metric);    /* counters, gauges; count */
/* Appends the whole registry in Prometheus text format 0.0.4. */
int cairn_metrics_render(cairn_metrics *metrics, cairn_buf *out);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_SERVE_H */
