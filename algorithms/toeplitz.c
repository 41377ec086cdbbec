/* toeplitz: convolution as one matrix product with the explicit (doubly
 * blocked) Toeplitz matrix, the textbook formulation. Per group g, T_g has
 * a row per output (o, r, q) and a column per input (c, ih, iw); padding is
 * implicit (a tap falling into padding has no column) and stride and
 * dilation only move the entries. plan() builds every T_g; execute() is
 *   N = 1: y_g = T_g x_g                          (sgemv)
 *   N > 1: Y_g^T (N x OC/G*OH*OW) = X_g^T T_g^T   (sgemm)
 * where X_g^T is x itself read row-major with lda = IC*IH*IW and Y_g^T is
 * y with ldc = OC*OH*OW: no transposes. Stored densely, T is mostly zeros:
 * that is the point of the comparison. The backward directions (T^T for
 * bwd_d, the gradient of T for bwd_w) are in the section "Backward". */
#include <cblas.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

/* --breakdown: the product with its bias preset (forward: serial code
 * calling a threaded BLAS, thread 0 marks); the backward's weight side,
 * which the forward does once in plan: bwd_d builds T from w, bwd_w
 * gathers dw from dT (and sums db). */
enum { TZ_PRODUCT, TZ_KERNEL };
static const char *const tz_phases[] = {"product", "kernel", NULL};

struct conv_plan {
    conv_problem p;
    const conv_phase_hook *hook;
    size_t rows, cols; /* of each T_g */
    float *t;          /* G blocks of rows x cols, row-major */
    float *b;
    size_t bytes;
    char impl[64];
    /* Backward plans: t is T(w) (bwd_d) or dT (bwd_w), filled in execute;
     * tasks are (group, column block) for bwd_d and (output channel,
     * block of cs input channels) for bwd_w. */
    conv_dir dir;
    int nthr;
    size_t cbw; /* bwd_d: columns of a block */
    int ncb;    /* bwd_d: blocks per group */
    int cs, kc; /* bwd_w: channels of a block, blocks */
    long tasks;
};

static conv_status tz_supports(const conv_problem *p, char *why, size_t len)
{
    /* BLAS dimensions and leading dimensions are int. */
    const int64_t xs = (int64_t)p->ic * p->ih * p->iw,
                  ys = (int64_t)p->oc * p->oh * p->ow;
    if (xs > INT32_MAX || ys > INT32_MAX)
        return conv_why(why, len, CONV_UNSUPPORTED,
                        "image over the BLAS int range (IC*IH*IW %lld, "
                        "OC*OH*OW %lld)",
                        (long long)xs, (long long)ys);
    return CONV_OK;
}

static void tz_destroy(conv_plan *pl)
{
    if (!pl) return;
    free(pl->t);
    free(pl->b);
    free(pl);
}

static conv_status tz_plan(const conv_problem *p, const float *w,
                           const float *b, const conv_ctx *ctx, conv_plan **out)
{
    conv_status s = CONV_OK;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                        "allocating the plan failed");
    pl->p = *p;
    pl->hook = ctx->phase_hook;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t ohw = (size_t)p->oh * p->ow, hw = (size_t)p->ih * p->iw;
    pl->rows = (size_t)ocg * ohw;
    pl->cols = (size_t)icg * hw;
    const size_t bb = p->bias ? (size_t)p->oc * sizeof(float) : 0;
    size_t tn, tb;
    if (__builtin_mul_overflow(pl->rows, pl->cols, &tn) ||
        __builtin_mul_overflow(tn, (size_t)p->g, &tn) ||
        __builtin_mul_overflow(tn, sizeof(float), &tb) ||
        __builtin_add_overflow(tb, bb, &pl->bytes)) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "Toeplitz matrix of %d x %zu x %zu floats needs "
                     "about %.3g bytes (more than fits in size_t), cap %zu",
                     p->g, pl->rows, pl->cols,
                     4.0 * p->g * (double)pl->rows * (double)pl->cols,
                     ctx->workspace_cap);
        goto cleanup;
    }
    if (pl->bytes > ctx->workspace_cap) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "Toeplitz matrix of %d x %zu x %zu floats needs %zu "
                     "bytes, cap %zu",
                     p->g, pl->rows, pl->cols, pl->bytes, ctx->workspace_cap);
        goto cleanup;
    }
    /* Plain malloc and an explicit zeroing: calloc could leave the zeros
     * as shared zero pages, and execute() would then read far less memory
     * than a real dense T holds. */
    pl->t = malloc(tb);
    pl->b = bb ? malloc(bb) : NULL;
    if (!pl->t || (bb && !pl->b)) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "allocating %zu bytes failed", pl->bytes);
        goto cleanup;
    }
    if (bb) memcpy(pl->b, b, bb);

    const long nrows = (long)p->g * (long)pl->rows;
