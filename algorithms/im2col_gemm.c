/* im2col_gemm: per group, lower the input patches into a column matrix
 * (rows (c, i, j) of the kernel, one column per output pixel) and multiply
 * by the weights with OpenBLAS sgemm.
 *
 * The column space of a group is N*OH*OW wide. It is cut into tiles, and
 * OpenMP runs over (group, tile) with OpenBLAS held single-threaded: each
 * task lowers its tile into a per-thread buffer that stays in L2 and calls
 * sgemm on it. Lowering and GEMM then both run on every thread and the
 * OpenMP and OpenBLAS thread pools never take turns (on 2 cores, switching
 * between them after every lowering cost up to 10x). A tile is
 *   - part of one image: the GEMM writes straight into y ("tiles"), or
 *   - several whole small images ("batched"): a GEMM on 49 or 196 columns
 *     runs well below the sgemm peak, so images are stacked into one
 *     product, whose result is scattered into y.
 * 1x1 stride-1 unpadded problems skip the lowering: x is the column matrix.
 * Large ones ("1x1") are one threaded sgemm per image and group from
 * serial code, exactly the product the sgemm rate measures. */
#include <cblas.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

/* Tile widths, from timing the ResNet-50 layers at mb1 and mb8 (1 and 2
 * threads, SkylakeX kernels): a tile's column matrix is kept near
 * IG_TILE_BYTES (it and OpenBLAS's packed panels then stay in L2), but a
 * tile never gets narrower than IG_TILE_MIN columns, below which sgemm's
 * rate falls off. */
#ifndef IG_TILE_BYTES
#define IG_TILE_BYTES (512 * 1024)
#endif
#ifndef IG_TILE_MIN
#define IG_TILE_MIN 256
#endif

typedef enum ig_path { IG_SERIAL, IG_TILES, IG_BATCHED } ig_path;

struct conv_plan {
    conv_problem p;
    ig_path path;
    bool direct; /* 1x1 stride 1 unpadded: x is the column matrix */
    int threads, icg, ocg;
    size_t k, hw, ohw; /* GEMM depth IC/G*KH*KW; pixels in and out */
    /* IG_TILES: ntile tiles of tw columns per image (the last may be
     * shorter); IG_BATCHED: tiles of ipt whole images. */
    size_t tw;
    int ntile, ipt;
    long tasks;
    float *w, *b;
    float *col; /* per thread: K x tile columns */
    float *tmp; /* per thread, batched: OC/G x tile columns */
    size_t col_stride, tmp_stride;
    size_t bytes;
    char impl[96];
};

static conv_status ig_supports(const conv_problem *p, char *why, size_t len)
{
    /* BLAS dimensions and leading dimensions are int. */
    const int64_t k = (int64_t)(p->ic / p->g) * p->kh * p->kw,
                  ohw = (int64_t)p->oh * p->ow, hw = (int64_t)p->ih * p->iw;
    if (k > INT32_MAX || ohw > INT32_MAX || hw > INT32_MAX)
        return conv_why(why, len, CONV_UNSUPPORTED,
                        "GEMM dimension over the BLAS int range (K %lld, "
                        "OH*OW %lld, IH*IW %lld)",
                        (long long)k, (long long)ohw, (long long)hw);
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

/* a * b * c, false on overflow. */
static bool ig_mul3(size_t a, size_t b, size_t c, size_t *out)
{
    size_t t;
    return !__builtin_mul_overflow(a, b, &t) &&
           !__builtin_mul_overflow(t, c, out);
}

/* Output pixels [p0, p1) of one image (xg: its group's channels) as
 * columns 0.. of the K rows at dst, row stride ld. For a kernel column j,
 * the output columns q whose tap lands inside the input form one range
 * [q0, q1); outside it the tap reads padding. */
static void ig_lower(const conv_problem *p, int icg, const float *xg, size_t p0,
                     size_t p1, float *dst, size_t ld)
{
    const int ow = p->ow, sw = p->sw;
    const int r0 = (int)(p0 / (size_t)ow), r1 = (int)((p1 - 1) / ow);
    float *d = dst;
    for (int c = 0; c < icg; c++) {
        for (int i = 0; i < p->kh; i++) {
            for (int j = 0; j < p->kw; j++, d += ld) {
                const int off = j * p->dw - p->pl; /* input col at q = 0 */
                int q0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
                int q1 = p->iw - 1 - off < 0 ? 0 : (p->iw - 1 - off) / sw + 1;
                if (q0 > ow) q0 = ow;
                if (q1 > ow) q1 = ow;
                if (q1 < q0) q1 = q0;
                for (int r = r0; r <= r1; r++) {
                    const int qa = r == r0 ? (int)(p0 % (size_t)ow) : 0;
                    const int qb = r == r1 ? (int)((p1 - 1) % ow) + 1 : ow;
                    float *dr = d + ((size_t)r * ow - p0); /* at q = 0 */
                    const int y = r * p->sh - p->pt + i * p->dh;
                    if (y < 0 || y >= p->ih) {
                        memset(dr + qa, 0, (size_t)(qb - qa) * sizeof(float));
                        continue;
                    }
                    const int va = q0 > qa ? q0 : qa, vb = q1 < qb ? q1 : qb;
                    if (va >= vb) {
                        memset(dr + qa, 0, (size_t)(qb - qa) * sizeof(float));
                        continue;
                    }
                    const float *s = xg + ((size_t)c * p->ih + y) * p->iw +
                                     ((ptrdiff_t)va * sw + off);
                    for (int q = qa; q < va; q++) dr[q] = 0.0f;
                    float *dv = dr + va;
                    const int nv = vb - va;
                    if (sw == 1)
                        memcpy(dv, s, (size_t)nv * sizeof(float));
                    else if (sw == 2)
                        for (int q = 0; q < nv; q++) dv[q] = s[2 * q];
                    else
                        for (int q = 0; q < nv; q++) dv[q] = s[q * sw];
                    for (int q = vb; q < qb; q++) dr[q] = 0.0f;
                }
            }
        }
    }
}

static void ig_sgemm(const conv_plan *pl, int g, int ncol, const float *bm,
                     size_t ldb, float beta, float *c, size_t ldc)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, pl->ocg, ncol,
                (int)pl->k, 1.0f, pl->w + (size_t)g * pl->ocg * pl->k,
                (int)pl->k, bm, (int)ldb, beta, c, (int)ldc);
}

