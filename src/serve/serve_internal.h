/* src/serve/serve_internal.h: what the server's files share: the server struct, the
 * built-in route modules and the get-online-features request parser (kept free of the
 * server so the fuzz target can call it alone).
 *
 * Tests: tests/unit/serve/test_server.c, tests/fuzz/fuzz_http_body.c.
 */
#ifndef CAIRN_SERVE_INTERNAL_H
#define CAIRN_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "cairn/feature.h"
#include "cairn/json.h"
#include "cairn/serve.h"

#define CAIRN__HTTP_CODES 600 /* status codes 0..599 index the per-route counters */

typedef struct cairn__route_entry {
    char *method, *path, *name, *role;
    cairn_route_fn handler;
    void *ud;
    cairn_metric *duration;                           /* histogram {route} */
    _Atomic(cairn_metric *) by_code[CAIRN__HTTP_CODES]; /* requests_total {route,code} */
} cairn__route_entry;

struct cairn_server {
    struct MHD_Daemon *daemon;
    cairn_home *home; /* borrowed */
    int port;
    size_t max_body;
    int64_t stop_timeout_ms;
    int log_fd; /* -1 = no access log */
    bool own_log_fd;
    cairn_metrics *metrics;
    int64_t started_us;

    pthread_mutex_t routes_lock; /* writers only; readers load nroutes (acquire) */
    cairn__route_entry *routes[CAIRN_SERVER_MAX_ROUTES];
    _Atomic size_t nroutes;
    cairn__route_entry unmatched; /* label for 404s */

    _Atomic int64_t in_flight, requests, errors_4xx, errors_5xx;
    cairn_metric *in_flight_gauge;

    /* The get-online-features module (routes_features.c). */
    pthread_mutex_t reader_lock;
    _Atomic(cairn_online_reader *) reader;
    int64_t reader_tried_ns;     /* last failed open, to retry at most once a second */
    char reader_error[512];
    cairn_metric *lookups_total; /* entities looked up */
    cairn_metric *lookup_errors_total;
};

/* ------------------------------------------------------------------------------------------
 * get-online-features (routes_features.c)
 * ---------------------------------------------------------------------------------------- */

/* A parsed request. Strings point into doc, which the caller releases with
 * cairn__features_request_release. */
typedef struct cairn__features_request {
    json_t *doc;
    const char *service;    /* or NULL */
    const char **features;  /* nfeatures names (arena), when service is NULL */
    size_t nfeatures;
    const json_t *entities; /* the object {"key": [values...]} */
    size_t nentities;       /* values per key */
} cairn__features_request;

/* Parses and checks a body; on failure returns CAIRN_EPARSE (not JSON) or CAIRN_EINVAL (a
 * wrong field) with a message naming the problem in err, and nothing to release. */
int cairn__features_request_parse(const char *body, size_t len, cairn_arena *arena,
                                  cairn__features_request *out, cairn_error *err);
void cairn__features_request_release(cairn__features_request *req);
/* Renders a lookup's result in Feast's column-major shape, join keys first. */
int cairn__features_render(const cairn__features_request *req, const cairn_online_result *res,
                           cairn_buf *out);

int cairn__features_init(cairn_server *server);  /* at start: metrics, a first open */
void cairn__features_fini(cairn_server *server); /* at stop: closes the reader */
/* Whether the module can answer (writes the reason when not). */
bool cairn__features_ready(cairn_server *server, char *why, size_t cap);
int cairn__route_get_online_features(const cairn_http_request *req, cairn_http_response *resp);

#endif
