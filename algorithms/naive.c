/* naive: the plain loop nests in float, every configuration and every
 * direction. Parallel over the planes of the tensor written (forward:
 * batch x output channel; bwd_d: batch x input channel; bwd_w: output
 * channel x input channel of the group) so it stays usable as a baseline
 * on real layers. The backward loops visit only the taps that exist (bwd_d
 * from small per-row and per-column tables made in plan, bwd_w from the
 * valid output range of each tap), in the order the plain nests would:
 * every sum is the one of the loops that test each tap, term for term.
 * bwd_d also reads the weights through a copy with the output channels
 * innermost (made by execute in the plan's buffer): its sums run over
 * output channels, and w's stride between them, ICG*KH*KW floats, is a
 * multiple of 4 KiB on pointwise layers (1024 channels), where the
 * caches kept only a few of the lines it needs (4x slower without). */
#include <stdlib.h>

#include "conv.h"

/* A kernel tap that lands on a given dx row (column): the tap i (j) and the
 * output row r (column q) that reads through it. */
typedef struct {
    int tap, out;
} naive_hit;

struct conv_plan {
    conv_problem p;
    conv_dir dir;
    float *w, *b; /* forward: the plan's copy */
    /* bwd_d: dx row h's hits are rows[h*KH, h*KH + nrows[h]), taps
     * increasing; columns likewise with KW */
    naive_hit *rows, *cols;
    int *nrows, *ncols;
    float *wt; /* bwd_d: w as [IC][OCG][KH][KW], filled by execute */
};

static conv_status naive_supports(const conv_problem *p, char *why, size_t len)
{
    (void)p, (void)why, (void)len;
    return CONV_OK;
}

static void naive_destroy(conv_plan *pl)
{
    if (!pl) return;
    free(pl->w);
    free(pl->b);
    free(pl->rows);
    free(pl->cols);
    free(pl->nrows);
    free(pl->ncols);
    free(pl->wt);
    free(pl);
}

static conv_status naive_plan(const conv_problem *p, const float *w,
                              const float *b, const conv_ctx *ctx,
                              conv_plan **out)
{
    conv_status s = CONV_OK;
    const size_t wn = (size_t)p->oc * (p->ic / p->g) * p->kh * p->kw;
    const size_t bytes = (wn + (p->bias ? (size_t)p->oc : 0)) * sizeof(float);
    if (bytes > ctx->workspace_cap)
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                        "needs %zu bytes of weights and bias, cap %zu", bytes,
                        ctx->workspace_cap);
    conv_plan *pl = calloc(1, sizeof *pl);
    if (pl) {
        pl->p = *p;
        pl->w = malloc(wn * sizeof(float));
        pl->b = p->bias ? malloc((size_t)p->oc * sizeof(float)) : NULL;
    }
    if (!pl || !pl->w || (p->bias && !pl->b)) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "allocating %zu bytes of weights and bias failed", bytes);
        goto cleanup;
    }
    for (size_t i = 0; i < wn; i++) pl->w[i] = w[i];
    for (int o = 0; p->bias && o < p->oc; o++) pl->b[o] = b[o];
    *out = pl;
    pl = NULL;
cleanup:
    naive_destroy(pl);
    return s;
}

static conv_status naive_execute(conv_plan *pl, const float *x, float *y)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < p->n; n++) {
        for (int o = 0; o < p->oc; o++) {
            const int g = o / ocg;
            const float *xg =
                x + ((size_t)n * p->ic + (size_t)g * icg) * p->ih * p->iw;
            const float *wo = pl->w + (size_t)o * icg * p->kh * p->kw;
            float *yo = y + ((size_t)n * p->oc + o) * p->oh * p->ow;
            for (int oh = 0; oh < p->oh; oh++) {
                for (int ow = 0; ow < p->ow; ow++) {
                    float acc = p->bias ? pl->b[o] : 0.0f;
                    for (int c = 0; c < icg; c++) {
                        for (int i = 0; i < p->kh; i++) {
                            int ih = oh * p->sh - p->pt + i * p->dh;
                            if (ih < 0 || ih >= p->ih) continue;
                            for (int j = 0; j < p->kw; j++) {
                                int iw = ow * p->sw - p->pl + j * p->dw;
                                if (iw < 0 || iw >= p->iw) continue;
                                acc +=
                                    xg[((size_t)c * p->ih + ih) * p->iw + iw] *
                                    wo[(c * p->kh + i) * p->kw + j];
                            }
                        }
                    }
                    yo[(size_t)oh * p->ow + ow] = acc;
                }
            }
        }
    }
    return CONV_OK;
}

/* What a bwd_d plan holds: the hit tables (a few KiB) and the weights'
 * buffer. */
static size_t bwd_d_bytes(const conv_problem *p)
{
    return ((size_t)p->ih * p->kh + (size_t)p->iw * p->kw) * sizeof(naive_hit) +
           ((size_t)p->ih + p->iw) * sizeof(int) +
           (size_t)p->oc * (p->ic / p->g) * p->kh * p->kw * sizeof(float);
}

