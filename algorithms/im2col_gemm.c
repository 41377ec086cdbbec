/* im2col_gemm: per group, lower the input patches into a column matrix
 * (rows (c, i, j), columns (r, q)) and multiply by the weights with
 * OpenBLAS sgemm. Paths, chosen in plan():
 *   1x1          1x1, stride 1, unpadded: x itself is the column matrix.
 *   per-image    lower one image, one GEMM straight into y.
 *   batched      lower every image into one matrix of N*OH*OW columns, one
 *                GEMM into a buffer, scatter into y: small images make
 *                skinny GEMMs that run far below the sgemm peak.
 *   groups-par   many small groups: OpenMP over (n, g), each task lowering
 *                into its thread's buffer and calling sgemm on a product
 *                below OpenBLAS's threading threshold (it then runs on the
 *                calling thread: no oversubscription). */
#include <cblas.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

/* OpenBLAS 0.3.21 (interface/gemm.c) runs sgemm on the calling thread when
 * M*N*K <= SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD = 65536 * 4. */
#define IG_BLAS_SERIAL_MNK 262144.0
/* Per-image GEMMs with fewer output pixels than this run clearly below
 * the sgemm rate of the batched product (measured on the ResNet-50 layers
 * at mb8: OH*OW = 49 and 196 gain from batching, 784 and up do not). */
#define IG_BATCH_MAX_OHW 512

typedef enum ig_path {
    IG_1X1,
    IG_PER_IMAGE,
    IG_BATCHED,
    IG_GROUPS_PAR
} ig_path;

struct conv_plan {
    conv_problem p;
    ig_path path;
    bool direct; /* 1x1 stride 1 unpadded: x is the column matrix */
    int threads, icg, ocg;
    size_t k, hw, ohw; /* GEMM depth IC/G*KH*KW; pixels in and out */
    float *w, *b;
    float *col; /* lowered patches: one per thread on groups-par */
    float *tmp; /* batched: GEMM result, OC/G x N*OH*OW */
    size_t bytes;
    char impl[96];
};

static conv_status ig_supports(const conv_problem *p, char *why, size_t len)
{
    (void)p, (void)why, (void)len;
    return CONV_OK;
}

static void ig_destroy(conv_plan *pl)
{
    if (!pl) return;
    free(pl->w);
    free(pl->b);
    free(pl->col);
    free(pl->tmp);
    free(pl);
}

/* a * b * c with overflow detection; false on overflow. */
static bool ig_mul3(size_t a, size_t b, size_t c, size_t *out)
{
    size_t t;
    return !__builtin_mul_overflow(a, b, &t) &&
           !__builtin_mul_overflow(t, c, out);
}

/* The kw rows (c, i, 0..kw-1) of the column matrix for one image, written
 * at dst (row stride ld). The valid output columns of each row are a
 * contiguous range [q0, q1): outside it the tap falls into padding. */
static void ig_lower_rows(const conv_problem *p, const float *xg, int c,
                          int i, float *dst, size_t ld)
{
    const int ow = p->ow, sw = p->sw;
    for (int j = 0; j < p->kw; j++) {
        float *d = dst + ((size_t)(c * p->kh + i) * p->kw + j) * ld;
        const int off = j * p->dw - p->pl; /* input column at q = 0 */
        int q0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
        int q1 = p->iw - 1 - off < 0 ? 0 : (p->iw - 1 - off) / sw + 1;
        if (q0 > ow) q0 = ow;
        if (q1 > ow) q1 = ow;
        if (q1 < q0) q1 = q0;
        for (int r = 0; r < p->oh; r++) {
            float *dr = d + (size_t)r * ow;
            const int y = r * p->sh - p->pt + i * p->dh;
            if (y < 0 || y >= p->ih) {
                memset(dr, 0, (size_t)ow * sizeof(float));
                continue;
            }
            const float *s = xg + ((size_t)c * p->ih + y) * p->iw +
                             ((ptrdiff_t)q0 * sw + off);
            for (int q = 0; q < q0; q++) dr[q] = 0.0f;
            if (sw == 1)
                memcpy(dr + q0, s, (size_t)(q1 - q0) * sizeof(float));
            else if (sw == 2)
                for (int q = 0; q < q1 - q0; q++) dr[q0 + q] = s[2 * q];
            else
                for (int q = 0; q < q1 - q0; q++) dr[q0 + q] = s[q * sw];
            for (int q = q1; q < ow; q++) dr[q] = 0.0f;
        }
    }
}