#pragma omp parallel for schedule(static)
    for (long row = 0; row < nrows; row++) {
        float *tr = pl->t + (size_t)row * pl->cols;
        memset(tr, 0, pl->cols * sizeof(float));
        const int o = (int)(row / (long)ohw); /* output channel, 0..OC-1 */
        const int pix = (int)(row % (long)ohw);
        const int r = pix / p->ow, q = pix % p->ow;
        const float *wo = w + (size_t)o * icg * p->kh * p->kw;
        for (int c = 0; c < icg; c++)
            for (int i = 0; i < p->kh; i++) {
                const int y = r * p->sh - p->pt + i * p->dh;
                if (y < 0 || y >= p->ih) continue;
                for (int j = 0; j < p->kw; j++) {
                    const int x = q * p->sw - p->pl + j * p->dw;
                    if (x < 0 || x >= p->iw) continue;
                    tr[((size_t)c * p->ih + y) * p->iw + x] =
                        wo[((size_t)c * p->kh + i) * p->kw + j];
                }
            }
    }
    snprintf(pl->impl, sizeof pl->impl, "%s+%s",
             p->n == 1 ? "toeplitz:sgemv" : "toeplitz:sgemm",
             openblas_get_corename());
    *out = pl;
    pl = NULL;
cleanup:
    tz_destroy(pl);
    return s;
}

static conv_status tz_execute(conv_plan *pl, const float *x, float *y)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t ohw = (size_t)p->oh * p->ow, hw = (size_t)p->ih * p->iw;
    /* The products accumulate onto y (beta = 1) preset to the bias: the
     * bias costs no pass of its own, and y's NaN-or-garbage prior content
     * never meets a BLAS beta = 0 special case. Serial: y is small next to
     * T, and an OpenMP region here would leave its threads spinning
     * against OpenBLAS's. */
    conv_phase_mark(pl->hook, 0, TZ_PRODUCT);
    for (size_t row = 0; row < (size_t)p->n * p->oc; row++) {
        const float v = p->bias ? pl->b[row % (size_t)p->oc] : 0.0f;
        float *yr = y + row * ohw;
        for (size_t i = 0; i < ohw; i++) yr[i] = v;
    }
    for (int g = 0; g < p->g; g++) {
        const float *tg = pl->t + (size_t)g * pl->rows * pl->cols;
        const float *xg = x + (size_t)g * icg * hw;
        float *yg = y + (size_t)g * ocg * ohw;
        if (p->n == 1)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)pl->rows,
                        (int)pl->cols, 1.0f, tg, (int)pl->cols, xg, 1, 1.0f, yg,
                        1);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, p->n,
                        (int)pl->rows, (int)pl->cols, 1.0f, xg,
                        (int)((size_t)p->ic * hw), tg, (int)pl->cols, 1.0f, yg,
                        (int)((size_t)p->oc * ohw));
    }
    conv_phase_mark(pl->hook, 0, CONV_PHASE_END);
    return CONV_OK;
}

