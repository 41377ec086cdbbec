/* Test plugin for --breakdown (tests/test_breakdown.sh): "phase_fault",
 * plain.h's forward and loop-nest backward passes, all marking one phase
 * ("kernel"), each backward pass right in the timed runs but wrong in one
 * element of its last output when plan() got a phase hook (the breakdown
 * pass alone): bwd_d dx, bwd_w dw, bwd_wb db (dw right). The pass must
 * catch each, for it checks every output of the direction, and leave the
 * row PASSED with empty phases and the reason; the forward's phases are
 * filled. */
#include "plain.h"

enum { FAULT_PHASE };
static const char *const fault_phases[] = {"kernel", NULL};

static conv_status fault_execute(conv_plan *pl, const float *x, float *y)
{
    conv_phase_mark(pl->hook, 0, FAULT_PHASE);
    const conv_status st = plain_execute(pl, x, y);
    conv_phase_mark(pl->hook, 0, CONV_PHASE_END);
    return st;
}

/* Every tap of docs/design.md §1: dx += dy w, or dw += dy x and db += dy;
 * the outputs given (non-NULL) zeroed first. */
static void taps(const conv_problem *p, const float *x, const float *w,
                 const float *dy, float *dx, float *dw, float *db)
{
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t kk = (size_t)p->kh * p->kw, ohw = (size_t)p->oh * p->ow;
    if (dx) memset(dx, 0, (size_t)p->n * p->ic * p->ih * p->iw * sizeof *dx);
    if (dw) memset(dw, 0, (size_t)p->oc * icg * kk * sizeof *dw);
    if (db) memset(db, 0, (size_t)p->oc * sizeof *db);
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++) {
            const float *dyo = dy + ((size_t)n * p->oc + o) * ohw;
            for (size_t q = 0; db && q < ohw; q++) db[o] += dyo[q];
            for (int c = 0; c < icg; c++) {
                const size_t xc = (size_t)n * p->ic + (size_t)o / ocg * icg + c;
                for (size_t t = 0; t < kk; t++)
                    for (size_t q = 0; q < ohw; q++) {
                        const int h = (int)(q / p->ow) * p->sh - p->pt +
                                      (int)(t / p->kw) * p->dh;
                        const int v = (int)(q % p->ow) * p->sw - p->pl +
                                      (int)(t % p->kw) * p->dw;
                        if (h < 0 || h >= p->ih || v < 0 || v >= p->iw)
                            continue;
                        const size_t xi = (xc * p->ih + h) * p->iw + v,
                                     wi = ((size_t)o * icg + c) * kk + t;
                        if (dx) dx[xi] += dyo[q] * w[wi];
                        if (dw) dw[wi] += dyo[q] * x[xi];
                    }
            }
        }
}

static conv_status fault_bwd_d(conv_plan *pl, const float *w, const float *dy,
                               float *dx)
{
    conv_phase_mark(pl->hook, 0, FAULT_PHASE);
    taps(&pl->p, NULL, w, dy, dx, NULL, NULL);
    if (pl->hook) dx[0] += 1.0f;
    conv_phase_mark(pl->hook, 0, CONV_PHASE_END);
    return CONV_OK;
}

static conv_status fault_bwd_w(conv_plan *pl, const float *x, const float *dy,
                               float *dw, float *db)
{
    conv_phase_mark(pl->hook, 0, FAULT_PHASE);
    taps(&pl->p, x, NULL, dy, NULL, dw, db);
    if (pl->hook) *(db ? db : dw) += 1.0f;
    conv_phase_mark(pl->hook, 0, CONV_PHASE_END);
    return CONV_OK;
}

static const conv_algo fault = {
    .name = "phase_fault",
    .supports = plain_supports,
    .plan = plain_plan,
    .execute = fault_execute,
    .workspace_bytes = plain_workspace,
    .destroy = plain_destroy,
    .tolerance = 1e-5,
    .phases = fault_phases,
    .supports_bwd = plain_supports_bwd,
    .plan_bwd = plain_plan_bwd,
    .execute_bwd_d = fault_bwd_d,
    .execute_bwd_w = fault_bwd_w,
    .tolerance_bwd_d = 1e-5,
    .tolerance_bwd_w = 1e-5,
};
static const conv_algo *const algos[] = {&fault};
const conv_plugin conv_plugin_entry = {CONV_ABI_VERSION, 1, algos};
