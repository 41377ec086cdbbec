/* direct: an example convbench plugin, and the template to copy.
 *
 * A direct convolution with output-channel blocking: each task computes
 * OCB output channels of one output row at once, so every input element
 * loaded is used OCB times, and the innermost loop runs along the output
 * row (unit stride in x when sw = 1), which the compiler vectorises. Every
 * configuration is supported: groups, stride, dilation, per-side padding,
 * bias, 1D (a 1D problem is the H = 1 case of the same layout).
 *
 * Build it against an installed convbench (see README.md here):
 *   cc -O3 -march=native -fopenmp -shared -fPIC \
 *      $(pkg-config --cflags convbench) direct.c -o direct.so
 * and run it:   convbench verify --plugin ./direct.so --algo direct --sweep 100
 *
 * The contract (conv.h, README "Verify your own algorithm"): supports() is
 * pure; plan() does all the setup and may keep nothing it was given;
 * execute() allocates nothing and prints nothing.
 *
 * A backward direction (docs/design.md §14) is optional: this example has
 * bwd_w and bwd_wb (direct loops, OpenMP over output channels) and says
 * UNSUPPORTED with the reason for bwd_d, which it leaves out. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "conv.h"

#define OCB 8 /* output channels per task */

struct conv_plan {
    conv_problem p;
    conv_dir dir;
    int threads, nblk; /* nblk: OCB blocks per group */
    float *w;          /* [g][block][ic/g][kh][kw][OCB], zero past ocg */
    float *b;          /* [oc], zeros without bias */
    float *acc;        /* [thread][OCB][ow]: one tile per thread */
    size_t bytes;
};

static conv_status direct_supports(const conv_problem *p, char *why, size_t len)
{
    (void)p, (void)why, (void)len;
    return CONV_OK; /* every configuration */
}

static void direct_destroy(conv_plan *pl)
{
    if (!pl) return;
    free(pl->w), free(pl->b), free(pl->acc);
    free(pl);
}

static conv_status direct_plan(const conv_problem *p, const float *w,
                               const float *b, const conv_ctx *ctx,
                               conv_plan **out)
{
    conv_status s = CONV_OK;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const int nblk = (ocg + OCB - 1) / OCB, threads = ctx->threads;
    const size_t taps = (size_t)icg * p->kh * p->kw;
    const size_t wn = (size_t)p->g * nblk * taps * OCB;
    const size_t an = (size_t)threads * OCB * p->ow;
    const size_t bytes = (wn + (size_t)p->oc + an) * sizeof(float);
    if (bytes > ctx->workspace_cap)
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                        "needs %zu bytes of packed weights and tiles, cap %zu",
                        bytes, ctx->workspace_cap);
    conv_plan *pl = calloc(1, sizeof *pl);
    if (pl) {
        pl->w = calloc(wn, sizeof(float));
        pl->b = calloc((size_t)p->oc, sizeof(float));
        pl->acc = malloc(an * sizeof(float));
    }
    if (!pl || !pl->w || !pl->b || !pl->acc) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "allocating %zu bytes failed", bytes);
        goto cleanup;
    }
    pl->p = *p;
    pl->threads = threads;
    pl->nblk = nblk;
    pl->bytes = bytes;
    /* Repack so that the OCB weights of one tap are adjacent. */
    for (int o = 0; o < p->oc; o++) {
        const int g = o / ocg, blk = (o % ocg) / OCB, lane = (o % ocg) % OCB;
        float *dst = pl->w + ((size_t)g * nblk + blk) * taps * OCB + lane;
        const float *src = w + (size_t)o * taps;
        for (size_t t = 0; t < taps; t++) dst[t * OCB] = src[t];
        if (b) pl->b[o] = b[o];
    }
    *out = pl;
    pl = NULL;
cleanup:
    direct_destroy(pl);
    return s;
}

/* acc[l][ox] += w[l] * x[ox * sw + off] for the ox whose input is inside. */
static void tap_row(float *restrict acc, const float *restrict xr,
                    const float *restrict wk, int ow, int iw, int sw, int off)
{
    const int lo = off < 0 ? (-off + sw - 1) / sw : 0;
    int hi = iw - 1 - off < 0 ? 0 : (iw - 1 - off) / sw + 1;
    if (hi > ow) hi = ow;
    for (int l = 0; l < OCB; l++) {
        const float wv = wk[l];
        float *restrict a = acc + (size_t)l * ow;
        if (sw == 1) {
            const float *restrict xs = xr + off;
            for (int ox = lo; ox < hi; ox++) a[ox] += wv * xs[ox];
        } else {
            for (int ox = lo; ox < hi; ox++) a[ox] += wv * xr[ox * sw + off];
        }
    }
}

static conv_status direct_execute(conv_plan *pl, const float *x, float *y)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g, ocg = p->oc / p->g, nblk = pl->nblk;
    const size_t taps = (size_t)icg * p->kh * p->kw;
    const long tasks = (long)p->n * p->g * nblk * p->oh;