/* ---- Backward (docs/design.md §14) ----
 * bwd_d: dx_g = T_g(w)^T dy_g, the forward's matrix read transposed: for
 * N = 1 an sgemv, for N > 1 dX_g^T = dY_g^T T_g (sgemm, again with no
 * transposes of x or y). T is built from w inside execute: training
 * weights change every step, so no plan can keep it.
 * bwd_w: the gradient of the matrix product itself. y_g = T_g x_g gives
 * dT_g = sum over images of dy_g x_g^T (one sgemm over the batch,
 * dY_g^T X_g, into the full dense matrix again); every weight w[o, c, i,
 * j] sits at the positions of T that hold it, so dw[o, c, i, j] is the
 * sum of dT over those positions: the adjoint of building T. (The other
 * reading, the Toeplitz matrix of x, is the im2col lowering: that is
 * im2col_gemm's method.)
 * Both hold the forward's G x rows x cols matrix and take its memory
 * rule. Each thread owns a part of the matrix and does build then product
 * (bwd_d: columns of T, i.e. elements of dx) or product then gather
 * (bwd_w: rows and columns of dT, i.e. a block of dw) back to back, with
 * OpenBLAS held to one thread: no barrier and no reduction. */

/* A pthread OpenBLAS would start its own threads for each call inside the
 * region: hold it to one thread meanwhile; returns the count to give back
 * (0: nothing held). */
static int tz_blas_hold(void)
{
    const int n = openblas_get_num_threads();
    if (openblas_get_parallel() != OPENBLAS_THREAD || n == 1) return 0;
    openblas_set_num_threads(1);
    return n;
}

static void tz_blas_release(int n)
{
    if (n) openblas_set_num_threads(n);
}

static int tz_floordiv(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The taps t in [0, k) of one output position whose input index
 * at + t*d lies in [0, len): the range [*t0, *t1) (empty: t1 <= t0). */
static void tz_taps(int at, int d, int len, int k, int *t0, int *t1)
{
    const int lo = -tz_floordiv(at, d), hi = tz_floordiv(len - 1 - at, d) + 1;
    *t0 = lo > 0 ? lo : 0;
    *t1 = hi < k ? hi : k;
}

/* Columns [a, b) of every row of T_g (at tg) built from w: zeros, then
 * for each valid tap of the row its weight of every channel whose column
 * falls in [a, b). Channels innermost: long runs whatever the shape (a
 * 1x1 layer has one tap and many channels, a depthwise one the reverse). */
static void tz_build_cols(const conv_plan *pl, const float *w, float *tg, int g,
                          size_t a, size_t b)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t hw = (size_t)p->ih * p->iw, ohw = (size_t)p->oh * p->ow;
    const size_t kk = (size_t)p->kh * p->kw;
    const size_t ca = a / hw, ar = a % hw, cb = b / hw, br = b % hw;
    for (size_t row = 0; row < pl->rows; row++) {
        float *tr = tg + row * pl->cols;
        memset(tr + a, 0, (b - a) * sizeof(float));
        const int o = g * ocg + (int)(row / ohw), pix = (int)(row % ohw);
        const int r = pix / p->ow, q = pix % p->ow;
        const int y0 = r * p->sh - p->pt, x0 = q * p->sw - p->pl;
        int i0, i1, j0, j1;
        tz_taps(y0, p->dh, p->ih, p->kh, &i0, &i1);
        tz_taps(x0, p->dw, p->iw, p->kw, &j0, &j1);
        const float *wo = w + (size_t)o * icg * kk;
        for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++) {
                /* column c*hw + off (off < hw) in [a, b): c in [c0, c1) */
                const size_t off =
                    (size_t)(y0 + i * p->dh) * p->iw + (size_t)(x0 + j * p->dw);
                const size_t c0 = ca + (off < ar), c1 = cb + (off < br);
                const float *s = wo + (size_t)i * p->kw + j;
                for (size_t c = c0; c < c1; c++) tr[c * hw + off] = s[c * kk];
            }
    }
}

