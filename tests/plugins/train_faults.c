/* Test plugin for examples/train: two algorithms, each with the forward
 * of plain.h and loop-nest backward passes, each wrong in one backward
 * direction, the way a real implementation goes wrong:
 *   train_fault_bwd_w  bwd_w leaves out the last output column (a loop
 *                      bound off by one);
 *   train_fault_bwd_d  bwd_d does not rotate the kernel.
 * The example must fail each run that uses the faulty pass, and only
 * those (part 1 has no bwd_d). */
#include "plain.h"

enum { FAULT_BWD_W = 1, FAULT_BWD_D = 2 };

/* Every tap of docs/design.md §1: dx += dy w (bwd_d) or dw += dy x
 * (bwd_w), outputs zeroed first; fault picks the wrong piece. */
static void taps(const conv_problem *p, int fault, const float *x,
                 const float *w, const float *dy, float *dx, float *dw)
{
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    if (dx) memset(dx, 0, (size_t)p->n * p->ic * p->ih * p->iw * sizeof *dx);
    if (dw) memset(dw, 0, (size_t)p->oc * icg * p->kh * p->kw * sizeof *dw);
    const int qend = fault == FAULT_BWD_W ? p->ow - 1 : p->ow;
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++)
            for (int c = 0; c < icg; c++)
                for (int i = 0; i < p->kh; i++)
                    for (int j = 0; j < p->kw; j++)
                        for (int r = 0; r < p->oh; r++)
                            for (int q = 0; q < qend; q++) {
                                const int h = r * p->sh - p->pt + i * p->dh;
                                const int v = q * p->sw - p->pl + j * p->dw;
                                if (h < 0 || h >= p->ih || v < 0 || v >= p->iw)
                                    continue;
                                const int ki =
                                    fault == FAULT_BWD_D ? p->kh - 1 - i : i;
                                const int kj =
                                    fault == FAULT_BWD_D ? p->kw - 1 - j : j;
                                const size_t xi =
                                    (((size_t)n * p->ic + o / ocg * icg + c) *
                                         p->ih +
                                     h) *
                                        p->iw +
                                    v;
                                const size_t wi =
                                    (((size_t)o * icg + c) * p->kh + ki) *
                                        p->kw +
                                    kj;
                                const float g =
                                    dy[(((size_t)n * p->oc + o) * p->oh + r) *
                                           p->ow +
                                       q];
                                if (dx) dx[xi] += g * w[wi];
                                if (dw) dw[wi] += g * x[xi];
                            }
}

static conv_status bwd_d_ok(conv_plan *pl, const float *w, const float *dy,
                            float *dx)
{
    taps(&pl->p, 0, NULL, w, dy, dx, NULL);
    return CONV_OK;
}

static conv_status bwd_d_unrotated(conv_plan *pl, const float *w,
                                   const float *dy, float *dx)
{
    taps(&pl->p, FAULT_BWD_D, NULL, w, dy, dx, NULL);
    return CONV_OK;
}

static conv_status bwd_w_ok(conv_plan *pl, const float *x, const float *dy,
                            float *dw, float *db)
{
    (void)db; /* the example asks for no bias */
    taps(&pl->p, 0, x, NULL, dy, NULL, dw);
    return CONV_OK;
}

static conv_status bwd_w_short(conv_plan *pl, const float *x, const float *dy,
                               float *dw, float *db)
{
    (void)db;
    taps(&pl->p, FAULT_BWD_W, x, NULL, dy, NULL, dw);
    return CONV_OK;
}

#define FAULT_ALGO(nm, d, w)                                                   \
    {                                                                          \
        .name = nm, .supports = plain_supports, .plan = plain_plan,            \
        .execute = plain_execute, .workspace_bytes = plain_workspace,          \
        .destroy = plain_destroy, .tolerance = 1e-5,                           \
        .supports_bwd = plain_supports_bwd, .plan_bwd = plain_plan_bwd,        \
        .execute_bwd_d = d, .execute_bwd_w = w, .tolerance_bwd_d = 1e-5,       \
        .tolerance_bwd_w = 1e-5                                                \
    }
static const conv_algo fault_w =
    FAULT_ALGO("train_fault_bwd_w", bwd_d_ok, bwd_w_short);
static const conv_algo fault_d =
    FAULT_ALGO("train_fault_bwd_d", bwd_d_unrotated, bwd_w_ok);
static const conv_algo *const algos[] = {&fault_w, &fault_d};
const conv_plugin conv_plugin_entry = {CONV_ABI_VERSION, 2, algos};
