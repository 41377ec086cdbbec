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
 * execute() allocates nothing and prints nothing. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "conv.h"

#define OCB 8 /* output channels per task */

struct conv_plan {
    conv_problem p;
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
    return pl->p.sw == 1 ? "direct:ocb8:unit-stride" : "direct:ocb8:strided";
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
};

static const conv_algo *const algos[] = {&direct};

/* The one symbol convbench looks for. */
const conv_plugin conv_plugin_entry = {CONV_ABI_VERSION, 1, algos};