/* bwd_d task t: columns [a, b) of T_g built, then the same columns of dx
 * (of every image) from them; marked as thread tid's, ends in product. */
static void tz_bwd_d_task(conv_plan *pl, long t, const float *w,
                          const float *dy, float *dx, int tid)
{
    const conv_problem *p = &pl->p;
    const int g = (int)(t / pl->ncb);
    const size_t a = (size_t)(t % pl->ncb) * pl->cbw,
                 b = a + pl->cbw < pl->cols ? a + pl->cbw : pl->cols;
    const size_t hw = (size_t)p->ih * p->iw, ohw = (size_t)p->oh * p->ow;
    float *tg = pl->t + (size_t)g * pl->rows * pl->cols;
    const float *dyg = dy + (size_t)g * (p->oc / p->g) * ohw;
    float *dxg = dx + (size_t)g * (p->ic / p->g) * hw;
    conv_phase_mark(pl->hook, tid, TZ_KERNEL);
    tz_build_cols(pl, w, tg, g, a, b);
    conv_phase_mark(pl->hook, tid, TZ_PRODUCT);
    if (p->n == 1) {
        /* beta = 1 onto zeros: dx's prior NaN never meets a BLAS beta = 0
         * special case (as the forward's bias preset). */
        memset(dxg + a, 0, (b - a) * sizeof(float));
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)pl->rows, (int)(b - a),
                    1.0f, tg + a, (int)pl->cols, dyg, 1, 1.0f, dxg + a, 1);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p->n,
                    (int)(b - a), (int)pl->rows, 1.0f, dyg,
                    (int)((size_t)p->oc * ohw), tg + a, (int)pl->cols, 0.0f,
                    dxg + a, (int)((size_t)p->ic * hw));
    }
}

static conv_status tz_bwd_d(conv_plan *pl, const float *w, const float *dy,
                            float *dx)
{
    if (pl->nthr == 1) { /* one task: OpenBLAS threaded as configured */
        for (long t = 0; t < pl->tasks; t++) tz_bwd_d_task(pl, t, w, dy, dx, 0);
        conv_phase_mark(pl->hook, 0, CONV_PHASE_END);
        return CONV_OK;
    }
    const int held = tz_blas_hold();
#pragma omp parallel num_threads(pl->nthr)
    {
        const int tid = omp_get_thread_num();
#pragma omp for schedule(static) nowait
        for (long t = 0; t < pl->tasks; t++)
            tz_bwd_d_task(pl, t, w, dy, dx, tid);
        conv_phase_mark(pl->hook, tid, CONV_PHASE_END);
    }
    tz_blas_release(held);
    return CONV_OK;
}

/* bwd_w task t: output channel o, input channels [c0, c0 + cs) of its
 * group: those rows and columns of dT_g, then dw[o, c0.., ., .] gathered
 * from them; marked as thread tid's, ends in kernel. */
