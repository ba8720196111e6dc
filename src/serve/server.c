/* src/serve/server.c: the HTTP server: libmicrohttpd in epoll mode with an internal thread
 * pool, the route table, request bodies, JSON errors, the built-in /health, /ready and
 * /metrics, per-request metrics, the access log and graceful stop.
 *
 * A request passes through MHD's access callback several times. The first call makes its
 * state (a req_state) and resolves the route; a 404, 405 or a Content-Length over max_body
 * is answered at once. Further calls append body bytes to a capped buffer (a chunked body
 * that passes the cap is drained and answered 413). The last call, with no data, runs the
 * handler with a fresh arena, queues the response, records metrics and the access log line,
 * and releases the arena. MHD's completion callback frees the state and ends the in-flight
 * count, so stop can wait until every started request has been answered.
 *
 * The route table is append-only: entries are written under routes_lock and published by a
 * release store of nroutes, so lookups on the request path take no lock.
 *
 * Tests: tests/unit/serve/test_server.c, tests/integration/test_serve_cli.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve/serve_internal.h"

typedef struct req_state {
    int64_t start_ns;
    cairn__route_entry *route; /* NULL for 404 */
    bool too_large;
    bool answered;
    cairn_buf body;
} req_state;

static const double duration_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                         0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                         1,      2.5,     5,      10};

static int route_health(const cairn_http_request *req, cairn_http_response *resp);
static int route_ready(const cairn_http_request *req, cairn_http_response *resp);
static int route_metrics(const cairn_http_request *req, cairn_http_response *resp);

/* The built-in routes; a new module is one file plus one entry here. */
static const cairn_route builtin_routes[] = {
    {"GET", "/health", "health", NULL, route_health, NULL},
    {"GET", "/ready", "ready", NULL, route_ready, NULL},
    {"GET", "/metrics", "metrics", NULL, route_metrics, NULL},
    {"POST", "/get-online-features", "get-online-features", "reader",
     cairn__route_get_online_features, NULL},
};

/* ------------------------------------------------------------------------------------------
 * Private helpers: routes
 * ---------------------------------------------------------------------------------------- */

static void route_entry_free(cairn__route_entry *r)
{
    if (!r) return;
    cairn_free(r->method);
    cairn_free(r->path);
    cairn_free(r->name);
    cairn_free(r->role);
    cairn_free(r);
}

/* Resolves (method, path): the entry, or NULL with *path_known telling 405 from 404. */
static cairn__route_entry *route_find(cairn_server *s, const char *method, const char *path,
                                      cairn__route_entry **path_match)
{
    size_t n = atomic_load_explicit(&s->nroutes, memory_order_acquire);
    *path_match = NULL;
    for (size_t i = 0; i < n; i++) {
        cairn__route_entry *r = s->routes[i];
        if (strcmp(r->path, path) != 0) continue;
        if (!strcmp(r->method, method)) return r;
        if (!*path_match) *path_match = r;
    }
    return NULL;
}

/* "GET, POST" for the Allow header of a 405. */
static void allowed_methods(cairn_server *s, const char *path, char *out, size_t cap)
{
    size_t n = atomic_load_explicit(&s->nroutes, memory_order_acquire), used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        if (strcmp(s->routes[i]->path, path) != 0) continue;
        int w = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", s->routes[i]->method);
        if (w > 0) used += (size_t)w;
    }
}

