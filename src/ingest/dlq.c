/* src/ingest/dlq.c: the dead-letter store: listing, showing and replaying rejected records.
 *
 * Dead letters are rows of dlq_records in the catalog, written by the ingest in the same
 * transaction as its snapshot (so a record is either in the lake, or a dead letter, or, when
 * the ingest did not commit, nowhere and still in its source). Each keeps the original record
 * (a CSV row with its header line, a JSON Lines line, or a row of a typed source as a JSON
 * object), its source and line or row, the stage and reason, and the schema version.
 *
 * Replay re-reads each pending record on its own under the schema's latest version (so a
 * record with newlines in quoted fields stays one record), and runs the accepted ones through
 * the ordinary ingest job: they are committed as one snapshot and marked replayed; those
 * still failing stay pending with their new reason.
 *
 * Tests: tests/unit/ingest/test_ingest.c, tests/integration/test_ingest_cli.sh.
 */
#include <stdio.h>
#include <string.h>

#include "ingest/ingest_work.h"

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

void cairn_dlq_records_free(cairn_dlq_record *records, size_t count)
{
    for (size_t i = 0; records && i < count; i++) {
        cairn_free(records[i].header);
        cairn_free(records[i].raw);
    }
    cairn_free(records);
}

static char *copy_text(cairn_stmt *st, int col)
{
    if (cairn_stmt_is_null(st, col)) return NULL;
    size_t len;
    const char *s = cairn_stmt_text(st, col, &len);
    char *p = cairn_malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = 0;
    }
    return p;
}

static void put(char *dst, size_t cap, cairn_stmt *st, int col)
{
    size_t len;
    const char *s = cairn_stmt_text(st, col, &len);
    snprintf(dst, cap, "%.*s", (int)len, s);
}

#define DLQ_COLUMNS                                                                            \
    "id, at, source, location, line, stage, reason, field, format, header, raw, "              \
    "schema_version, snapshot, status"

static int read_row(cairn_stmt *st, cairn_dlq_record *r)
{
    memset(r, 0, sizeof *r);
    r->id = cairn_stmt_int64(st, 0);
    put(r->at, sizeof r->at, st, 1);
    put(r->source, sizeof r->source, st, 2);
    put(r->location, sizeof r->location, st, 3);
    r->line = cairn_stmt_is_null(st, 4) ? 0 : cairn_stmt_int64(st, 4);
    put(r->stage, sizeof r->stage, st, 5);
    put(r->reason, sizeof r->reason, st, 6);
    put(r->field, sizeof r->field, st, 7);
    put(r->format, sizeof r->format, st, 8);
    r->header = copy_text(st, 9);
    r->raw = copy_text(st, 10);
    r->schema_version = cairn_stmt_int64(st, 11);
    put(r->snapshot, sizeof r->snapshot, st, 12);
    put(r->status, sizeof r->status, st, 13);
    return r->raw && (cairn_stmt_is_null(st, 9) || r->header) ? 0 : CAIRN_ENOMEM;
}

static int query(cairn_home *home, const char *sql, const char *dataset, int64_t id,
                 cairn_dlq_record **out, size_t *count, cairn_error *err)
{
    cairn_stmt *st;
    *out = NULL;
    *count = 0;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home), sql, &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, dataset, strlen(dataset));
    if (id) cairn_stmt_bind_int64(st, 2, id);
    cairn_dlq_record *recs = NULL;
    size_t n = 0, cap = 0;
    while ((rc = cairn_stmt_step(st, err)) == 1) {
        if (cairn_grow((void **)&recs, &cap, n + 1, sizeof *recs)) {
            rc = oom(err);
            break;
        }
        if (read_row(st, &recs[n++])) {
            rc = oom(err);
            break;
        }
    }
    cairn_stmt_finalize(st);
    if (rc < 0) {
        cairn_dlq_records_free(recs, n);
        return rc;
    }
    *out = recs;
    *count = n;
    return 0;
}