/* Column matrix of group g for images [n0, n0 + nn): image n's columns
 * start at column (n - n0) * OH*OW of each row of length ld. */
static void ig_lower(const conv_plan *pl, const float *x, int g, int n0,
                     int nn, float *col, size_t ld, bool par)
{
    const conv_problem *p = &pl->p;
    const long per = (long)pl->icg * p->kh, items = per * nn;
#pragma omp parallel for schedule(static) if (par) num_threads(pl->threads)
    for (long t = 0; t < items; t++) {
        const int n = n0 + (int)(t / per), ci = (int)(t % per);
        const float *xg =
            x + ((size_t)n * p->ic + (size_t)g * pl->icg) * pl->hw;
        ig_lower_rows(p, xg, ci / p->kh, ci % p->kh,
                      col + (size_t)(n - n0) * pl->ohw, ld);
    }
}

/* y rows of image n, channels of group g, set to the bias so the GEMM can
 * accumulate onto them (beta = 1): no extra pass over y. */
static void ig_bias_rows(const conv_plan *pl, int g, float *yg)
{
    for (int o = 0; o < pl->ocg; o++) {
        const float v = pl->b[(size_t)g * pl->ocg + o];
        float *r = yg + (size_t)o * pl->ohw;
        for (size_t q = 0; q < pl->ohw; q++) r[q] = v;
    }
}

static conv_status ig_plan(const conv_problem *p, const float *w,
                           const float *b, const conv_ctx *ctx,
                           conv_plan **out)
{
    conv_status s = CONV_OK;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl) return CONV_NOMEM;
    pl->p = *p;
    pl->threads = ctx->threads > 0 ? ctx->threads : 1;
    pl->icg = p->ic / p->g;
    pl->ocg = p->oc / p->g;
    pl->k = (size_t)pl->icg * p->kh * p->kw;
    pl->hw = (size_t)p->ih * p->iw;
    pl->ohw = (size_t)p->oh * p->ow;
    pl->direct = p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 &&
                 !p->pt && !p->pb && !p->pl && !p->pr;

    /* The harness validated the tensors to fit in memory, so the sizes
     * below the column matrices cannot overflow. */
    const size_t wb = (size_t)p->oc * pl->k * sizeof(float),
                 bb = p->bias ? (size_t)p->oc * sizeof(float) : 0;
    const double mnk = (double)pl->ocg * (double)pl->ohw * (double)pl->k;
    size_t colb = 0, tmpb = 0, one = 0;
    const bool have_one =
        ig_mul3(pl->k, pl->ohw, sizeof(float), &one); /* K x OH*OW */

    if (pl->threads > 1 && p->g > 1 && (long)p->n * p->g >= pl->threads &&
        mnk <= IG_BLAS_SERIAL_MNK) {
        pl->path = IG_GROUPS_PAR;
        colb = pl->direct ? 0 : one * (size_t)pl->threads;
    } else {
        size_t bcol = 0, btmp = 0;
        const bool batch_fits =
            p->n > 1 && pl->ohw < IG_BATCH_MAX_OHW && have_one &&
            ig_mul3(pl->k, pl->ohw * p->n, sizeof(float), &bcol) &&
            ig_mul3(pl->ocg, pl->ohw * p->n, sizeof(float), &btmp) &&
            wb + bb + bcol + btmp >= bcol &&
            wb + bb + bcol + btmp <= ctx->workspace_cap;
        if (batch_fits) {
            pl->path = IG_BATCHED;
            colb = bcol;
            tmpb = btmp;
        } else if (pl->direct) {
            pl->path = IG_1X1;
        } else {
            pl->path = IG_PER_IMAGE;
            colb = one;
        }
    }
    if (!have_one) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "column matrix of %zu x %zu floats overflows size_t",
                     pl->k, pl->ohw);
        goto cleanup;
    }
    pl->bytes = wb + bb + colb + tmpb;
    if (pl->bytes < colb || pl->bytes > ctx->workspace_cap) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "needs %zu bytes (weights %zu, columns %zu, output "
                     "buffer %zu), cap %zu",
                     pl->bytes, wb + bb, colb, tmpb, ctx->workspace_cap);
        goto cleanup;
    }
    pl->w = malloc(wb);
    pl->b = bb ? malloc(bb) : NULL;
    pl->col = colb ? malloc(colb) : NULL;
    pl->tmp = tmpb ? malloc(tmpb) : NULL;
    if (!pl->w || (bb && !pl->b) || (colb && !pl->col) ||
        (tmpb && !pl->tmp)) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "allocating %zu bytes failed", pl->bytes);
        goto cleanup;
    }
    memcpy(pl->w, w, wb);
    if (bb) memcpy(pl->b, b, bb);

    static const char *names[] = {"gemm:1x1", "gemm:im2col-per-image",
                                  "gemm:im2col-batched",
                                  "gemm:im2col-groups-par"};
    const char *name = names[pl->path];
    if (pl->path == IG_BATCHED && pl->direct) name = "gemm:1x1-batched";
    if (pl->path == IG_GROUPS_PAR && pl->direct)
        name = "gemm:1x1-groups-par";
    snprintf(pl->impl, sizeof pl->impl, "%s+%s", name,
             openblas_get_corename());
    *out = pl;
    pl = NULL;