/* The plan's copy of the weights and bias (forward), the hit tables and
 * the weights' buffer (bwd_d); bwd_w plans hold nothing but the problem. */
static size_t naive_workspace(const conv_plan *pl)
{
    const conv_problem *p = &pl->p;
    if (pl->dir == CONV_DIR_BWD_D) return bwd_d_bytes(p);
    if (pl->dir != CONV_DIR_FWD) return 0;
    return ((size_t)p->oc * (p->ic / p->g) * p->kh * p->kw +
            (p->bias ? (size_t)p->oc : 0)) *
           sizeof(float);
}

static conv_status naive_supports_bwd(const conv_problem *p, conv_dir dir,
                                      char *why, size_t len)
{
    (void)p, (void)dir, (void)why, (void)len;
    return CONV_OK;
}

/* The output index t with t*s + off == at, when it exists in [0, out). */
static int source(int at, int off, int s, int out)
{
    const int d = at - off;
    if (d < 0 || d % s) return -1;
    return d / s < out ? d / s : -1;
}

/* For each of the `in` positions of dx along one axis, the taps t (pitch
 * k*d, padding pad, stride s) that some output reads it through:
 * hit[at*k, at*k + n[at]). */
static void find_hits(int in, int k, int d, int pad, int s, int out,
                      naive_hit *hit, int *n)
{
    for (int at = 0; at < in; at++) {
        int m = 0;
        for (int t = 0; t < k; t++) {
            const int o = source(at, t * d - pad, s, out);
            if (o >= 0) hit[(size_t)at * k + m++] = (naive_hit){t, o};
        }
        n[at] = m;
    }
}

static conv_status naive_plan_bwd(const conv_problem *p, conv_dir dir,
                                  const conv_ctx *ctx, conv_plan **out)
{
    conv_status s = CONV_OK;
    const bool bwd_d = dir == CONV_DIR_BWD_D;
    const size_t bytes = bwd_d ? bwd_d_bytes(p) : 0;
    if (bytes > ctx->workspace_cap)
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                        "needs %zu bytes of tap tables and weights, cap %zu",
                        bytes, ctx->workspace_cap);
    conv_plan *pl = calloc(1, sizeof *pl);
    if (pl && bwd_d) {
        pl->rows = malloc((size_t)p->ih * p->kh * sizeof *pl->rows);
        pl->cols = malloc((size_t)p->iw * p->kw * sizeof *pl->cols);
        pl->nrows = malloc((size_t)p->ih * sizeof *pl->nrows);
        pl->ncols = malloc((size_t)p->iw * sizeof *pl->ncols);
        pl->wt = malloc((size_t)p->oc * (p->ic / p->g) * p->kh * p->kw *
                        sizeof *pl->wt);
    }
    if (!pl || (bwd_d && (!pl->rows || !pl->cols || !pl->nrows || !pl->ncols ||
                          !pl->wt))) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "allocating the plan and %zu bytes of tap tables and "
                     "weights failed",
                     bytes);
        goto cleanup;
    }
    pl->p = *p;
    pl->dir = dir;
    if (bwd_d) {
        find_hits(p->ih, p->kh, p->dh, p->pt, p->sh, p->oh, pl->rows,
                  pl->nrows);
        find_hits(p->iw, p->kw, p->dw, p->pl, p->sw, p->ow, pl->cols,
                  pl->ncols);
    }
    *out = pl;
    pl = NULL;
cleanup:
    naive_destroy(pl);
    return s;
}

/* dx[n, g*ICG + c, h, v] gathers dy[n, g*OCG + o, r, q] * w[., c, i, j]
 * over the (o, i, j) whose window puts tap (i, j) of output (r, q) on
 * (h, v): r*SH - PT + i*DH == h. */
static conv_status naive_bwd_d(conv_plan *pl, const float *w, const float *dy,
                               float *dx)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t kk = (size_t)p->kh * p->kw;
#pragma omp parallel for schedule(static)
    for (int ci = 0; ci < p->ic; ci++) {
        const int g = ci / icg, c = ci % icg;
        for (int oo = 0; oo < ocg; oo++)
            for (size_t k = 0; k < kk; k++)
                pl->wt[((size_t)ci * ocg + oo) * kk + k] =
                    w[(((size_t)g * ocg + oo) * icg + c) * kk + k];
    }
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < p->n; n++) {
        for (int ci = 0; ci < p->ic; ci++) {
            const int g = ci / icg;
            float *xo = dx + ((size_t)n * p->ic + ci) * p->ih * p->iw;
            for (int h = 0; h < p->ih; h++) {
                const naive_hit *rh = pl->rows + (size_t)h * p->kh;
                const int nr = pl->nrows[h];
                for (int v = 0; v < p->iw; v++) {
                    const naive_hit *cv = pl->cols + (size_t)v * p->kw;
                    const int nc = pl->ncols[v];
                    float acc = 0.0f;
                    /* Order (o, i, j) as the nest testing every tap. */
                    for (int oo = 0; nr && nc && oo < ocg; oo++) {
                        const int o = g * ocg + oo;
                        const float *yo =
                            dy + ((size_t)n * p->oc + o) * p->oh * p->ow;
                        const float *wo = pl->wt + ((size_t)ci * ocg + oo) * kk;
                        for (int a = 0; a < nr; a++) {
                            const float *yr = yo + (size_t)rh[a].out * p->ow;
                            const float *wr = wo + rh[a].tap * p->kw;
                            for (int b = 0; b < nc; b++)
                                acc += yr[cv[b].out] * wr[cv[b].tap];
                        }
                    }
                    xo[(size_t)h * p->iw + v] = acc;
                }
            }
        }
    }
    return CONV_OK;
}