static cairn_metric *code_counter(cairn_server *s, cairn__route_entry *r, unsigned status)
{
    if (status >= CAIRN__HTTP_CODES) status = 0;
    cairn_metric *m = atomic_load_explicit(&r->by_code[status], memory_order_acquire);
    if (m) return m;
    char labels[320];
    snprintf(labels, sizeof labels, "route=\"%s\",code=\"%u\"", r->name, status);
    m = cairn_metrics_counter(s->metrics, "cairn_http_requests_total",
                              "HTTP requests answered, by route and status code.", labels);
    atomic_store_explicit(&r->by_code[status], m, memory_order_release);
    return m;
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: responses, metrics, access log
 * ---------------------------------------------------------------------------------------- */

static void free_body(void *p)
{
    cairn_free(p);
}

static void access_log_line(cairn_server *s, struct MHD_Connection *conn, const char *method,
                            const char *path, const req_state *st, unsigned status,
                            size_t bytes, int64_t duration_us)
{
    char ts[CAIRN_TIME_FMT_LEN], remote[INET6_ADDRSTRLEN + 8] = "";
    cairn_time_format(cairn_now_us(), ts, sizeof ts);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
                      remote, sizeof remote);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                      remote, sizeof remote);
    }
    cairn_buf line;
    cairn_buf_init(&line, 64 * 1024);
    cairn_buf_printf(&line, "{\"ts\":\"%s\",\"method\":", ts);
    cairn_json_put_string(&line, method, strlen(method));
    cairn_buf_puts(&line, ",\"path\":");
    cairn_json_put_string(&line, path, strlen(path));
    cairn_buf_puts(&line, ",\"route\":");
    const char *route = st->route ? st->route->name : "unmatched";
    cairn_json_put_string(&line, route, strlen(route));
    cairn_buf_printf(&line,
                     ",\"status\":%u,\"bytes_in\":%zu,\"bytes_out\":%zu,\"duration_us\":%lld,"
                     "\"remote\":\"%s\"}\n",
                     status, st->body.len, bytes, (long long)duration_us, remote);
    const char *p = line.data;
    size_t left = line.len;
    while (left > 0) { /* one write per line: O_APPEND keeps lines whole across threads */
        ssize_t w = write(s->log_fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        left -= (size_t)w;
    }
    cairn_buf_release(&line);
}

/* Queues status + body (taking the buffer), then counts it and logs it. */
static enum MHD_Result send_response(cairn_server *s, struct MHD_Connection *conn,
                                     const char *method, const char *path, req_state *st,
                                     unsigned status, cairn_buf *body, const char *content_type,
                                     const char *allow)
{
    size_t len = body->len;
    struct MHD_Response *r;
    if (len == 0) {
        cairn_buf_release(body);
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        char *data = cairn_buf_detach(body, &len);
        r = data ? MHD_create_response_from_buffer_with_free_callback(len, data, free_body)
                 : NULL;
        if (!r) cairn_free(data);
    }
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            content_type ? content_type : "application/json");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    st->answered = true;

    int64_t dur_ns = cairn_monotonic_ns() - st->start_ns;
    cairn__route_entry *route = st->route ? st->route : &s->unmatched;
    cairn_metric_add(code_counter(s, route, status), 1);
    cairn_metric_observe(route->duration, (double)dur_ns / 1e9);
    atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
    if (status >= 500) atomic_fetch_add_explicit(&s->errors_5xx, 1, memory_order_relaxed);
    else if (status >= 400) atomic_fetch_add_explicit(&s->errors_4xx, 1, memory_order_relaxed);
    if (s->log_fd >= 0) access_log_line(s, conn, method, path, st, status, len, dur_ns / 1000);
    return ok;
}

static enum MHD_Result send_error(cairn_server *s, struct MHD_Connection *conn,
                                  const char *method, const char *path, req_state *st,
                                  unsigned status, const char *allow, const char *fmt, ...)
    CAIRN_PRINTF(8, 9);

