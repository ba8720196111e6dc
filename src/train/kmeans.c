/* src/train/kmeans.c: the "kmeans" learner: k-means++ seeding, Lloyd iterations, restarts.
 *
 * Hyper-parameters: n_clusters (K, default 8), max_iter (default 300), n_init (restarts,
 * default 10). Restart r draws from a cairn_rng seeded with cairn_rng_derive(seed, r); the
 * restart with the lowest inertia is kept (the first on a tie).
 *
 * Seeding is the classic k-means++: the first centre is a row drawn with probability
 * proportional to its weight, each next one with probability proportional to weight times
 * the squared distance to the nearest centre so far (when every row sits on a centre, a row
 * is drawn by weight alone). Lloyd: assign every row to its nearest centre (the lowest index
 * on a tie), stop when no assignment changed or after max_iter assignments, otherwise move
 * each centre to the weighted mean of its rows; a centre left without rows moves to the row
 * farthest from its own centre (the first such row), and the next farthest for the next one.
 * So the reported labels, centres and inertia (the weighted sum of squared distances) always
 * belong together.
 *
 * Rows are split into a fixed number of blocks that depends only on the row count (never on
 * the thread count): assignment and the seeding's distance updates run block by block on the
 * default pool, and per-block sums are reduced in block order, so results are bit-identical
 * whatever the number of threads. Arithmetic is in double on the float32 matrix.
 *
 * Missing values are imputed with the training column means (the header's "impute"), in fit
 * and in predict. Prediction gives the nearest centre's index, then the Euclidean distance
 * to each centre. The native bytes are JSON {"centroids": [[...], ...], "impute": [...]}
 * (the means copied, so that it stands alone; loading reads the header's).
 *
 * Tests: tests/unit/train/test_kmeans.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/learn_internal.h"

typedef struct km_state {
    int64_t clusters, dims;
    double *centroids; /* clusters x dims */
    double *impute;    /* dims: training means */
} km_state;

