/* src/train/config.c: training configurations (cairn_train_config in include/cairn/train.h).
 *
 * The YAML is read into a cairn_yaml tree (which remembers lines and columns), checked key by
 * key against the known keys of each mapping, and copied into the config: strings into an
 * arena, free-form objects (learner params, search spaces, the split) into jansson values
 * (cairn_yaml_to_json). Every error names the file, the line and column, and the key.
 * Checks that need the data (columns exist, time ranges hold rows) happen when the job runs.
 *
 * Tests: tests/unit/train/test_config.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/json.h"
#include "cairn/metrics.h"
#include "cairn/train.h"
#include "cairn/yaml.h"

typedef struct priv {
    cairn_arena arena;
    cairn_yaml_doc *doc;
} priv;

typedef struct ctx {
    const cairn_yaml_doc *doc;
    cairn_train_config *cfg;
    cairn_arena *arena;
    cairn_error *err;
} ctx;

static const char *const top_keys[] = {
    "experiment", "training_set", "task", "label", "positive", "time", "features", "exclude", "seed",
    "split", "calibration", "learners", "baseline", "gate", "metrics", "select", "costs",
    "threshold", "slices", "fairness", "bootstrap", "explain", "nested", NULL};
static const char *const learner_keys[] = {"name", "learner", "params", "rounds", "early_stopping",
                                           "checkpoint", "search", NULL};
static const char *const search_keys[] = {"sampler", "trials", "pruner", "space", NULL};
static const char *const baseline_keys[] = {"learner", "params", "rule", NULL};
static const char *const rule_keys[] = {"column", "above", NULL};
static const char *const gate_keys[] = {"metric", "margin", "alpha", NULL};
static const char *const cost_keys[] = {"false_positive", "false_negative", "true_positive",
                                        "true_negative", NULL};
static const char *const calib_keys[] = {"method", "fraction", NULL};
static const char *const slice_keys[] = {"name", "column", "lookup", "bins", "map", NULL};
static const char *const lookup_keys[] = {"file", "key", "value", NULL};
static const char *const fair_keys[] = {"attribute", "privileged", "threshold", NULL};
static const char *const boot_keys[] = {"resamples", "confidence", NULL};
static const char *const explain_keys[] = {"shap", "permutation", "rows", "top", NULL};
static const char *const nested_keys[] = {"outer", "inner", "trials", NULL};
static const char *const learner_kinds[] = {"xgboost", "logistic", "linear", "kmeans", NULL};

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

static int perr(ctx *c, const cairn_yaml_node *n, const char *key, const char *fmt, const char *arg)
{
    cairn_yaml_error(c->doc, n, CAIRN_EPARSE, c->err, "key '%s': %s%s", key, fmt, arg ? arg : "");
    cairn_error_field(c->err, key);
    return CAIRN_EPARSE;
}

/* Every key of map must be in known; the error lists them. */
static int check_keys(ctx *c, const cairn_yaml_node *map, const char *what, const char *const *known)
{
    if (!map || map->kind != CAIRN_YAML_MAPPING)
        return cairn_yaml_error(c->doc, map, CAIRN_EPARSE, c->err, "%s: expected a mapping", what);
    for (size_t i = 0; i < map->count; i++) {
        const char *k = map->keys[i]->scalar;
        bool ok = false;
        for (size_t j = 0; known[j] && !ok; j++) ok = !strcmp(k, known[j]);
        if (ok) continue;
        cairn_buf b;
        cairn_buf_init(&b, 0);
        for (size_t j = 0; known[j]; j++) cairn_buf_printf(&b, "%s%s", j ? ", " : "", known[j]);
        cairn_yaml_error(c->doc, map->keys[i], CAIRN_EPARSE, c->err, "%s: unknown key '%s' (known: %s)", what,
                         k, b.data ? b.data : "");
        cairn_error_field(c->err, k);
        cairn_buf_release(&b);
        return CAIRN_EPARSE;
    }
    return 0;
}