static enum MHD_Result send_error(cairn_server *s, struct MHD_Connection *conn,
                                  const char *method, const char *path, req_state *st,
                                  unsigned status, const char *allow, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cairn_buf body;
    cairn_buf_init(&body, 0);
    cairn_buf_puts(&body, "{\"error\":");
    cairn_json_put_string(&body, msg, strlen(msg));
    cairn_buf_puts(&body, "}\n");
    return send_response(s, conn, method, path, st, status, &body, NULL, allow);
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: MHD callbacks
 * ---------------------------------------------------------------------------------------- */

static enum MHD_Result dispatch(cairn_server *s, struct MHD_Connection *conn, const char *method,
                                const char *path, req_state *st)
{
    if (st->too_large)
        return send_error(s, conn, method, path, st, 413, NULL,
                          "request body is larger than the limit of %zu bytes", s->max_body);
    cairn_arena arena;
    cairn_arena_init(&arena, 8192);
    cairn_http_request req = {method, path, st->body.data, st->body.len, &arena, s,
                              st->route->ud, conn};
    cairn_http_response resp = {0, NULL, {NULL, 0, 0, 0}};
    cairn_buf_init(&resp.body, 0);
    int rc = st->route->handler(&req, &resp);
    if (rc != 0 && resp.status == 0) {
        CAIRN_ERROR("route %s %s failed: %s", method, path, cairn_strerror(rc));
        cairn_http_error(&resp, 500, "internal error: %s", cairn_strerror(rc));
    }
    unsigned status = resp.status > 0 ? (unsigned)resp.status : 200;
    enum MHD_Result ok =
        send_response(s, conn, method, path, st, status, &resp.body, resp.content_type, NULL);
    cairn_arena_release(&arena); /* the response holds its own copy of the body */
    return ok;
}

static enum MHD_Result first_call(cairn_server *s, struct MHD_Connection *conn,
                                  const char *method, const char *path, req_state **out)
{
    req_state *st = cairn_calloc(1, sizeof *st);
    if (!st) return MHD_NO;
    st->start_ns = cairn_monotonic_ns();
    cairn_buf_init(&st->body, s->max_body);
    *out = st;
    atomic_fetch_add_explicit(&s->in_flight, 1, memory_order_relaxed);
    cairn__route_entry *same_path;
    st->route = route_find(s, method, path, &same_path);
    if (!st->route && !same_path)
        return send_error(s, conn, method, path, st, 404, NULL, "no route for %s %s", method,
                          path);
    if (!st->route) {
        char allow[128];
        allowed_methods(s, path, allow, sizeof allow);
        st->route = same_path; /* counted under the path's route */
        return send_error(s, conn, method, path, st, 405, allow,
                          "method %s is not allowed on %s (allowed: %s)", method, path, allow);
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && n > s->max_body) {
            st->too_large = true;
            return dispatch(s, conn, method, path, st);
        }
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    cairn_server *s = cls;
    req_state *st = *con_cls;
    if (!st) return first_call(s, conn, method, url, (req_state **)con_cls);
    if (st->answered) { /* an early answer: drop whatever body follows */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (!st->too_large &&
            cairn_buf_append(&st->body, upload_data, *upload_data_size) == CAIRN_ELIMIT)
            st->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return dispatch(s, conn, method, url, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    cairn_server *s = cls;
    req_state *st = *con_cls;
    if (!st) return;
    cairn_buf_release(&st->body);
    cairn_free(st);
    *con_cls = NULL;
    atomic_fetch_sub_explicit(&s->in_flight, 1, memory_order_release);
}

/* libmicrohttpd's messages (fmt is a printf format it passes through). */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) CAIRN_PRINTF(2, 0);
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n') msg[--n] = '\0';
    CAIRN_DEBUG("http: %s", msg);
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: built-in routes
 * ---------------------------------------------------------------------------------------- */

static int route_health(const cairn_http_request *req, cairn_http_response *resp)
{
    return cairn_buf_puts(&resp->body, "{\"status\":\"ok\"}\n");
}

static int route_ready(const cairn_http_request *req, cairn_http_response *resp)
{
    char why[512];
    if (!cairn__features_ready(req->server, why, sizeof why)) {
        resp->status = 503;
        cairn_buf_puts(&resp->body, "{\"status\":\"not ready\",\"reason\":");
        cairn_json_put_string(&resp->body, why, strlen(why));
        return cairn_buf_puts(&resp->body, "}\n");
    }
    return cairn_buf_puts(&resp->body, "{\"status\":\"ready\"}\n");
}

static int route_metrics(const cairn_http_request *req, cairn_http_response *resp)
{
    cairn_server *s = req->server;
    cairn_metric_set(s->in_flight_gauge,
                     (double)atomic_load_explicit(&s->in_flight, memory_order_relaxed));
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return cairn_metrics_render(s->metrics, &resp->body);
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: start
 * ---------------------------------------------------------------------------------------- */

static int parse_host(const char *host, int port, struct sockaddr_storage *ss, bool *ipv6,
                      cairn_error *err)
{
    memset(ss, 0, sizeof *ss);
    if (!strcmp(host, "localhost")) host = "127.0.0.1";
    struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *ipv6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *ipv6 = true;
        return 0;
    }
    return cairn_error_set(err, CAIRN_EINVAL,
                           "host '%s': expected an IPv4 or IPv6 address (or localhost)", host);
}

static int open_access_log(cairn_server *s, const char *path, cairn_error *err)
{
    s->log_fd = -1;
    if (!path) return 0;
    if (!strcmp(path, "-")) {
        s->log_fd = STDERR_FILENO;
        return 0;
    }
    s->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->log_fd < 0)
        return cairn_error_set(err, CAIRN_EIO, "cannot open access log '%s': %s", path,
                               strerror(errno));
    s->own_log_fd = true;
    return 0;
}

static void server_free(cairn_server *s)
{
    cairn__features_fini(s);
    size_t n = atomic_load(&s->nroutes);
    for (size_t i = 0; i < n; i++) route_entry_free(s->routes[i]);
    if (s->own_log_fd) close(s->log_fd);
    cairn_metrics_free(s->metrics);
    pthread_mutex_destroy(&s->routes_lock);
    pthread_mutex_destroy(&s->reader_lock);
    cairn_free(s);
}

static int start_daemon(cairn_server *s, const cairn_server_options *o, cairn_error *err)
{
    struct sockaddr_storage ss;
    bool ipv6 = false;
    int rc = parse_host(o->host ? o->host : "127.0.0.1", o->port, &ss, &ipv6, err);
    if (rc) return rc;
    int threads = o->threads > 0 ? o->threads : cairn_cpu_count();
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     (ipv6 ? MHD_USE_IPv6 : 0);
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
        (const struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)60, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_END);
    if (!s->daemon)
        return cairn_error_set(err, CAIRN_EIO, "cannot listen on %s:%d: %s",
                               o->host ? o->host : "127.0.0.1", o->port,
                               errno ? strerror(errno) : "libmicrohttpd refused to start");
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : o->port;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

void cairn_server_options_init(cairn_server_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

int cairn_server_add_route(cairn_server *s, const cairn_route *route, cairn_error *err)
{
    if (!route || !route->method || !route->path || !route->handler || route->path[0] != '/')
        return cairn_error_set(err, CAIRN_EINVAL,
                               "a route needs a method, a path starting with '/' and a handler");
    pthread_mutex_lock(&s->routes_lock);
    int rc = 0;
    size_t n = atomic_load_explicit(&s->nroutes, memory_order_relaxed);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!strcmp(s->routes[i]->path, route->path) && !strcmp(s->routes[i]->method, route->method))
            rc = cairn_error_set(err, CAIRN_EEXIST, "route %s %s is already registered",
                                 route->method, route->path);
    if (rc == 0 && n == CAIRN_SERVER_MAX_ROUTES)
        rc = cairn_error_set(err, CAIRN_ELIMIT, "more than %d routes", CAIRN_SERVER_MAX_ROUTES);
    cairn__route_entry *r = NULL;
    if (rc == 0 && !(r = cairn_calloc(1, sizeof *r))) rc = CAIRN_ENOMEM;
    if (rc == 0) {
        const char *name = route->name ? route->name : route->path;
        char labels[300];
        r->method = cairn_strdup(route->method);
        r->path = cairn_strdup(route->path);
        r->name = cairn_strdup(name);
        r->role = route->role ? cairn_strdup(route->role) : NULL;
        r->handler = route->handler;
        r->ud = route->ud;
        snprintf(labels, sizeof labels, "route=\"%s\"", name);
        r->duration = cairn_metrics_histogram(
            s->metrics, "cairn_http_request_duration_seconds",
            "Time from a request's headers to its queued response.", labels, duration_bounds,
            sizeof duration_bounds / sizeof *duration_bounds);
        if (!r->method || !r->path || !r->name || (route->role && !r->role) || !r->duration)
            rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory adding route %s",
                                 route->path);
    }
    if (rc == 0) {
        s->routes[n] = r;
        atomic_store_explicit(&s->nroutes, n + 1, memory_order_release);
    } else {
        route_entry_free(r);
    }
    pthread_mutex_unlock(&s->routes_lock);
    return rc;
}

