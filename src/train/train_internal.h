/* src/train/train_internal.h: the state of one `cairn train` job, shared by
 * src/train/prepare.c (data, split, encoders, matrices) and src/train/train.c (learners,
 * search, evaluation, report). Not installed. */
#ifndef CAIRN_TRAIN_INTERNAL_H
#define CAIRN_TRAIN_INTERNAL_H

#include "cairn/catalog.h"
#include "cairn/feature.h"
#include "cairn/json.h"
#include "cairn/learn.h"
#include "cairn/split.h"
#include "cairn/train.h"

typedef struct cairn__train_encoder {
    const char *column;        /* borrowed from the data table */
    cairn_encoder *enc;
    cairn_column *train_oof;   /* TARGET: the training rows' out-of-fold values */
} cairn__train_encoder;

typedef struct cairn_trainer {
    cairn_home *home;
    const cairn_train_config *cfg;
    cairn_error *err;

    cairn_table *data;          /* the training set, plus slice columns */
    char set_id[65];            /* training-set id, or the file's SHA-256 */
    bool set_is_id;
    double *y;                  /* labels of every row (NaN: null) */
    int num_class;
    int64_t positives;          /* rows equal to cfg->positive */
    int64_t *times;             /* the time column's values, or NULL */
    int8_t *part;               /* CAIRN_PART_* per row */
    int64_t *rows[CAIRN_PART_COUNT];  /* row indices of each part */
    int64_t nrows[CAIRN_PART_COUNT];
    int64_t dropped, null_labels;

    const char **inputs;        /* numeric input columns (borrowed) */
    size_t ninputs;
    cairn__train_encoder *encoders;
    size_t nencoders;
    char **features;            /* matrix columns (owned) */
    size_t nfeatures;
    cairn_matrix x[CAIRN_PART_COUNT];
    double *yp[CAIRN_PART_COUNT];
    json_t *notes;              /* things the report should say (strings) */
} cairn_trainer;

int cairn__train_prepare(cairn_trainer *t);
void cairn__train_prepare_release(cairn_trainer *t);

#endif /* CAIRN_TRAIN_INTERNAL_H */