int cairn_dlq_list(cairn_home *home, const char *dataset, bool all, cairn_dlq_record **out,
                   size_t *count, cairn_error *err)
{
    return query(home,
                 all ? "SELECT " DLQ_COLUMNS " FROM dlq_records WHERE dataset = ? ORDER BY id"
                     : "SELECT " DLQ_COLUMNS " FROM dlq_records WHERE dataset = ? AND status = "
                       "'pending' ORDER BY id",
                 dataset, 0, out, count, err);
}

int cairn_dlq_get(cairn_home *home, const char *dataset, int64_t id, cairn_dlq_record **out,
                  cairn_error *err)
{
    size_t n = 0;
    int rc = query(home, "SELECT " DLQ_COLUMNS " FROM dlq_records WHERE dataset = ? AND id = ?",
                   dataset, id, out, &n, err);
    if (rc == 0 && n == 0)
        return cairn_error_set(err, CAIRN_ENOTFOUND, "dataset '%s' has no dead letter %lld",
                               dataset, (long long)id);
    return rc;
}

/* One dead letter re-read and re-validated: accepted rows join the job's batch; a failure
 * becomes an updated dead letter. */
static int replay_one(cairn__job *j, const cairn_dlq_record *r, cairn_error *err)
{
    cairn_buf text;
    cairn_buf_init(&text, 0);
    const char *format = !strcmp(r->format, "csv") ? "csv" : "jsonl";
    int rc = 0;
    if (r->header) rc = cairn_buf_printf(&text, "%s\n", r->header);
    if (rc == 0) rc = cairn_buf_printf(&text, "%s\n", r->raw);
    if (rc) {
        cairn_buf_release(&text);
        return oom(err);
    }
    size_t dl_before = j->ndl, inputs_before = j->ninputs;
    cairn_error e;
    cairn_error_clear(&e);
    rc = cairn__job_read_buffer(j, text.data, text.len, format, r->source, NULL, &e);
    cairn_buf_release(&text);
    if (inputs_before < j->ninputs) {
        /* a replay is not a new input: it is counted by nreplayed, recorded by id */
        cairn__input *in = &j->inputs[--j->ninputs];
        cairn_free(in->source);
    }
    if (rc == CAIRN_ENOMEM) return oom(err);
    if (rc) { /* the whole record failed (e.g. a column the schema no longer has) */
        cairn__dead_letter d = {0};
        d.replay_id = r->id;
        d.stage = "validate";
        d.format = "json";
        d.reason = cairn_malloc(sizeof e.message);
        if (!d.reason) return oom(err);
        snprintf(d.reason, sizeof e.message, "%s", e.message);
        snprintf(d.field, sizeof d.field, "%s", e.field);
        return cairn__job_dead_letter(j, &d, err);
    }
    if (j->ndl > dl_before) { /* still bad: update the stored letter, keep it pending */
        for (size_t i = dl_before; i < j->ndl; i++)
            j->dl[i].replay_id = r->id;
        return 0;
    }
    if (cairn_grow((void **)&j->replayed, &j->repcap, j->nreplayed + 1, sizeof *j->replayed))
        return oom(err);
    j->replayed[j->nreplayed++] = r->id;
    return 0;
}

int cairn_dlq_replay(cairn_home *home, const char *dataset, const cairn_ingest_options *opts,
                     cairn_ingest_result *result, cairn_error *err)
{
    cairn_dlq_record *recs = NULL;
    size_t n = 0;
    cairn__job j;
    cairn_ingest_options o;
    if (opts) o = *opts;
    else cairn_ingest_options_init(&o);
    o.operation = "replay";
    o.force = true;
    int rc = cairn__job_open(&j, home, dataset, &o, result, err);
    if (rc == 0) rc = cairn_dlq_list(home, dataset, false, &recs, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = replay_one(&j, &recs[i], err);
        if (o.progress && !o.progress(o.progress_ud, "replaying", (int64_t)i + 1, (int64_t)n))
            rc = cairn_error_set(err, CAIRN_ECANCELED, "replay cancelled");
    }
    if (rc == 0 && n == 0) result->noop = true;
    else if (rc == 0) rc = cairn__job_commit(&j, err);
    cairn_dlq_records_free(recs, n);
    cairn__job_close(&j);
    return rc;
}