static const cairn_yaml_node *get(const cairn_yaml_node *map, const char *key)
{
    const cairn_yaml_node *n = cairn_yaml_get(map, key);
    return n && !cairn_yaml_is_null(n) ? n : NULL;
}

static int str(ctx *c, const cairn_yaml_node *map, const char *key, bool required, const char **out)
{
    const cairn_yaml_node *n = get(map, key);
    if (!n) {
        if (required) return cairn_yaml_error(c->doc, map, CAIRN_EPARSE, c->err, "missing key '%s'", key);
        return 0;
    }
    const char *s;
    int rc = cairn_yaml_str(c->doc, n, key, &s, c->err);
    if (rc) return rc;
    if (!(*out = cairn_arena_strdup(c->arena, s))) return oom(c->err);
    return 0;
}

static int num(ctx *c, const cairn_yaml_node *map, const char *key, double lo, double hi, double *out)
{
    const cairn_yaml_node *n = get(map, key);
    if (!n) return 0;
    int rc = cairn_yaml_double(c->doc, n, key, out, c->err);
    if (rc) return rc;
    if (*out < lo || *out > hi) {
        char msg[96];
        snprintf(msg, sizeof msg, "expected a number in [%g, %g], found %s", lo, hi, n->scalar);
        return perr(c, n, key, msg, NULL);
    }
    return 0;
}

static int integer(ctx *c, const cairn_yaml_node *map, const char *key, int64_t lo, int64_t hi,
                   int64_t *out)
{
    const cairn_yaml_node *n = get(map, key);
    if (!n) return 0;
    int rc = cairn_yaml_int(c->doc, n, key, out, c->err);
    if (rc) return rc;
    if (*out < lo || *out > hi) {
        char msg[96];
        snprintf(msg, sizeof msg, "expected an integer in [%lld, %lld], found %s", (long long)lo,
                 (long long)hi, n->scalar);
        return perr(c, n, key, msg, NULL);
    }
    return 0;
}

static int boolean(ctx *c, const cairn_yaml_node *map, const char *key, bool *out)
{
    const cairn_yaml_node *n = get(map, key);
    return n ? cairn_yaml_bool(c->doc, n, key, out, c->err) : 0;
}

/* A name out of a fixed list. */
static int choice(ctx *c, const cairn_yaml_node *map, const char *key, const char *const *names,
                  const char **out)
{
    int rc = str(c, map, key, false, out);
    if (rc || !*out) return rc;
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(*out, names[i])) return 0;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    for (size_t i = 0; names[i]; i++) cairn_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
    rc = perr(c, get(map, key), key, "expected one of ", b.data);
    cairn_error_expect(c->err, b.data ? b.data : "", *out, strlen(*out));
    cairn_buf_release(&b);
    return rc;
}

/* A list of names (a sequence of scalars, or one scalar). */
static int names(ctx *c, const cairn_yaml_node *map, const char *key, const char ***out, size_t *n)
{
    const cairn_yaml_node *v = get(map, key);
    *out = NULL;
    *n = 0;
    if (!v) return 0;
    size_t count = v->kind == CAIRN_YAML_SEQUENCE ? v->count : 1;
    if (v->kind == CAIRN_YAML_MAPPING) return perr(c, v, key, "expected a list of names", NULL);
    const char **list = cairn_arena_calloc(c->arena, count ? count : 1, sizeof *list);
    if (!list) return oom(c->err);
    for (size_t i = 0; i < count; i++) {
        const cairn_yaml_node *it = v->kind == CAIRN_YAML_SEQUENCE ? v->items[i] : v;
        const char *s;
        int rc = cairn_yaml_str(c->doc, it, key, &s, c->err);
        if (rc) return rc;
        if (it->kind != CAIRN_YAML_SCALAR || !*s) return perr(c, it, key, "expected a name", NULL);
        if (!(list[i] = cairn_arena_strdup(c->arena, s))) return oom(c->err);
    }
    *out = list;
    *n = count;
    return 0;
}

