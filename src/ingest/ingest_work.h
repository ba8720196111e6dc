/* src/ingest/ingest_work.h: the ingest job, shared by ingest.c (files, buffers) and dlq.c
 * (replay) (private).
 *
 * A job collects accepted rows in one batch table and rejected records as dead letters, then
 * commits them together as one snapshot (see the stages in ingest.c). A dead letter that is
 * being replayed carries its dlq id: it is updated in place if it fails again, and marked
 * replayed when its record is accepted.
 *
 * Tests: tests/unit/ingest/test_ingest.c.
 */
#ifndef CAIRN_INGEST_WORK_H
#define CAIRN_INGEST_WORK_H

#include <pthread.h>
#include <stdatomic.h>

#include "cairn/ingest.h"

typedef struct cairn__dead_letter {
    char *source;
    char location[128];
    int64_t line;
    const char *stage;  /* static: "parse", "validate" */
    char *reason;
    char field[128];
    const char *format; /* static: "csv", "jsonl", "json" */
    char *header;
    char *raw;
    int64_t replay_id;  /* the dlq record this replays, 0 for a new one */
} cairn__dead_letter;

typedef struct cairn__input {
    char sha[65];
    char *source;
    bool stream; /* a buffer: not recorded in ingested_files */
    int64_t read, rejected, accepted;
} cairn__input;

typedef struct cairn__job {
    cairn_home *home;
    const char *dataset;
    cairn_dataset_schema *schema;
    int64_t version;
    cairn_ingest_options opts;
    cairn_ingest_result *res;
    cairn_field *fields;
    size_t nfields;
    cairn_table *batch; /* accepted rows, in schema order */
    cairn__dead_letter *dl;
    size_t ndl, dlcap;
    cairn__input *inputs;
    size_t ninputs, incap;
    int64_t *replayed; /* dlq ids whose records were accepted */
    size_t nreplayed, repcap;
    cairn_snapshot *head;
    char quality_id[65];
    int64_t started_ns;
} cairn__job;

int cairn__job_open(cairn__job *j, cairn_home *home, const char *dataset,
                    const cairn_ingest_options *opts, cairn_ingest_result *result,
                    cairn_error *err);
void cairn__job_close(cairn__job *j);
int cairn__job_read_file(cairn__job *j, const char *path, cairn_error *err);
/* format "csv" or "jsonl"; locations may be NULL. */
int cairn__job_read_buffer(cairn__job *j, const char *data, size_t len, const char *format,
                           const char *source, const char *const *locations, cairn_error *err);
int cairn__job_commit(cairn__job *j, cairn_error *err);
/* Takes ownership of *d's strings (also on failure) and clears it. */
int cairn__job_dead_letter(cairn__job *j, cairn__dead_letter *d, cairn_error *err);
void cairn__dead_letter_clear(cairn__dead_letter *d);
/* Columns in schema order, promoted to the schema's types. */
int cairn__conform(cairn__job *j, cairn_table **table, const char *source, cairn_error *err);
/* A row as compact JSON text (cairn_free), NULL on ENOMEM. */
char *cairn__row_json(const cairn_table *table, int64_t row);
/* Compact JSON text of a value (cairn_free), NULL on ENOMEM. */
char *cairn__json_text(const json_t *value);

#endif
