/* src/train/fairness.c: group fairness metrics across a protected attribute
 * (cairn_fairness_compute in include/cairn/metrics.h).
 *
 * One pass accumulates weighted confusion counts per group (and for the unprivileged rows
 * pooled); rates follow from them. Two families of summaries:
 * - Fairlearn's "between groups" spreads, unsigned: max - min (and min / max) of a rate over
 *   the groups where the rate is defined;
 * - AIF360's signed differences of the unprivileged rows (every group but the privileged
 *   one, pooled) against the privileged group.
 * A rate with a zero denominator is NaN and is left out of spreads, never divided through:
 * an empty group has no selection rate, a group without positives no TPR, one without
 * negatives no FPR. Fairlearn itself turns an undefined TPR/FPR into 0 (confusion_matrix
 * normalize='true' then nan_to_num); Cairn does not, because a group with no positives says
 * nothing about its true positive rate.
 * Tests: tests/unit/train/test_fairness.c and tests/oracles/test_metrics_sklearn.sh.
 */
#include <math.h>
#include <string.h>

#include "cairn/metrics.h"

static void add_row(cairn_group_rates *g, double w, bool y, bool yhat)
{
    g->rows++;
    g->weight += w;
    if (y) {
        g->positives += w;
        if (yhat)
            g->tp += w;
        else
            g->fn += w;
    } else {
        g->negatives += w;
        if (yhat)
            g->fp += w;
        else
            g->tn += w;
    }
    if (yhat) g->selected += w;
}

static double rate(double num, double den)
{
    return den > 0 ? num / den : NAN;
}

static void finish_rates(cairn_group_rates *g)
{
    g->selection_rate = rate(g->selected, g->weight);
    g->tpr = rate(g->tp, g->positives);
    g->fpr = rate(g->fp, g->negatives);
}

/* max - min (and min / max) over the defined values of one rate field. */
static void spread(const cairn_group_rates *groups, size_t k, size_t offset, double *diff,
                   double *ratio)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t g = 0; g < k; g++) {
        double v;
        memcpy(&v, (const char *)&groups[g] + offset, sizeof v);
        if (isnan(v)) continue;
        lo = fmin(lo, v);
        hi = fmax(hi, v);
    }
    bool any = lo <= hi;
    *diff = any ? hi - lo : NAN;
    if (ratio) *ratio = any && hi > 0 ? lo / hi : NAN;
}

static int check(const int32_t *group, size_t n_groups, int32_t privileged, const double *y,
                 const double *yhat, const double *w, size_t n, cairn_error *err)
{
    if (n_groups == 0) return cairn_error_set(err, CAIRN_EINVAL, "fairness: n_groups must be >= 1");
    if (privileged < -1 || (privileged >= 0 && (size_t)privileged >= n_groups))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "fairness: privileged group %d is not in 0..%zu (or -1 for none)",
                               (int)privileged, n_groups - 1);
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, yhat, w, n);
    int rc = cairn_metric_data_check(&d, CAIRN_METRIC_BINARY, false, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        const char *what = yhat[i] != 0.0 && yhat[i] != 1.0 ? "yhat" : NULL;
        if (what || group[i] < 0 || (size_t)group[i] >= n_groups) {
            if (what)
                cairn_error_set(err, CAIRN_EINVAL,
                                "yhat[%zu] = %g: a binary prediction must be 0 or 1", i, yhat[i]);
            else
                cairn_error_set(err, CAIRN_EINVAL, "group[%zu] = %d: a group id must lie in 0..%zu",
                                i, (int)group[i], n_groups - 1);
            if (err) {
                err->row = (int64_t)i;
                cairn_error_field(err, what ? what : "group");
            }
            return CAIRN_EINVAL;
        }
    }
    return 0;
}

int cairn_fairness_compute(const int32_t *group, size_t n_groups, int32_t privileged,
                           const double *y, const double *yhat, const double *w, size_t n,
                           cairn_group_rates *groups_out, cairn_fairness_report *out,
                           cairn_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = check(group, n_groups, privileged, y, yhat, w, n, err);
    if (rc) return rc;
    cairn_group_rates *groups = groups_out ? groups_out : cairn_calloc(n_groups, sizeof *groups);
    if (!groups) return cairn_error_set(err, CAIRN_ENOMEM, "fairness: out of memory");
    memset(groups, 0, n_groups * sizeof *groups);
    cairn_group_rates unpriv;
    memset(&unpriv, 0, sizeof unpriv);
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        add_row(&groups[group[i]], wi, y[i] == 1.0, yhat[i] == 1.0);
        if (privileged >= 0 && group[i] != privileged)
            add_row(&unpriv, wi, y[i] == 1.0, yhat[i] == 1.0);
    }
    for (size_t g = 0; g < n_groups; g++)
        finish_rates(&groups[g]);
    finish_rates(&unpriv);

    out->n_groups = n_groups;
    double tpr_spread, fpr_spread;
    spread(groups, n_groups, offsetof(cairn_group_rates, selection_rate),
           &out->demographic_parity_difference, &out->demographic_parity_ratio);
    spread(groups, n_groups, offsetof(cairn_group_rates, tpr), &tpr_spread, NULL);
    spread(groups, n_groups, offsetof(cairn_group_rates, fpr), &fpr_spread, NULL);
    out->equal_opportunity_difference = tpr_spread;
    /* fmax would hide a NaN spread; equalized odds needs both rates. */
    out->equalized_odds_difference =
        isnan(tpr_spread) || isnan(fpr_spread) ? NAN : fmax(tpr_spread, fpr_spread);
    out->equalized_odds_mean = (tpr_spread + fpr_spread) / 2;

    out->privileged = privileged;
    out->disparate_impact = out->statistical_parity_difference = NAN;
    out->aif_equal_opportunity_difference = out->average_odds_difference = NAN;
    if (privileged >= 0) {
        const cairn_group_rates *p = &groups[privileged], *u = &unpriv;
        out->privileged_rates = *p;
        out->unprivileged_rates = *u;
        out->disparate_impact = p->selection_rate > 0 ? u->selection_rate / p->selection_rate : NAN;
        out->disparate_impact_flag = out->disparate_impact < 0.8;
        out->statistical_parity_difference = u->selection_rate - p->selection_rate;
        out->aif_equal_opportunity_difference = u->tpr - p->tpr;
        out->average_odds_difference = ((u->fpr - p->fpr) + (u->tpr - p->tpr)) / 2;
    }
    if (!groups_out) cairn_free(groups);
    return 0;
}