/* A mapping as a JSON object (owned by the caller). */
static int object(ctx *c, const cairn_yaml_node *map, const char *key, json_t **out)
{
    const cairn_yaml_node *v = get(map, key);
    *out = NULL;
    if (!v) return 0;
    if (v->kind != CAIRN_YAML_MAPPING) return perr(c, v, key, "expected a mapping", NULL);
    if (cairn_yaml_to_json(v, out)) return oom(c->err);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Sections
 * ---------------------------------------------------------------------------------------- */

/* checkpoint: auto (0), none (-1) or every N rounds. */
static int read_checkpoint(ctx *c, const cairn_yaml_node *m, int64_t *out)
{
    const cairn_yaml_node *v = get(m, "checkpoint");
    *out = 0;
    if (!v) return 0;
    const char *s;
    int rc = cairn_yaml_str(c->doc, v, "checkpoint", &s, c->err);
    if (rc) return rc;
    if (v->kind == CAIRN_YAML_SCALAR && !strcmp(s, "auto")) return 0;
    if (v->kind == CAIRN_YAML_SCALAR && !strcmp(s, "none")) return *out = -1, 0;
    return integer(c, m, "checkpoint", 1, 100000, out);
}

static int read_learner(ctx *c, const cairn_yaml_node *m, const char *what, cairn_train_learner *l)
{
    int rc = check_keys(c, m, what, learner_keys);
    if (rc == 0) rc = choice(c, m, "learner", learner_kinds, &l->learner);
    if (rc == 0 && !l->learner) rc = cairn_yaml_error(c->doc, m, CAIRN_EPARSE, c->err, "%s: missing key 'learner'", what);
    if (rc == 0) rc = str(c, m, "name", false, &l->name);
    if (rc == 0 && !l->name) l->name = l->learner;
    l->rounds = 500;
    l->early_stopping = 20;
    if (rc == 0) rc = integer(c, m, "rounds", 1, 100000, &l->rounds);
    if (rc == 0) rc = integer(c, m, "early_stopping", 0, 100000, &l->early_stopping);
    if (rc == 0) rc = read_checkpoint(c, m, &l->checkpoint_every);
    if (rc == 0) rc = object(c, m, "params", &l->params);
    if (rc == 0 && !l->params && !(l->params = json_object())) rc = oom(c->err);
    const cairn_yaml_node *s = get(m, "search");
    if (rc == 0 && s) {
        static const char *const samplers[] = {"random", "grid", NULL};
        static const char *const pruners[] = {"none", "asha", "median", NULL};
        l->has_search = true;
        l->search.trials = 10;
        rc = check_keys(c, s, "search", search_keys);
        if (rc == 0) rc = choice(c, s, "sampler", samplers, &l->search.sampler);
        if (rc == 0) rc = choice(c, s, "pruner", pruners, &l->search.pruner);
        if (rc == 0) rc = integer(c, s, "trials", 0, 100000, &l->search.trials);
        if (rc == 0) rc = object(c, s, "space", &l->search.space);
        if (rc == 0 && !l->search.space)
            rc = cairn_yaml_error(c->doc, s, CAIRN_EPARSE, c->err, "search: missing key 'space'");
        if (!l->search.sampler) l->search.sampler = "random";
        if (!l->search.pruner) l->search.pruner = !strcmp(l->learner, "xgboost") ? "asha" : "none";
    }
    return rc;
}

static int read_split(ctx *c, const cairn_yaml_node *root)
{
    static const char *const kinds[] = {"temporal", "random", "stratified", "grouped", NULL};
    cairn_train_config *cfg = c->cfg;
    const cairn_yaml_node *s = get(root, "split");
    if (!s) return cairn_yaml_error(c->doc, root, CAIRN_EPARSE, c->err, "missing key 'split'");
    if (s->kind != CAIRN_YAML_MAPPING) return perr(c, s, "split", "expected a mapping", NULL);
    const char *kind = NULL;
    int rc = choice(c, s, "kind", kinds, &kind);
    if (rc) return rc;
    cfg->split = !kind || !strcmp(kind, "temporal") ? CAIRN_SPLIT_TEMPORAL
                 : !strcmp(kind, "random")          ? CAIRN_SPLIT_RANDOM
                 : !strcmp(kind, "stratified")      ? CAIRN_SPLIT_STRATIFIED
                                                    : CAIRN_SPLIT_GROUP;
    if (cairn_yaml_to_json(s, &cfg->split_config)) return oom(c->err);
    json_object_del(cfg->split_config, "kind");
    if (cfg->split == CAIRN_SPLIT_TEMPORAL) {
        if (!cfg->time_column)
            return cairn_yaml_error(c->doc, s, CAIRN_EPARSE, c->err,
                                    "a temporal split needs the key 'time' (the event-time column)");
        return 0;
    }
    static const char *const fold_keys[] = {"kind", "k", "group", NULL};
    cfg->folds = 5;
    if ((rc = check_keys(c, s, "split", fold_keys))) return rc;
    if ((rc = integer(c, s, "k", 3, 1000, &cfg->folds))) return rc;
    if ((rc = str(c, s, "group", cfg->split == CAIRN_SPLIT_GROUP, &cfg->group_column))) return rc;
    return 0;
}

static int read_baseline(ctx *c, const cairn_yaml_node *root)
{
    cairn_train_config *cfg = c->cfg;
    const cairn_yaml_node *b = get(root, "baseline");
    int rc;
    if (!b) { /* logistic regression by default (ridge regression for regression: one-hot
               * columns with an intercept are collinear, which plain least squares refuses) */
        bool reg = cfg->task == CAIRN_TASK_REGRESSION;
        cfg->baseline.learner = reg ? "linear" : "logistic";
        cfg->baseline.name = "baseline";
        cfg->baseline.params = reg ? json_pack("{s:f}", "alpha", 1.0) : json_object();
        return cfg->baseline.params ? 0 : oom(c->err);
    }
    if ((rc = check_keys(c, b, "baseline", baseline_keys))) return rc;
    const cairn_yaml_node *r = get(b, "rule");
    if (r) {
        if (get(b, "learner")) return perr(c, r, "rule", "give either a rule or a learner, not both", NULL);
        if ((rc = check_keys(c, r, "rule", rule_keys))) return rc;
        if ((rc = str(c, r, "column", true, &cfg->rule_column))) return rc;
        const cairn_yaml_node *a = get(r, "above");
        if (!a) return cairn_yaml_error(c->doc, r, CAIRN_EPARSE, c->err, "rule: missing key 'above'");
        if ((rc = cairn_yaml_double(c->doc, a, "above", &cfg->rule_threshold, c->err))) return rc;
        cfg->has_baseline_rule = true;
        cfg->baseline.name = "baseline";
        cfg->baseline.learner = "rule";
        return (cfg->baseline.params = json_object()) ? 0 : oom(c->err);
    }
    static const char *const kinds[] = {"logistic", "linear", "xgboost", NULL};
    if ((rc = choice(c, b, "learner", kinds, &cfg->baseline.learner))) return rc;
    if (!cfg->baseline.learner) cfg->baseline.learner = cfg->task == CAIRN_TASK_REGRESSION ? "linear" : "logistic";
    cfg->baseline.name = "baseline";
    cfg->baseline.rounds = 100;
    if ((rc = object(c, b, "params", &cfg->baseline.params))) return rc;
    if (!cfg->baseline.params && !(cfg->baseline.params = json_object())) return oom(c->err);
    return 0;
}

static int read_slices(ctx *c, const cairn_yaml_node *root)
{
    cairn_train_config *cfg = c->cfg;
    const cairn_yaml_node *s = get(root, "slices");
    if (!s) return 0;
    if (s->kind != CAIRN_YAML_SEQUENCE) return perr(c, s, "slices", "expected a list", NULL);
    cfg->slices = cairn_arena_calloc(c->arena, s->count ? s->count : 1, sizeof *cfg->slices);
    if (!cfg->slices) return oom(c->err);
    for (size_t i = 0; i < s->count; i++) {
        cairn_train_slice *sl = &cfg->slices[i];
        const cairn_yaml_node *m = s->items[i];
        int rc = check_keys(c, m, "slice", slice_keys);
        if (rc == 0) rc = str(c, m, "column", true, &sl->column);
        if (rc == 0) rc = str(c, m, "name", false, &sl->name);
        if (rc == 0 && !sl->name) sl->name = sl->column;
        const cairn_yaml_node *l = get(m, "lookup");
        if (rc == 0 && l) {
            rc = check_keys(c, l, "lookup", lookup_keys);
            if (rc == 0) rc = str(c, l, "file", true, &sl->lookup_file);
            if (rc == 0) rc = str(c, l, "key", true, &sl->lookup_key);
            if (rc == 0) rc = str(c, l, "value", true, &sl->lookup_value);
        }
        const cairn_yaml_node *bn = get(m, "bins");
        if (rc == 0 && bn) {
            if (bn->kind != CAIRN_YAML_SEQUENCE || !bn->count) rc = perr(c, bn, "bins", "expected a list of numbers", NULL);
            else if (!(sl->bins = cairn_arena_calloc(c->arena, bn->count, sizeof *sl->bins))) rc = oom(c->err);
            for (size_t k = 0; rc == 0 && k < bn->count; k++) {
                rc = cairn_yaml_double(c->doc, bn->items[k], "bins", &sl->bins[k], c->err);
                if (rc == 0 && k && !(sl->bins[k] > sl->bins[k - 1]))
                    rc = perr(c, bn->items[k], "bins", "edges must be ascending", NULL);
            }
            sl->nbins = bn->count;
        }
        const cairn_yaml_node *mp = get(m, "map");
        if (rc == 0 && mp) {
            if (mp->kind != CAIRN_YAML_MAPPING || !mp->count) rc = perr(c, mp, "map", "expected a mapping of value: segment", NULL);
            else if (!(sl->map_from = cairn_arena_calloc(c->arena, mp->count, sizeof *sl->map_from)) ||
                     !(sl->map_to = cairn_arena_calloc(c->arena, mp->count, sizeof *sl->map_to)))
                rc = oom(c->err);
            for (size_t k = 0; rc == 0 && k < mp->count; k++) {
                const char *to;
                rc = cairn_yaml_str(c->doc, mp->items[k], "map", &to, c->err);
                if (rc == 0 && (!(sl->map_from[k] = cairn_arena_strdup(c->arena, mp->keys[k]->scalar)) ||
                                !(sl->map_to[k] = cairn_arena_strdup(c->arena, to))))
                    rc = oom(c->err);
            }
            sl->nmap = mp->count;
        }
        if (rc == 0 && (sl->nbins || sl->nmap) && sl->lookup_file)
            rc = perr(c, m, "lookup", "a slice has one of lookup, bins or map", NULL);
        if (rc == 0 && sl->nbins && sl->nmap) rc = perr(c, m, "bins", "a slice has one of lookup, bins or map", NULL);
        if (rc == 0 && (sl->nbins || sl->nmap) && !strcmp(sl->name, sl->column))
            rc = perr(c, m, "name", "a derived slice needs its own name", NULL);
        for (size_t j = 0; rc == 0 && j < i; j++)
            if (!strcmp(cfg->slices[j].name, sl->name)) rc = perr(c, m, "name", "a second slice named ", sl->name);
        if (rc) return rc;
        cfg->nslices++;
    }
    return 0;
}

static int read_fairness(ctx *c, const cairn_yaml_node *root)
{
    cairn_train_config *cfg = c->cfg;
    const cairn_yaml_node *s = get(root, "fairness");
    if (!s) return 0;
    if (s->kind != CAIRN_YAML_SEQUENCE) return perr(c, s, "fairness", "expected a list", NULL);
    cfg->fairness = cairn_arena_calloc(c->arena, s->count ? s->count : 1, sizeof *cfg->fairness);
    if (!cfg->fairness) return oom(c->err);
    for (size_t i = 0; i < s->count; i++) {
        cairn_train_fairness *f = &cfg->fairness[i];
        const cairn_yaml_node *m = s->items[i];
        f->di_threshold = 0.8;
        int rc = check_keys(c, m, "fairness", fair_keys);
        if (rc == 0) rc = str(c, m, "attribute", true, &f->attribute);
        if (rc == 0) rc = str(c, m, "privileged", true, &f->privileged);
        if (rc == 0) rc = num(c, m, "threshold", 0, 1, &f->di_threshold);
        if (rc) return rc;
        cfg->nfairness++;
    }
    return 0;
}

static int read_config(ctx *c, const cairn_yaml_node *root)
{
    cairn_train_config *cfg = c->cfg;
    static const char *const tasks[] = {"binary", "multiclass", "regression", "clustering", NULL};
    int rc = check_keys(c, root, "training configuration", top_keys);
    const char *task = NULL;
    if (rc == 0) rc = str(c, root, "experiment", false, &cfg->experiment);
    if (rc == 0) rc = str(c, root, "training_set", true, &cfg->training_set);
    if (rc == 0) rc = choice(c, root, "task", tasks, &task);
    if (rc) return rc;
    cfg->task = !task || !strcmp(task, "binary") ? CAIRN_TASK_BINARY
                : !strcmp(task, "multiclass")    ? CAIRN_TASK_MULTICLASS
                : !strcmp(task, "regression")    ? CAIRN_TASK_REGRESSION
                                                 : CAIRN_TASK_CLUSTERING;
    rc = str(c, root, "label", cfg->task != CAIRN_TASK_CLUSTERING, &cfg->label);
    if (rc == 0) rc = str(c, root, "positive", false, &cfg->positive);
    if (rc == 0) rc = str(c, root, "time", false, &cfg->time_column);
    if (rc == 0) rc = names(c, root, "features", &cfg->features, &cfg->nfeatures);
    if (rc == 0) rc = names(c, root, "exclude", &cfg->exclude, &cfg->nexclude);
    int64_t seed = 42;
    if (rc == 0) rc = integer(c, root, "seed", 0, INT64_MAX, &seed);
    cfg->seed = (uint64_t)seed;
    if (rc == 0) rc = read_split(c, root);

    const cairn_yaml_node *cal = get(root, "calibration");
    cfg->calibrate = cfg->task == CAIRN_TASK_BINARY;
    cfg->calibration = CAIRN_CALIBRATION_PLATT;
    cfg->calibration_fraction = 0.5;
    if (rc == 0 && cal) {
        static const char *const methods[] = {"none", "platt", "isotonic", NULL};
        const char *m = NULL;
        rc = check_keys(c, cal, "calibration", calib_keys);
        if (rc == 0) rc = choice(c, cal, "method", methods, &m);
        if (rc == 0) rc = num(c, cal, "fraction", 0.05, 0.95, &cfg->calibration_fraction);
        if (m) {
            cfg->calibrate = strcmp(m, "none") != 0;
            cfg->calibration = !strcmp(m, "isotonic") ? CAIRN_CALIBRATION_ISOTONIC : CAIRN_CALIBRATION_PLATT;
        }
        if (rc == 0 && m && cfg->calibrate && cfg->task != CAIRN_TASK_BINARY)
            rc = perr(c, cal, "calibration", "calibration is for binary tasks", NULL);
    }

    const cairn_yaml_node *ls = get(root, "learners");
    if (rc == 0 && (!ls || ls->kind != CAIRN_YAML_SEQUENCE || !ls->count))
        rc = ls ? perr(c, ls, "learners", "expected a non-empty list", NULL)
                : cairn_yaml_error(c->doc, root, CAIRN_EPARSE, c->err, "missing key 'learners'");
    if (rc == 0 && !(cfg->learners = calloc(ls->count, sizeof *cfg->learners))) rc = oom(c->err);
    for (size_t i = 0; rc == 0 && i < ls->count; i++) {
        rc = read_learner(c, ls->items[i], "learner", &cfg->learners[i]);
        cfg->nlearners = i + 1;
        for (size_t j = 0; rc == 0 && j < i; j++)
            if (!strcmp(cfg->learners[j].name, cfg->learners[i].name))
                rc = perr(c, ls->items[i], "name", "a second learner named ", cfg->learners[i].name);
        if (rc == 0 && !strcmp(cfg->learners[i].name, "baseline"))
            rc = perr(c, ls->items[i], "name", "'baseline' is the baseline's name", NULL);
    }
    if (rc == 0) rc = read_baseline(c, root);

    const cairn_yaml_node *g = get(root, "gate");
    cfg->gate_metric = cfg->task == CAIRN_TASK_REGRESSION ? "rmse" : cfg->task == CAIRN_TASK_BINARY ? "roc_auc" : "accuracy";
    cfg->gate_alpha = 0.05;
    if (rc == 0 && g) {
        rc = check_keys(c, g, "gate", gate_keys);
        if (rc == 0) rc = str(c, g, "metric", false, &cfg->gate_metric);
        if (rc == 0) rc = num(c, g, "margin", -1e9, 1e9, &cfg->gate_margin);
        if (rc == 0) rc = num(c, g, "alpha", 1e-6, 0.5, &cfg->gate_alpha);
        if (!cfg->gate_metric) cfg->gate_metric = "roc_auc";
    }
    if (rc == 0) rc = names(c, root, "metrics", &cfg->metrics, &cfg->nmetrics);
    if (rc == 0) rc = str(c, root, "select", false, &cfg->select_metric);
    if (rc == 0 && cfg->task == CAIRN_TASK_CLUSTERING) {
        /* no labels: k is chosen by a clustering metric, and there is no gate */
        const cairn_yaml_node *sel = get(root, "select");
        if (!cfg->select_metric) cfg->select_metric = "silhouette";
        else if (!cairn_cluster_metric_find(cfg->select_metric, NULL))
            rc = perr(c, sel, "select", "expected a clustering metric (silhouette, davies_bouldin, calinski_harabasz, inertia), found ",
                      cfg->select_metric);
    }
    if (rc == 0 && !cfg->select_metric) cfg->select_metric = cfg->gate_metric;

    const cairn_yaml_node *co = get(root, "costs");
    cfg->threshold = 0.5;
    if (rc == 0 && co) {
        rc = check_keys(c, co, "costs", cost_keys);
        if (rc == 0) rc = num(c, co, "false_positive", 0, 1e12, &cfg->cost_fp);
        if (rc == 0) rc = num(c, co, "false_negative", 0, 1e12, &cfg->cost_fn);
        if (rc == 0) rc = num(c, co, "true_positive", -1e12, 1e12, &cfg->cost_tp);
        if (rc == 0) rc = num(c, co, "true_negative", -1e12, 1e12, &cfg->cost_tn);
        if (rc == 0 && cfg->task != CAIRN_TASK_BINARY) rc = perr(c, co, "costs", "a cost matrix is for binary tasks", NULL);
        if (rc == 0 && cfg->cost_fp - cfg->cost_tn <= 0 && cfg->cost_fn - cfg->cost_tp <= 0)
            rc = perr(c, co, "costs", "errors must cost more than correct decisions", NULL);
        cfg->has_costs = true;
    }
    if (rc == 0) rc = num(c, root, "threshold", 0, 1, &cfg->threshold);
    if (rc == 0 && get(root, "threshold") && co)
        rc = perr(c, get(root, "threshold"), "threshold", "with costs the threshold is chosen from them", NULL);
    if (rc == 0) rc = read_slices(c, root);
    if (rc == 0) rc = read_fairness(c, root);

    const cairn_yaml_node *bs = get(root, "bootstrap");
    cfg->bootstrap = 1000;
    cfg->confidence = 0.95;
    if (rc == 0 && bs) {
        rc = check_keys(c, bs, "bootstrap", boot_keys);
        if (rc == 0) rc = integer(c, bs, "resamples", 0, 1000000, &cfg->bootstrap);
        if (rc == 0) rc = num(c, bs, "confidence", 0.5, 0.999, &cfg->confidence);
    }
    const cairn_yaml_node *ex = get(root, "explain");
    cfg->shap = cfg->permutation = true;
    cfg->explain_rows = 2000;
    cfg->top_features = 10;
    if (rc == 0 && ex) {
        rc = check_keys(c, ex, "explain", explain_keys);
        if (rc == 0) rc = boolean(c, ex, "shap", &cfg->shap);
        if (rc == 0) rc = boolean(c, ex, "permutation", &cfg->permutation);
        if (rc == 0) rc = integer(c, ex, "rows", 10, 10000000, &cfg->explain_rows);
        if (rc == 0) rc = integer(c, ex, "top", 1, 1000, &cfg->top_features);
    }
    const cairn_yaml_node *ne = get(root, "nested");
    if (rc == 0 && ne) {
        if (ne->kind != CAIRN_YAML_MAPPING) return perr(c, ne, "nested", "expected a mapping", NULL);
        cfg->nested_outer = 5;
        cfg->nested_inner = 3;
        rc = check_keys(c, ne, "nested", nested_keys);
        if (rc == 0) rc = integer(c, ne, "outer", 2, 100, &cfg->nested_outer);
        if (rc == 0) rc = integer(c, ne, "inner", 2, 100, &cfg->nested_inner);
        if (rc == 0) rc = integer(c, ne, "trials", 1, 100000, &cfg->nested_trials);
        if (rc == 0 && cfg->task == CAIRN_TASK_CLUSTERING)
            rc = perr(c, ne, "nested", "nested cross-validation needs a label (not clustering)", NULL);
    }
    return rc;
}

int cairn_train_config_parse(const char *data, size_t len, const char *name,
                             cairn_train_config **out, cairn_error *err)
{
    *out = NULL;
    cairn_train_config *cfg = calloc(1, sizeof *cfg);
    priv *p = calloc(1, sizeof *p);
    if (!cfg || !p) {
        free(cfg);
        free(p);
        return oom(err);
    }
    cfg->priv = p;
    cairn_arena_init(&p->arena, 0);
    int rc = cairn_yaml_parse(data, len, name, &p->doc, err);
    ctx c = {p->doc, cfg, &p->arena, err};
    if (rc == 0 && !(cfg->path = cairn_arena_strdup(&p->arena, name ? name : "train.yaml"))) rc = oom(err);
    if (rc == 0) {
        const cairn_yaml_node *root = cairn_yaml_root(p->doc);
        rc = root ? read_config(&c, root)
                  : cairn_error_set(err, CAIRN_EPARSE, "%s: an empty training configuration", cfg->path);
    }
    if (rc == 0 && !cfg->experiment) { /* the file's base name without its extension */
        const char *b = strrchr(cfg->path, '/');
        b = b ? b + 1 : cfg->path;
        const char *dot = strrchr(b, '.');
        cfg->experiment = cairn_arena_strndup(&p->arena, b, dot && dot > b ? (size_t)(dot - b) : strlen(b));
        if (!cfg->experiment) rc = oom(err);
    }
    if (rc) {
        cairn_train_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int cairn_train_config_load(const char *path, cairn_train_config **out, cairn_error *err)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_file_read(path, &b, (size_t)16 << 20, err);
    if (rc == 0) rc = cairn_train_config_parse(b.data ? b.data : "", b.len, path, out, err);
    cairn_buf_release(&b);
    return rc;
}

static void learner_release(cairn_train_learner *l)
{
    json_decref(l->params);
    json_decref(l->search.space);
}

void cairn_train_config_free(cairn_train_config *cfg)
{
    if (!cfg) return;
    for (size_t i = 0; i < cfg->nlearners; i++) learner_release(&cfg->learners[i]);
    free(cfg->learners);
    learner_release(&cfg->baseline);
    json_decref(cfg->split_config);
    priv *p = cfg->priv;
    if (p) {
        cairn_yaml_free(p->doc);
        cairn_arena_release(&p->arena);
        free(p);
    }
    free(cfg);
}

const char *cairn_task_name(cairn_task task)
{
    switch (task) {
    case CAIRN_TASK_BINARY: return "binary";
    case CAIRN_TASK_MULTICLASS: return "multiclass";
    case CAIRN_TASK_REGRESSION: return "regression";
    case CAIRN_TASK_CLUSTERING: return "clustering";
    }
    return "?";
}