#pragma omp parallel for schedule(static) num_threads(pl->threads)
    for (long t = 0; t < tasks; t++) {
        const int oy = (int)(t % p->oh), blk = (int)(t / p->oh % nblk);
        const int g = (int)(t / p->oh / nblk % p->g);
        const int n = (int)(t / p->oh / nblk / p->g);
#ifdef _OPENMP
        const int tid = omp_get_thread_num();
#else
        const int tid = 0;
#endif
        float *acc = pl->acc + (size_t)tid * OCB * p->ow;
        const int o0 = g * ocg + blk * OCB;
        const int nl = ocg - blk * OCB < OCB ? ocg - blk * OCB : OCB;
        /* Bias first, then the taps in order: the same sums as the plain
         * loop nest, exact under integer data. */
        for (int l = 0; l < OCB; l++)
            for (int ox = 0; ox < p->ow; ox++)
                acc[(size_t)l * p->ow + ox] = l < nl ? pl->b[o0 + l] : 0.0f;
        const float *wb = pl->w + ((size_t)g * nblk + blk) * taps * OCB;
        for (int c = 0; c < icg; c++) {
            const float *xc =
                x + ((size_t)n * p->ic + (size_t)g * icg + c) * p->ih * p->iw;
            for (int i = 0; i < p->kh; i++) {
                const int iy = oy * p->sh - p->pt + i * p->dh;
                if (iy < 0 || iy >= p->ih) continue;
                for (int j = 0; j < p->kw; j++)
                    tap_row(acc, xc + (size_t)iy * p->iw,
                            wb + (((size_t)c * p->kh + i) * p->kw + j) * OCB,
                            p->ow, p->iw, p->sw, j * p->dw - p->pl);
            }
        }
        for (int l = 0; l < nl; l++)
            memcpy(y + (((size_t)n * p->oc + o0 + l) * p->oh + oy) * p->ow,
                   acc + (size_t)l * p->ow, (size_t)p->ow * sizeof(float));
    }
    return CONV_OK;
}

static size_t direct_workspace(const conv_plan *pl)
{
    return pl->bytes;
}

static const char *direct_impl(const conv_plan *pl)
{
    if (pl->dir != CONV_DIR_FWD) return "direct:bwd_w";
    return pl->p.sw == 1 ? "direct:ocb8:unit-stride" : "direct:ocb8:strided";
}

/* ---- backward weights ---------------------------------------------------- */

static conv_status direct_supports_bwd(const conv_problem *p, conv_dir dir,
                                       char *why, size_t len)
{
    (void)p;
    if (dir == CONV_DIR_BWD_D)
        return conv_why(why, len, CONV_UNSUPPORTED,
                        "bwd_d: not in this example (bwd_w and bwd_wb are)");
    return CONV_OK;
}

static conv_status direct_plan_bwd(const conv_problem *p, conv_dir dir,
                                   const conv_ctx *ctx, conv_plan **out)
{
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                        "allocating the plan failed");
    pl->p = *p;
    pl->dir = dir;
    pl->bytes = sizeof *pl;
    *out = pl;
    return CONV_OK;
}

/* dw[o, c, i, j] = sum over n, r, q of dy[n, o, r, q] x[n, g*ICG + c, ...]
 * over the outputs whose tap reads inside x; db[o] = sum of dy[n, o]. */
static conv_status direct_bwd_w(conv_plan *pl, const float *x, const float *dy,
                                float *dw, float *db)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t plane = (size_t)p->ih * p->iw, oplane = (size_t)p->oh * p->ow;
#pragma omp parallel for schedule(dynamic)
    for (int o = 0; o < p->oc; o++) {
        const int g = o / ocg;
        for (int c = 0; c < icg; c++)
            for (int i = 0; i < p->kh; i++)
                for (int j = 0; j < p->kw; j++) {
                    float acc = 0;
                    for (int n = 0; n < p->n; n++) {
                        const float *xs =
                            x +
                            ((size_t)n * p->ic + (size_t)g * icg + c) * plane;
                        const float *ys = dy + ((size_t)n * p->oc + o) * oplane;
                        for (int r = 0; r < p->oh; r++) {
                            const int h = r * p->sh - p->pt + i * p->dh;
                            if (h < 0 || h >= p->ih) continue;
                            for (int q = 0; q < p->ow; q++) {
                                const int v = q * p->sw - p->pl + j * p->dw;
                                if (v >= 0 && v < p->iw)
                                    acc += ys[(size_t)r * p->ow + q] *
                                           xs[(size_t)h * p->iw + v];
                            }
                        }
                    }
                    dw[(((size_t)o * icg + c) * p->kh + i) * p->kw + j] = acc;
                }
        if (db) {
            float s = 0;
            for (int n = 0; n < p->n; n++)
                for (size_t k = 0; k < oplane; k++)
                    s += dy[((size_t)n * p->oc + o) * oplane + k];
            db[o] = s;
        }
    }
    return CONV_OK;
}

static const conv_algo direct = {
    .name = "direct",
    .supports = direct_supports,
    .plan = direct_plan,
    .execute = direct_execute,
    .workspace_bytes = direct_workspace,
    .destroy = direct_destroy,
    .impl = direct_impl,
    /* Each output is one sequential fp32 sum over its taps (bias first),
     * like the naive loop nest: worst measured 2.77e-7 over `verify --fill
     * real --sweep 300 --seed 1..3`, 2.96e-7 on ResNet-50 at mb 1 (see
     * README.md here); 1e-5 leaves the same room as naive's. */
    .tolerance = 1e-5,
    .exact = true,
    .supports_bwd = direct_supports_bwd,
    .plan_bwd = direct_plan_bwd,
    .execute_bwd_w = direct_bwd_w,
    /* Sequential sums over N*OH*OW terms, as naive's bwd_w. */
    .tolerance_bwd_w = 1e-4,
};

static const conv_algo *const algos[] = {&direct};

/* The one symbol convbench looks for. */
const conv_plugin conv_plugin_entry = {CONV_ABI_VERSION, 1, algos};
