/* tests/unit/train/learn_exercise.h: shared by the learner tests (test_xgb.c, test_linear.c,
 * test_kmeans.c): one fit -> save -> load -> predict (-> SHAP importance) round, run with
 * every allocation failing in turn; each must fail cleanly with CAIRN_ENOMEM and leak
 * nothing (Cairn's own allocations; XGBoost's go to the C++ runtime and are not counted). */
#ifndef CAIRN_TEST_LEARN_EXERCISE_H
#define CAIRN_TEST_LEARN_EXERCISE_H

#include "testutil.h"

#include "cairn/learn.h"

/* fit -> save -> load -> predict (-> SHAP importance), freeing whatever was made. */
static inline int exercise(const cairn_learn_data *d, const cairn_learner_params *p, bool shap)
{
    cairn_error e;
    cairn_error_clear(&e);
    cairn_model *m = NULL, *back = NULL;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    double *out = NULL, *imp = NULL;
    int64_t cols;
    int rc = cairn_model_fit(d, NULL, p, &m, &e);
    if (rc == 0) rc = cairn_model_save(m, &b, &e);
    if (rc == 0) rc = cairn_model_load(b.data, b.len, &back, &e);
    if (rc == 0) rc = cairn_model_predict(back, d->x, CAIRN_PREDICT_VALUE, &out, &cols, &e);
    if (rc == 0 && shap) rc = cairn_model_shap_importance(back, d->x, &imp, &e);
    if (rc && rc != CAIRN_ENOMEM) {
        char msg[1024];
        cairn_error_format(&e, msg, sizeof msg);
        print_error("unexpected %s: %s\n", cairn_errname(rc), msg);
    }
    cairn_free(out);
    cairn_free(imp);
    cairn_buf_release(&b);
    cairn_model_free(m);
    cairn_model_free(back);
    return rc;
}

static inline void alloc_failures(const cairn_learn_data *d, const cairn_learner_params *p, bool shap)
{
    int64_t before = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        cairn_testalloc_fail_at(n, false);
        int rc = exercise(d, p, shap);
        cairn_testalloc_fail_at(0, false);
        if (cairn_testalloc_live_blocks() != before)
            fail_msg("allocation %lld: %lld blocks leaked", (long long)n,
                     (long long)(cairn_testalloc_live_blocks() - before));
        if (rc == 0) break;
        assert_int_equal(rc, CAIRN_ENOMEM);
        assert_true(n < 100000);
    }
}

#endif /* CAIRN_TEST_LEARN_EXERCISE_H */