cleanup:
    ig_destroy(pl);
    return s;
}

static void ig_sgemm(const conv_plan *pl, int g, const float *bm, size_t ldb,
                     float *c, size_t ldc, int n, float beta)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, pl->ocg, n,
                (int)pl->k, 1.0f, pl->w + (size_t)g * pl->ocg * pl->k,
                (int)pl->k, bm, (int)ldb, beta, c, (int)ldc);
}

static conv_status ig_execute(conv_plan *pl, const float *x, float *y)
{
    const conv_problem *p = &pl->p;
    const float beta = p->bias ? 1.0f : 0.0f;
    const size_t ohw = pl->ohw;
    switch (pl->path) {
    case IG_1X1:
    case IG_PER_IMAGE:
        for (int n = 0; n < p->n; n++) {
            for (int g = 0; g < p->g; g++) {
                float *yg = y + ((size_t)n * p->oc + (size_t)g * pl->ocg) *
                                    ohw;
                const float *bm = pl->col;
                if (pl->direct)
                    bm = x + ((size_t)n * p->ic + (size_t)g * pl->icg) *
                                 pl->hw;
                else
                    ig_lower(pl, x, g, n, 1, pl->col, ohw, true);
                if (p->bias) ig_bias_rows(pl, g, yg);
                ig_sgemm(pl, g, bm, ohw, yg, ohw, (int)ohw, beta);
            }
        }
        break;
    case IG_BATCHED: {
        const size_t ld = ohw * p->n;
        for (int g = 0; g < p->g; g++) {
            ig_lower(pl, x, g, 0, p->n, pl->col, ld, true);
            ig_sgemm(pl, g, pl->col, ld, pl->tmp, ld, (int)ld, 0.0f);
#pragma omp parallel for collapse(2) schedule(static) num_threads(pl->threads)
            for (int n = 0; n < p->n; n++) {
                for (int o = 0; o < pl->ocg; o++) {
                    const float v = p->bias ? pl->b[g * pl->ocg + o] : 0.0f;
                    const float *s = pl->tmp + (size_t)o * ld + n * ohw;
                    float *d = y + ((size_t)n * p->oc +
                                    (size_t)g * pl->ocg + o) *
                                       ohw;
                    for (size_t q = 0; q < ohw; q++) d[q] = s[q] + v;
                }
            }
        }
        break;
    }
    case IG_GROUPS_PAR:
#pragma omp parallel for collapse(2) schedule(dynamic) num_threads(pl->threads)
        for (int n = 0; n < p->n; n++) {
            for (int g = 0; g < p->g; g++) {
                float *yg = y + ((size_t)n * p->oc + (size_t)g * pl->ocg) *
                                    ohw;
                const float *bm;
                if (pl->direct) {
                    bm = x + ((size_t)n * p->ic + (size_t)g * pl->icg) *
                                 pl->hw;
                } else {
                    float *col = pl->col + (size_t)omp_get_thread_num() *
                                               pl->k * ohw;
                    ig_lower(pl, x, g, n, 1, col, ohw, false);
                    bm = col;
                }
                if (p->bias) ig_bias_rows(pl, g, yg);
                ig_sgemm(pl, g, bm, ohw, yg, ohw, (int)ohw, beta);
            }
        }
        break;
    }
    return CONV_OK;
}

static size_t ig_workspace(const conv_plan *pl)
{
    return pl ? pl->bytes : 0;
}

static const char *ig_impl(const conv_plan *pl)
{
    return pl ? pl->impl : NULL;
}

const conv_algo conv_algo_im2col_gemm = {
    .name = "im2col_gemm",
    .supports = ig_supports,
    .plan = ig_plan,
    .execute = ig_execute,
    .workspace_bytes = ig_workspace,
    .destroy = ig_destroy,
    .impl = ig_impl,
    .tolerance = 1e-5,
    .exact = true,
};