static const cairn__hp_key kmeans_keys[] = {
    {"n_clusters", CAIRN__HP_INT, 1, 1e6, NULL},
    {"max_iter", CAIRN__HP_INT, 1, 1e9, NULL},
    {"n_init", CAIRN__HP_INT, 1, 1e4, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* One restart's working set. */
typedef struct km_run {
    const float *x;  /* n x d, no NaN */
    const double *w; /* NULL = 1 */
    int64_t n, d, K;
    size_t nblocks;
    int threads;
    double *centers;    /* K x d */
    int32_t *labels;    /* n */
    double *dist2;      /* n: squared distance to the own (or, seeding, nearest) centre */
    double *block_sums; /* nblocks x (K*d + K): coordinate sums then weights */
    double *block_inertia;
    int64_t *block_changed;
    int64_t new_center; /* seeding: the centre to fold into dist2 */
} km_run;

static double weight_at(const km_run *r, int64_t i)
{
    return r->w ? r->w[i] : 1.0;
}

static double dist2_to(const float *row, const double *c, int64_t d)
{
    double s = 0;
    for (int64_t j = 0; j < d; j++) {
        double t = (double)row[j] - c[j];
        s += t * t;
    }
    return s;
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: k-means++
 * ---------------------------------------------------------------------------------------- */

static void seed_block(void *arg, size_t b)
{
    km_run *r = arg;
    int64_t begin, end;
    cairn__block_range(r->n, r->nblocks, b, &begin, &end);
    const double *c = r->centers + r->new_center * r->d;
    double total = 0;
    for (int64_t i = begin; i < end; i++) {
        double t = dist2_to(r->x + i * r->d, c, r->d);
        if (r->new_center == 0 || t < r->dist2[i]) r->dist2[i] = t;
        total += weight_at(r, i) * r->dist2[i];
    }
    r->block_inertia[b] = total;
}

/* A row drawn with probability proportional to w_i * (use_dist ? dist2_i : 1). */
static int64_t draw_row(const km_run *r, cairn_rng *rng, bool use_dist, double total)
{
    double u = cairn_rng_uniform(rng) * total, acc = 0;
    int64_t last = -1;
    for (int64_t i = 0; i < r->n; i++) {
        double p = weight_at(r, i) * (use_dist ? r->dist2[i] : 1.0);
        if (!(p > 0)) continue;
        acc += p;
        last = i;
        if (acc > u) return i;
    }
    return last; /* rounding left u just above the running sum */
}

static void plus_plus(km_run *r, cairn_rng *rng)
{
    double wsum = 0;
    for (int64_t i = 0; i < r->n; i++)
        wsum += weight_at(r, i);
    for (int64_t c = 0; c < r->K; c++) {
        int64_t pick;
        if (c == 0)
            pick = draw_row(r, rng, false, wsum);
        else {
            double total = 0;
            for (size_t b = 0; b < r->nblocks; b++)
                total += r->block_inertia[b];
            pick = total > 0 ? draw_row(r, rng, true, total) : draw_row(r, rng, false, wsum);
        }
        for (int64_t j = 0; j < r->d; j++)
            r->centers[c * r->d + j] = r->x[pick * r->d + j];
        r->new_center = c;
        cairn__parallel(r->threads, r->nblocks, seed_block, r);
    }
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: Lloyd
 * ---------------------------------------------------------------------------------------- */

static int32_t nearest(const km_run *r, const float *row, double *best_d2)
{
    int32_t best = 0;
    double bd = INFINITY;
    for (int64_t c = 0; c < r->K; c++) {
        double t = dist2_to(row, r->centers + c * r->d, r->d);
        if (t < bd) bd = t, best = (int32_t)c;
    }
    *best_d2 = bd;
    return best;
}

static void assign_block(void *arg, size_t b)
{
    km_run *r = arg;
    int64_t begin, end, K = r->K, d = r->d;
    cairn__block_range(r->n, r->nblocks, b, &begin, &end);
    double *sums = r->block_sums + b * (size_t)(K * d + K), *weights = sums + K * d;
    memset(sums, 0, (size_t)(K * d + K) * sizeof *sums);
    double inertia = 0;
    int64_t changed = 0;
    for (int64_t i = begin; i < end; i++) {
        const float *row = r->x + i * d;
        double d2;
        int32_t c = nearest(r, row, &d2);
        changed += c != r->labels[i];
        r->labels[i] = c;
        r->dist2[i] = d2;
        double w = weight_at(r, i);
        inertia += w * d2;
        weights[c] += w;
        for (int64_t j = 0; j < d; j++)
            sums[c * d + j] += w * row[j];
    }
    r->block_inertia[b] = inertia;
    r->block_changed[b] = changed;
}

/* Moves the centres to their rows' means; an empty centre goes to the farthest row. */
static void update_centers(km_run *r)
{
    int64_t K = r->K, d = r->d;
    double *total = r->block_sums; /* block 0 accumulates the others, in block order */
    for (size_t b = 1; b < r->nblocks; b++) {
        const double *s = r->block_sums + b * (size_t)(K * d + K);
        for (int64_t t = 0; t < K * d + K; t++)
            total[t] += s[t];
    }
    const double *weights = total + K * d;
    for (int64_t c = 0; c < K; c++) {
        if (weights[c] > 0) {
            for (int64_t j = 0; j < d; j++)
                r->centers[c * d + j] = total[c * d + j] / weights[c];
            continue;
        }
        int64_t far = 0;
        for (int64_t i = 1; i < r->n; i++)
            if (r->dist2[i] > r->dist2[far]) far = i;
        for (int64_t j = 0; j < d; j++)
            r->centers[c * d + j] = r->x[far * d + j];
        r->dist2[far] = -1; /* not chosen again */
    }
}

/* One restart: seeding then Lloyd. Leaves centres, labels and *inertia consistent. */
static void run_once(km_run *r, cairn_rng *rng, int64_t max_iter, double *inertia,
                     int64_t *iterations)
{
    plus_plus(r, rng);
    for (int64_t i = 0; i < r->n; i++)
        r->labels[i] = -1;
    for (int64_t it = 1;; it++) {
        cairn__parallel(r->threads, r->nblocks, assign_block, r);
        double sum = 0;
        int64_t changed = 0;
        for (size_t b = 0; b < r->nblocks; b++)
            sum += r->block_inertia[b], changed += r->block_changed[b];
        *inertia = sum;
        *iterations = it;
        if (changed == 0 || it >= max_iter) return;
        update_centers(r);
    }
}

/* ------------------------------------------------------------------------------------------
 * The learner
 * ---------------------------------------------------------------------------------------- */

static void km_free(void *state)
{
    km_state *s = state;
    if (!s) return;
    cairn_free(s->centroids);
    cairn_free(s->impute);
    cairn_free(s);
}

static km_state *km_new(int64_t K, int64_t d)
{
    km_state *s = cairn_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->clusters = K;
    s->dims = d;
    s->centroids = cairn_calloc((size_t)(K * d), sizeof(double));
    s->impute = cairn_calloc((size_t)d, sizeof(double));
    if (!s->centroids || !s->impute) {
        km_free(s);
        return NULL;
    }
    return s;
}

/* The training matrix with NaN replaced by the column means (x itself when it has none). */
static int imputed(const cairn_matrix *x, km_state *s, float **copy, const float **out)
{
    cairn__standardize st;
    if (cairn__standardize_fit(x, &st)) return CAIRN_ENOMEM;
    memcpy(s->impute, st.mean, (size_t)x->cols * sizeof(double));
    cairn__standardize_release(&st);
    size_t cells = (size_t)x->rows * (size_t)x->cols;
    *copy = NULL;
    *out = x->values;
    size_t i = 0;
    while (i < cells && x->values[i] == x->values[i])
        i++;
    if (i == cells) return 0;
    *copy = cairn_malloc(cells * sizeof(float));
    if (!*copy) return CAIRN_ENOMEM;
    for (i = 0; i < cells; i++) {
        float v = x->values[i];
        (*copy)[i] = v == v ? v : (float)s->impute[i % (size_t)x->cols];
    }
    *out = *copy;
    return 0;
}

static void km_run_release(km_run *r)
{
    cairn_free(r->centers);
    cairn_free(r->labels);
    cairn_free(r->dist2);
    cairn_free(r->block_sums);
    cairn_free(r->block_inertia);
    cairn_free(r->block_changed);
    memset(r, 0, sizeof *r); /* safe to release again */
}

static int km_run_init(km_run *r, const float *x, const cairn__fit *f, int64_t K)
{
    memset(r, 0, sizeof *r);
    r->x = x;
    r->w = f->train->weights;
    r->n = f->train->x->rows;
    r->d = f->train->x->cols;
    r->K = K;
    r->threads = f->threads;
    r->nblocks = cairn__blocks(r->n, 2048, 256);
    r->centers = cairn_malloc((size_t)(K * r->d) * sizeof(double));
    r->labels = cairn_malloc((size_t)r->n * sizeof(int32_t));
    r->dist2 = cairn_malloc((size_t)r->n * sizeof(double));
    r->block_sums = cairn_malloc(r->nblocks * (size_t)(K * r->d + K) * sizeof(double));
    r->block_inertia = cairn_calloc(r->nblocks, sizeof(double));
    r->block_changed = cairn_calloc(r->nblocks, sizeof(int64_t));
    if (!r->centers || !r->labels || !r->dist2 || !r->block_sums || !r->block_inertia ||
        !r->block_changed) {
        km_run_release(r);
        return CAIRN_ENOMEM;
    }
    return 0;
}

static int restarts(cairn_model *m, const cairn__fit *f, km_run *r, km_state *s, cairn_error *err)
{
    const cairn_learner_params *p = f->params;
    int64_t n_init = cairn__hp_int(f->hyper, "n_init", 10);
    int64_t max_iter = cairn__hp_int(f->hyper, "max_iter", 300);
    double best = INFINITY;
    for (int64_t t = 0; t < n_init; t++) {
        cairn_rng rng;
        cairn_rng_seed(&rng, cairn_rng_derive(p->seed, (uint64_t)t));
        double inertia;
        int64_t iterations;
        run_once(r, &rng, max_iter, &inertia, &iterations);
        if (inertia < best || t == 0) {
            best = inertia;
            memcpy(s->centroids, r->centers, (size_t)(r->K * r->d) * sizeof(double));
            m->info.inertia = inertia;
            m->info.rounds = iterations;
        }
        if (p->progress && !p->progress(p->progress_ud, "kmeans", t + 1, n_init))
            return cairn_error_set(err, CAIRN_ECANCELED, "k-means canceled after %lld restarts",
                                   (long long)t + 1);
    }
    snprintf(m->metric, sizeof m->metric, "inertia");
    return 0;
}

static int km_fit(cairn_model *m, const cairn__fit *f, cairn_error *err)
{
    int rc = cairn__hp_check(f->hyper, kmeans_keys, "kmeans", err);
    if (rc) return rc;
    int64_t K = cairn__hp_int(f->hyper, "n_clusters", 8), n = f->train->x->rows;
    if (K > n)
        return cairn_error_set(err, CAIRN_EINVAL, "kmeans: %lld clusters but only %lld rows",
                               (long long)K, (long long)n);
    km_state *s = km_new(K, m->num_features);
    float *copy = NULL;
    const float *x = NULL;
    km_run r;
    memset(&r, 0, sizeof r);
    if (!s || imputed(f->train->x, s, &copy, &x) || km_run_init(&r, x, f, K))
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0) rc = restarts(m, f, &r, s, err);
    km_run_release(&r);
    cairn_free(copy);
    if (rc) {
        km_free(s);
        return rc;
    }
    m->num_class = (int)K;
    m->info.num_class = (int)K;
    m->state = s;
    return 0;
}

typedef struct predict_job {
    const km_state *s;
    const cairn_matrix *x;
    double *out;
    size_t nblocks;
    bool failed;
} predict_job;

static void predict_block(void *arg, size_t b)
{
    predict_job *job = arg;
    const km_state *s = job->s;
    int64_t begin, end, K = s->clusters, d = s->dims;
    cairn__block_range(job->x->rows, job->nblocks, b, &begin, &end);
    double *row = cairn_malloc((size_t)d * sizeof *row);
    if (!row) {
        job->failed = true;
        return;
    }
    for (int64_t i = begin; i < end; i++) {
        const float *x = job->x->values + i * d;
        for (int64_t j = 0; j < d; j++)
            row[j] = x[j] == x[j] ? (double)x[j] : s->impute[j];
        double *o = job->out + i * (K + 1), best = INFINITY;
        for (int64_t c = 0; c < K; c++) {
            double t = 0;
            for (int64_t j = 0; j < d; j++) {
                double diff = row[j] - s->centroids[c * d + j];
                t += diff * diff;
            }
            if (t < best) best = t, o[0] = (double)c;
            o[c + 1] = sqrt(t);
        }
    }
    cairn_free(row);
}

static int km_predict(const cairn_model *m, const cairn_matrix *x, cairn_predict_kind kind,
                      double *out, cairn_error *err)
{
    predict_job job = {m->state, x, out, cairn__blocks(x->rows, 8192, 64), false};
    cairn__parallel(cairn_cpu_count(), job.nblocks, predict_block, &job);
    return job.failed ? cairn_error_set(err, CAIRN_ENOMEM, "out of memory") : 0;
}

static int km_save(const cairn_model *m, json_t *header, cairn_buf *native, cairn_error *err)
{
    const km_state *s = m->state;
    json_t *o = json_object(), *cs = json_array();
    if (!o || !cs) {
        json_decref(o);
        json_decref(cs);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory writing the model");
    }
    int bad = json_object_set_new(o, "centroids", cs);
    for (int64_t c = 0; !bad && c < s->clusters; c++)
        bad = json_array_append_new(
            cs, cairn__json_doubles(s->centroids + c * s->dims, (size_t)s->dims));
    if (!bad)
        bad = json_object_set_new(o, "impute", cairn__json_doubles(s->impute, (size_t)s->dims));
    if (!bad)
        bad =
            json_object_set_new(header, "impute", cairn__json_doubles(s->impute, (size_t)s->dims));
    if (!bad) bad = cairn_json_dump(o, 0, native);
    json_decref(o);
    return bad ? cairn_error_set(err, CAIRN_ENOMEM, "out of memory writing the model") : 0;
}

static int km_load(cairn_model *m, const json_t *header, const char *native, size_t len,
                   cairn_error *err)
{
    if (m->objective != CAIRN_OBJECTIVE_CLUSTERING || m->num_class < 1)
        return cairn_error_set(err, CAIRN_ECORRUPT, "model header: not a clustering model");
    km_state *s = km_new(m->num_class, m->num_features);
    if (!s) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    json_t *o = NULL;
    int rc = cairn_json_parse(native, len, "model", &o, err);
    if (rc && rc != CAIRN_ENOMEM)
        rc = cairn_error_set(err, CAIRN_ECORRUPT, "model bytes: not JSON");
    const json_t *cs = json_object_get(o, "centroids");
    bool ok =
        rc == 0 && json_is_array(cs) && json_array_size(cs) == (size_t)s->clusters &&
        cairn__json_read_doubles(json_object_get(header, "impute"), s->impute, (size_t)s->dims);
    for (int64_t c = 0; ok && c < s->clusters; c++)
        ok = cairn__json_read_doubles(json_array_get(cs, (size_t)c), s->centroids + c * s->dims,
                                      (size_t)s->dims);
    if (rc == 0 && !ok)
        rc = cairn_error_set(err, CAIRN_ECORRUPT, "model bytes: malformed centroids");
    json_decref(o);
    if (rc) {
        km_free(s);
        return rc;
    }
    m->state = s;
    return 0;
}

const cairn__learner cairn__learner_kmeans = {
    .name = "kmeans",
    .objectives = 1u << CAIRN_OBJECTIVE_CLUSTERING,
    .native_format = "json",
    .fit = km_fit,
    .predict = km_predict,
    .save = km_save,
    .load = km_load,
    .free_state = km_free,
};