int cairn_server_start(cairn_home *home, const cairn_server_options *opts, cairn_server **out,
                       cairn_error *err)
{
    cairn_server_options defaults;
    cairn_server_options_init(&defaults);
    const cairn_server_options *o = opts ? opts : &defaults;
    if (o->port < 0 || o->port > 65535)
        return cairn_error_set(err, CAIRN_EINVAL, "port %d is out of range 0..65535", o->port);
    cairn_server *s = cairn_calloc(1, sizeof *s);
    if (!s) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory starting the server");
    s->home = home;
    s->max_body = o->max_body ? o->max_body : CAIRN_SERVER_DEFAULT_MAX_BODY;
    s->stop_timeout_ms = o->stop_timeout_ms > 0 ? o->stop_timeout_ms : 10000;
    s->started_us = cairn_now_us();
    s->log_fd = -1;
    pthread_mutex_init(&s->routes_lock, NULL);
    pthread_mutex_init(&s->reader_lock, NULL);
    int rc = cairn_metrics_create(&s->metrics);
    if (rc) {
        s->metrics = NULL;
        server_free(s);
        return cairn_error_set(err, rc, "out of memory starting the server");
    }
    s->unmatched.name = (char *)"unmatched";
    s->unmatched.duration = cairn_metrics_histogram(
        s->metrics, "cairn_http_request_duration_seconds",
        "Time from a request's headers to its queued response.", "route=\"unmatched\"",
        duration_bounds, sizeof duration_bounds / sizeof *duration_bounds);
    s->in_flight_gauge = cairn_metrics_gauge(s->metrics, "cairn_http_requests_in_flight",
                                             "Requests started and not yet answered.", NULL);
    cairn_metric_set(cairn_metrics_gauge(s->metrics, "cairn_process_start_time_seconds",
                                         "When the server started (Unix time).", NULL),
                     (double)s->started_us / 1e6);
    for (size_t i = 0; rc == 0 && i < sizeof builtin_routes / sizeof *builtin_routes; i++)
        rc = cairn_server_add_route(s, &builtin_routes[i], err);
    if (rc == 0) rc = open_access_log(s, o->access_log, err);
    if (rc == 0) rc = cairn__features_init(s);
    if (rc == 0) rc = start_daemon(s, o, err);
    if (rc) {
        server_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int cairn_server_port(const cairn_server *s)
{
    return s->port;
}

void cairn_server_stop(cairn_server *s)
{
    if (!s) return;
    /* Stop accepting first; connections already open keep being served. */
    MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
    int64_t deadline = cairn_monotonic_ns() + s->stop_timeout_ms * 1000000;
    while (atomic_load_explicit(&s->in_flight, memory_order_acquire) > 0 &&
           cairn_monotonic_ns() < deadline) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int64_t left = atomic_load(&s->in_flight);
    if (left > 0) CAIRN_WARN("server stop: %lld requests still in flight after %lld ms",
                             (long long)left, (long long)s->stop_timeout_ms);
    MHD_stop_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET) close(listen_fd);
    server_free(s);
}

void cairn_server_get_stats(const cairn_server *s, cairn_server_stats *out)
{
    out->requests = atomic_load(&s->requests);
    out->errors_4xx = atomic_load(&s->errors_4xx);
    out->errors_5xx = atomic_load(&s->errors_5xx);
    out->in_flight = atomic_load(&s->in_flight);
    out->started_us = s->started_us;
}

cairn_metrics *cairn_server_metrics(cairn_server *s)
{
    return s->metrics;
}

const char *cairn_http_request_header(const cairn_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

const char *cairn_http_request_arg(const cairn_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND, name);
}

int cairn_http_error(cairn_http_response *resp, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    resp->status = status;
    resp->content_type = NULL;
    cairn_buf_reset(&resp->body);
    cairn_buf_puts(&resp->body, "{\"error\":");
    cairn_json_put_string(&resp->body, msg, strlen(msg));
    cairn_buf_puts(&resp->body, "}\n");
    return 0;
}