static void tz_bwd_w_task(conv_plan *pl, long t, const float *x,
                          const float *dy, float *dw, int tid)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g, ocg = p->oc / p->g, cs = pl->cs;
    const int o = (int)(t / pl->kc), c0 = (int)(t % pl->kc) * cs;
    const int g = o / ocg;
    const size_t hw = (size_t)p->ih * p->iw, ohw = (size_t)p->oh * p->ow;
    const size_t kk = (size_t)p->kh * p->kw;
    float *d = pl->t +
               ((size_t)g * pl->rows + (size_t)(o % ocg) * ohw) * pl->cols +
               (size_t)c0 * hw;
    conv_phase_mark(pl->hook, tid, TZ_PRODUCT);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ohw,
                (int)((size_t)cs * hw), p->n, 1.0f, dy + (size_t)o * ohw,
                (int)((size_t)p->oc * ohw), x + ((size_t)g * icg + c0) * hw,
                (int)((size_t)p->ic * hw), 0.0f, d, (int)pl->cols);
    float *dwo = dw + ((size_t)o * icg + c0) * kk;
    conv_phase_mark(pl->hook, tid, TZ_KERNEL);
    memset(dwo, 0, (size_t)cs * kk * sizeof(float));
    for (int r = 0; r < p->oh; r++) {
        const int y0 = r * p->sh - p->pt;
        int i0, i1;
        tz_taps(y0, p->dh, p->ih, p->kh, &i0, &i1);
        for (int q = 0; q < p->ow; q++) {
            const int x0 = q * p->sw - p->pl;
            int j0, j1;
            tz_taps(x0, p->dw, p->iw, p->kw, &j0, &j1);
            const float *tr = d + ((size_t)r * p->ow + q) * pl->cols;
            for (int i = i0; i < i1; i++)
                for (int j = j0; j < j1; j++) {
                    const float *s = tr + (size_t)(y0 + i * p->dh) * p->iw +
                                     (size_t)(x0 + j * p->dw);
                    float *dc = dwo + (size_t)i * p->kw + j;
                    for (int c = 0; c < cs; c++) dc[c * kk] += s[c * hw];
                }
        }
    }
}

static conv_status tz_bwd_w(conv_plan *pl, const float *x, const float *dy,
                            float *dw, float *db)
{
    const conv_problem *p = &pl->p;
    const size_t ohw = (size_t)p->oh * p->ow;
    const int held = pl->nthr > 1 ? tz_blas_hold() : 0;
#pragma omp parallel num_threads(pl->nthr)
    {
        const int tid = omp_get_thread_num();
#pragma omp for schedule(static) nowait
        for (long t = 0; t < pl->tasks; t++)
            tz_bwd_w_task(pl, t, x, dy, dw, tid);
        if (db) {
            conv_phase_mark(pl->hook, tid, TZ_KERNEL);
#pragma omp for schedule(static)
            for (int o = 0; o < p->oc; o++) {
                float s = 0.0f;
                for (int n = 0; n < p->n; n++) {
                    const float *v = dy + ((size_t)n * p->oc + o) * ohw;
                    for (size_t k = 0; k < ohw; k++) s += v[k];
                }
                db[o] = s;
            }
        }
        conv_phase_mark(pl->hook, tid, CONV_PHASE_END);
    }
    tz_blas_release(held);
    return CONV_OK;
}

static conv_status tz_supports_bwd(const conv_problem *p, conv_dir dir,
                                   char *why, size_t len)
{
    (void)dir;
    return tz_supports(p, why, len);
}