/* Columns [p0, p1) of y's rows for image n, group g, set to the bias so
 * that sgemm accumulates onto them (beta = 1) with no pass of its own. */
static void ig_bias_fill(const conv_plan *pl, int g, float *yg, size_t p0,
                         size_t p1)
{
    for (int o = 0; o < pl->ocg; o++) {
        const float v = pl->b[(size_t)g * pl->ocg + o];
        float *r = yg + (size_t)o * pl->ohw;
        for (size_t q = p0; q < p1; q++) r[q] = v;
    }
}

static void ig_task(const conv_plan *pl, long t, const float *x, float *y,
                    int tid)
{
    const conv_problem *p = &pl->p;
    const size_t ohw = pl->ohw;
    const long per_g = pl->tasks / p->g;
    const int g = (int)(t / per_g);
    const long tile = t % per_g;
    float *col = pl->col + (size_t)tid * pl->col_stride;
    if (pl->path != IG_BATCHED) {
        const int n = (int)(tile / pl->ntile);
        const size_t p0 = (size_t)(tile % pl->ntile) * pl->tw,
                     p1 = p0 + pl->tw < ohw ? p0 + pl->tw : ohw;
        const float *xg =
            x + ((size_t)n * p->ic + (size_t)g * pl->icg) * pl->hw;
        float *yg = y + ((size_t)n * p->oc + (size_t)g * pl->ocg) * ohw;
        const float *bm = xg + p0;
        size_t ldb = pl->hw;
        if (!pl->direct) {
            ig_lower(p, pl->icg, xg, p0, p1, col, p1 - p0);
            bm = col;
            ldb = p1 - p0;
        }
        if (p->bias) ig_bias_fill(pl, g, yg, p0, p1);
        ig_sgemm(pl, g, (int)(p1 - p0), bm, ldb, p->bias ? 1.0f : 0.0f, yg + p0,
                 ohw);
        return;
    }
    /* IG_BATCHED: images [n0, n1) side by side. */
    const int n0 = (int)tile * pl->ipt,
              n1 = n0 + pl->ipt < p->n ? n0 + pl->ipt : p->n;
    const size_t ld = (size_t)(n1 - n0) * ohw;
    float *tmp = pl->tmp + (size_t)tid * pl->tmp_stride;
    for (int n = n0; n < n1; n++) {
        const float *xg =
            x + ((size_t)n * p->ic + (size_t)g * pl->icg) * pl->hw;
        ig_lower(p, pl->icg, xg, 0, ohw, col + (size_t)(n - n0) * ohw, ld);
    }
    ig_sgemm(pl, g, (int)ld, col, ld, 0.0f, tmp, ld);
    for (int n = n0; n < n1; n++) {
        for (int o = 0; o < pl->ocg; o++) {
            const float v = p->bias ? pl->b[(size_t)g * pl->ocg + o] : 0.0f;
            const float *s = tmp + (size_t)o * ld + (size_t)(n - n0) * ohw;
            float *d = y + ((size_t)n * p->oc + (size_t)g * pl->ocg + o) * ohw;
            for (size_t q = 0; q < ohw; q++) d[q] = s[q] + v;
        }
    }
}

