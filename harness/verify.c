/* The verification stage (DESIGN §4): data and reference once per problem,
 * then per algorithm supports, plan, one poisoned run and the error check
 * (and, for bench, the timing stage). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "reference.h"

void conv_data_free(conv_data *d)
{
    free(d->x), free(d->w), free(d->b), free(d->y);
    free(d->yref), free(d->mag);
    d->x = d->w = d->b = d->y = NULL;
    d->yref = d->mag = NULL;
}

conv_status conv_data_alloc(conv_data *d, const conv_problem *p, conv_fill fill,
                            unsigned long long seed)
{
    conv_data_free(d);
    d->p = *p;
    size_t xe = conv_x_elems(p), we = conv_w_elems(p), ye = conv_y_elems(p);
    d->x = malloc(xe * sizeof(float));
    d->w = malloc(we * sizeof(float));
    d->b = malloc((size_t)p->oc * sizeof(float));
    d->y = malloc(ye * sizeof(float));
    d->yref = malloc(ye * sizeof(double));
    d->mag = malloc(ye * sizeof(double));
    if (!d->x || !d->w || !d->b || !d->y || !d->yref || !d->mag) {
        conv_data_free(d);
        return CONV_NOMEM;
    }
    conv_fill_tensors(p, fill, seed, d->x, d->w, d->b);
    conv_reference(p, d->x, d->w, p->bias ? d->b : NULL, d->yref, d->mag);
    return CONV_OK;
}

/* DESIGN §4: |y - ref| / (sum of |x*w| over the taps + |b|); where that sum
 * is 0 the output must equal the reference exactly. NaN never passes. */
void conv_check_output(const conv_data *d, bool bit_exact, conv_row *r)
{
    const size_t ye = conv_y_elems(&d->p);
    double max_abs = 0, max_rel = 0;
    for (size_t i = 0; i < ye; i++) {
        double y = d->y[i], ref = d->yref[i], e = fabs(y - ref);
        if (bit_exact && d->y[i] != (float)ref) e = e > 0 ? e : INFINITY;
        if (isnan(y)) e = INFINITY;
        double rel = d->mag[i] > 0 ? e / d->mag[i] : (e > 0 ? INFINITY : 0);
        if (bit_exact && e > 0) rel = INFINITY;
        if (e > max_abs) max_abs = e;
        if (rel > max_rel) max_rel = rel;
    }
    r->max_abs = max_abs;
    r->max_rel = max_rel;
}

const char *conv_status_name(conv_status s)
{
    static const char *names[] = {"OK", "INVALID", "UNSUPPORTED", "NOMEM",
                                  "BACKEND"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s]
                                                        : "UNKNOWN STATUS";
}

void conv_run_row(const conv_opts *o, bool timed, const conv_algo *a,
                  conv_data *d, const conv_ctx *ctx0, conv_row *r)
{
    char why[256] = "";
    conv_ctx ctx = *ctx0;
    ctx.why = why;
    ctx.why_len = sizeof why;
    conv_plan *pl = NULL;
    snprintf(r->impl, sizeof r->impl, "%s", a->name);
    if (a->supports(&d->p, why, sizeof why) != CONV_OK) {
        r->status = "UNSUPPORTED";
        snprintf(r->reason, sizeof r->reason, "%s", why);
        return;
    }
    double t0 = conv_now_ms();
    conv_status st = a->plan(&d->p, d->w, d->p.bias ? d->b : NULL, &ctx, &pl);
    r->plan_ms = conv_now_ms() - t0;
    if (st != CONV_OK) {
        /* A plan over the workspace cap is a "can't", not a "wrong". */
        r->status = st == CONV_NOMEM || st == CONV_UNSUPPORTED ? "UNSUPPORTED"
                                                               : "ERROR";
        snprintf(r->reason, sizeof r->reason, "plan: %s: %s",
                 conv_status_name(st), why[0] ? why : "no reason given");
        a->destroy(pl);
        return;
    }
    if (a->impl && a->impl(pl))
        snprintf(r->impl, sizeof r->impl, "%s", a->impl(pl));
    r->workspace = a->workspace_bytes(pl);
    const size_t ye = conv_y_elems(&d->p);
    for (size_t i = 0; i < ye; i++) d->y[i] = NAN;
    /* A layout-native algorithm converts outside execute() and the timing. */
    const char *step;
    if ((st = conv_run_once(a, pl, d->x, d->y, &step)) != CONV_OK) {
        r->status = "ERROR";
        snprintf(r->reason, sizeof r->reason, "%s: %s", step,
                 conv_status_name(st));
        goto cleanup;
    }
    const bool bit_exact =
        a->exact && o->fill == CONV_FILL_INT && conv_fill_is_exact(&d->p);
    r->tol = bit_exact ? 0 : a->tolerance;
    conv_check_output(d, bit_exact, r);
    if (!(r->max_rel <= r->tol)) {
        r->status = "FAILED";
        snprintf(r->reason, sizeof r->reason,
                 bit_exact
                     ? "not bit-exact under int fill (max_abs_err %.3g)"
                     : "max_rel_err %.3g over tolerance (max_abs_err %.3g)",
                 bit_exact ? r->max_abs : r->max_rel, r->max_abs);
        goto cleanup;
    }
    r->status = "PASSED";
    if (timed && (st = conv_time_runs(o, a, pl, d, r)) != CONV_OK) {
        r->status = "ERROR";
        snprintf(r->reason, sizeof r->reason, "timed execute: %s",
                 conv_status_name(st));
    }
cleanup:
    a->destroy(pl);
}