/* floor(a / s) for s > 0 and either sign of a (C's / truncates). */
static int floor_div(int a, int s)
{
    return a >= 0 ? a / s : -((-a + s - 1) / s);
}

/* [*t0, *t1): the outputs t in [0, out) whose position t*s + off lies in
 * [0, in); empty when *t1 <= *t0. */
static void span(int off, int s, int in, int out, int *t0, int *t1)
{
    const int lo = -floor_div(off, s), hi = floor_div(in - 1 - off, s) + 1;
    *t0 = lo > 0 ? lo : 0;
    *t1 = hi < out ? hi : out;
}

/* dw[o, c, i, j] sums dy[n, o, r, q] * x[n, g*ICG + c, r*SH - PT + i*DH,
 * q*SW - PL + j*DW] over the images and outputs reading inside x; db[o]
 * sums dy[n, o, ., .]. */
static conv_status naive_bwd_w(conv_plan *pl, const float *x, const float *dy,
                               float *dw, float *db)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t oplane = (size_t)p->oh * p->ow;
#pragma omp parallel for collapse(2) schedule(static)
    for (int o = 0; o < p->oc; o++) {
        for (int c = 0; c < icg; c++) {
            const int g = o / ocg;
            for (int i = 0; i < p->kh; i++) {
                const int hoff = i * p->dh - p->pt;
                int r0, r1;
                span(hoff, p->sh, p->ih, p->oh, &r0, &r1);
                for (int j = 0; j < p->kw; j++) {
                    const int voff = j * p->dw - p->pl;
                    int q0, q1;
                    span(voff, p->sw, p->iw, p->ow, &q0, &q1);
                    float acc = 0.0f;
                    for (int n = 0; n < p->n; n++) {
                        const float *xc =
                            x + ((size_t)n * p->ic + (size_t)g * icg + c) *
                                    p->ih * p->iw;
                        const float *yo = dy + ((size_t)n * p->oc + o) * oplane;
                        for (int r = r0; r < r1; r++) {
                            const float *yr = yo + (size_t)r * p->ow;
                            const float *xr =
                                xc + (size_t)(r * p->sh + hoff) * p->iw;
                            for (int q = q0; q < q1; q++)
                                acc += yr[q] * xr[q * p->sw + voff];
                        }
                    }
                    dw[(((size_t)o * icg + c) * p->kh + i) * p->kw + j] = acc;
                }
            }
        }
    }
    if (!db) return CONV_OK;
#pragma omp parallel for schedule(static)
    for (int o = 0; o < p->oc; o++) {
        float acc = 0.0f;
        for (int n = 0; n < p->n; n++)
            for (size_t k = 0; k < oplane; k++)
                acc += dy[((size_t)n * p->oc + o) * oplane + k];
        db[o] = acc;
    }
    return CONV_OK;
}

const conv_algo conv_algo_naive = {
    .name = "naive",
    .supports = naive_supports,
    .plan = naive_plan,
    .execute = naive_execute,
    .workspace_bytes = naive_workspace,
    .destroy = naive_destroy,
    .impl = NULL,
    /* Sequential fp32 sums: worst measured 3.0e-7 (ResNet-50 at mb 1, 4608
     * taps) and 2.8e-7 over `verify --fill real --sweep 300 --seed 1..3`;
     * the error grows like sqrt(taps), so 1e-5 leaves room for ~10^5. */
    .tolerance = 1e-5,
    .exact = true,
    .supports_bwd = naive_supports_bwd,
    .plan_bwd = naive_plan_bwd,
    .execute_bwd_d = naive_bwd_d,
    .execute_bwd_w = naive_bwd_w,
    /* Sequential fp32 sums as forward. bwd_d sums OCG*KH*KW terms like the
     * forward's ICG*KH*KW: worst 3.0e-7 (ResNet-50 at mb 1) and 2.4e-7
     * over `verify --dir bwd_d,bwd_w,bwd_wb --fill real --sweep 300 --seed
     * 1..3`. bwd_w sums N*OH*OW, 12544 on ResNet-50's conv1 at mb 1
     * (worst 3.5e-7) and 10^5 to 10^6 in training batches: growing like
     * sqrt(terms), 1e-4 leaves room for the largest. */
    .tolerance_bwd_d = 1e-5,
    .tolerance_bwd_w = 1e-4,
};