static conv_status ig_plan(const conv_problem *p, const float *w,
                           const float *b, const conv_ctx *ctx, conv_plan **out)
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

    /* Tile width: IG_TILE_BYTES of columns, at least IG_TILE_MIN. */
    const int T = pl->threads;
    size_t tw = IG_TILE_BYTES / (pl->k * sizeof(float));
    if (tw < IG_TILE_MIN) tw = IG_TILE_MIN;
    if (pl->ohw >= tw || p->n == 1) {
        pl->ntile = (int)((pl->ohw + tw - 1) / tw);
        /* Whole tasks per thread: round the count up to a multiple. */
        const int up = (pl->ntile + T - 1) / T * T;
        if (((long)p->g * p->n) % T && (size_t)up <= pl->ohw) pl->ntile = up;
        pl->tw = (pl->ohw + pl->ntile - 1) / pl->ntile; /* even tiles */
        pl->ntile = (int)((pl->ohw + pl->tw - 1) / pl->tw);
        pl->path = IG_TILES;
        pl->tasks = (long)p->g * p->n * pl->ntile;
    } else {
        pl->ipt = (int)(tw / pl->ohw);
        if (pl->ipt > p->n) pl->ipt = p->n;
        long per_g = (p->n + pl->ipt - 1) / pl->ipt;
        if (((long)p->g * per_g) % T) {
            per_g = (per_g + T - 1) / T * T;
            if (per_g > p->n) per_g = p->n;
            pl->ipt = (int)((p->n + per_g - 1) / per_g);
            per_g = (p->n + pl->ipt - 1) / pl->ipt;
        }
        pl->path = pl->ipt > 1 ? IG_BATCHED : IG_TILES;
        pl->ntile = 1;
        pl->tw = pl->ohw;
        pl->tasks = (long)p->g * per_g;
    }
    /* Serial code and threaded sgemm when one product per image and group
     * already has the size (1x1 needs no lowering at all), or when there
     * are too few tasks to share among the threads. */
    if ((pl->direct && pl->ohw >= IG_TILE_MIN) || pl->tasks < T) {
        pl->path = IG_SERIAL;
        pl->tw = pl->ohw;
        pl->ntile = 1;
        pl->tasks = (long)p->g * p->n;
    }

    /* Buffers per thread; the harness validated the tensors to fit in
     * memory, so only these products can overflow. */
    const size_t wb = (size_t)p->oc * pl->k * sizeof(float),
                 bb = p->bias ? (size_t)p->oc * sizeof(float) : 0;
    const size_t cols =
        pl->path == IG_BATCHED ? (size_t)pl->ipt * pl->ohw : pl->tw;
    const int nbuf = pl->path == IG_SERIAL ? 1 : T;
    size_t colb = 0, tmpb = 0, sum;
    if (!pl->direct || pl->path == IG_BATCHED) pl->col_stride = pl->k * cols;
    if (pl->path == IG_BATCHED) pl->tmp_stride = (size_t)pl->ocg * cols;
    if (!ig_mul3(pl->col_stride, (size_t)nbuf, sizeof(float), &colb) ||
        !ig_mul3(pl->tmp_stride, (size_t)nbuf, sizeof(float), &tmpb) ||
        __builtin_add_overflow(wb + bb, colb, &sum) ||
        __builtin_add_overflow(sum, tmpb, &pl->bytes)) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "column buffers of %d x %zu floats overflow size_t", nbuf,
                     pl->col_stride + pl->tmp_stride);
        goto cleanup;
    }
    if (pl->bytes > ctx->workspace_cap) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "needs %zu bytes (weights and bias %zu, column "
                     "buffers %zu, output buffers %zu), cap %zu",
                     pl->bytes, wb + bb, colb, tmpb, ctx->workspace_cap);
        goto cleanup;
    }
    pl->w = malloc(wb);
    pl->b = bb ? malloc(bb) : NULL;
    pl->col = colb ? malloc(colb) : NULL;
    pl->tmp = tmpb ? malloc(tmpb) : NULL;
    if (!pl->w || (bb && !pl->b) || (colb && !pl->col) || (tmpb && !pl->tmp)) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "allocating %zu bytes failed", pl->bytes);
        goto cleanup;
    }
    memcpy(pl->w, w, wb);
    if (bb) memcpy(pl->b, b, bb);

    static const char *names[2][3] = {
        {"gemm:im2col-per-image", "gemm:im2col-tiles", "gemm:im2col-batched"},
        {"gemm:1x1", "gemm:1x1-tiles", "gemm:1x1-batched"}};
    const char *name = names[pl->direct][pl->path];
    snprintf(pl->impl, sizeof pl->impl, "%s+%s", name, openblas_get_corename());
    *out = pl;
    pl = NULL;
cleanup:
    ig_destroy(pl);
    return s;
}

static conv_status ig_execute(conv_plan *pl, const float *x, float *y)
{
    if (pl->path == IG_SERIAL) {
        for (long t = 0; t < pl->tasks; t++) ig_task(pl, t, x, y, 0);
        return CONV_OK;
    }
    /* Threaded sgemm inside an OpenMP region would oversubscribe: hold
     * OpenBLAS to one thread for the region (a plain store in OpenBLAS's
     * pthread server when lowering the count) and give it back after. */
    const int blas_threads = openblas_get_num_threads();
    if (blas_threads != 1) openblas_set_num_threads(1);
#pragma omp parallel for schedule(dynamic) num_threads(pl->threads)
    for (long t = 0; t < pl->tasks; t++)
        ig_task(pl, t, x, y, omp_get_thread_num());
    if (blas_threads != 1) openblas_set_num_threads(blas_threads);
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