static conv_status tz_plan_bwd(const conv_problem *p, conv_dir dir,
                               const conv_ctx *ctx, conv_plan **out)
{
    conv_status s = CONV_OK;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                        "allocating the plan failed");
    pl->p = *p;
    pl->dir = dir;
    pl->hook = ctx->phase_hook;
    const int T = ctx->threads > 0 ? ctx->threads : 1;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    pl->rows = (size_t)ocg * p->oh * p->ow;
    pl->cols = (size_t)icg * p->ih * p->iw;
    const char *what = dir == CONV_DIR_BWD_D ? "Toeplitz matrix T(w)"
                                             : "gradient dT of the Toeplitz "
                                               "matrix";
    size_t tn;
    if (__builtin_mul_overflow(pl->rows, pl->cols, &tn) ||
        __builtin_mul_overflow(tn, (size_t)p->g, &tn) ||
        __builtin_mul_overflow(tn, sizeof(float), &pl->bytes)) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "%s of %d x %zu x %zu floats needs about %.3g bytes "
                     "(more than fits in size_t), cap %zu",
                     what, p->g, pl->rows, pl->cols,
                     4.0 * p->g * (double)pl->rows * (double)pl->cols,
                     ctx->workspace_cap);
        goto cleanup;
    }
    if (pl->bytes > ctx->workspace_cap) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "%s of %d x %zu x %zu floats needs %zu bytes, cap %zu",
                     what, p->g, pl->rows, pl->cols, pl->bytes,
                     ctx->workspace_cap);
        goto cleanup;
    }
    /* Not zeroed here: every execute writes every entry it reads. */
    pl->t = malloc(pl->bytes);
    if (!pl->t) {
        s = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "allocating %zu bytes failed", pl->bytes);
        goto cleanup;
    }
    if (dir == CONV_DIR_BWD_D) {
        /* Groups, each cut into column blocks when they alone cannot share
         * the threads evenly; block widths of 16 floats (a cache line),
         * so that two threads share at most one line of a row of T. */
        int nb = 1;
        if (p->g % T && p->g < 4 * T)
            while ((long)p->g * nb % T) nb++;
        pl->cbw = (pl->cols + nb - 1) / nb;
        pl->cbw = (pl->cbw + 15) / 16 * 16;
        pl->ncb = (int)((pl->cols + pl->cbw - 1) / pl->cbw);
        pl->tasks = (long)p->g * pl->ncb;
    } else {
        /* Output channels, each cut into channel blocks when they alone
         * cannot share the threads evenly (and the channels allow). */
        pl->kc = 1;
        if (p->oc % T && p->oc < 4 * T)
            for (int c = 2; c <= icg && pl->kc == 1; c++)
                if (icg % c == 0 && (long)p->oc * c % T == 0) pl->kc = c;
        pl->cs = icg / pl->kc;
        pl->tasks = (long)p->oc * pl->kc;
    }
    pl->nthr = pl->tasks < T ? (int)pl->tasks : T;
    snprintf(pl->impl, sizeof pl->impl, "toeplitz:%s+%s",
             dir != CONV_DIR_BWD_D ? "dT-sgemm-gather"
             : p->n == 1           ? "T^T-sgemv"
                                   : "T^T-sgemm",
             openblas_get_corename());
    *out = pl;
    pl = NULL;
cleanup:
    tz_destroy(pl);
    return s;
}

static size_t tz_workspace(const conv_plan *pl)
{
    return pl ? pl->bytes : 0;
}

static const char *tz_impl(const conv_plan *pl)
{
    return pl ? pl->impl : NULL;
}

const conv_algo conv_algo_toeplitz = {
    .name = "toeplitz",
    .supports = tz_supports,
    .plan = tz_plan,
    .execute = tz_execute,
    .workspace_bytes = tz_workspace,
    .destroy = tz_destroy,
    .impl = tz_impl,
    .phases = tz_phases,
    /* Largest docs/design.md §4 error seen under real fill: 2.1e-7 (about 4
     * ulp), over `verify --fill real --sweep 300` with seeds 1-5 and the
     * benchdnn sets that fit the workspace cap; the zeros of T add nothing
     * to the rounding, so the error is that of an fp32 dot product as in
     * im2col_gemm. The bound leaves a 50x margin. */
    .tolerance = 1e-5,
    /* Integer fill keeps every partial sum exact; T's entries are copies
     * of the weights and its zeros add exact zeros. */
    .exact = true,
    .supports_bwd = tz_supports_bwd,
    .plan_bwd = tz_plan_bwd,
    .execute_bwd_d = tz_bwd_d,
    .execute_bwd_w = tz_bwd_w,
    /* Largest error seen under real fill (`verify --dir bwd_d,bwd_w,bwd_wb
     * --fill real --sweep 300 --threads 2`, seeds 1-3, and the default
     * set's layers that fit the cap at mb2): bwd_d 3.0e-7, bwd_w and
     * bwd_wb 2.5e-7. bwd_d is a BLAS product over T's rows, zeros adding
     * nothing: 1e-5 as the forward, a 30x margin. bwd_w's gather adds
     * OH*OW entries of dT one after another per weight, as naive sums:
     * 1e-4 as naive's bwd_w. */
    .tolerance_bwd_d = 1e-5,
    .tolerance_bwd_w = 1e-4,
};
