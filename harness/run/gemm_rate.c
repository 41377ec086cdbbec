/* The sgemm yardstick: what OpenBLAS reaches on a bare M x N x K product,
 * so a GEMM-based convolution can be judged as a fraction of it. */
#include "run/run.h"

#include <limits.h>

#ifdef CONV_HAVE_OPENBLAS
#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>

#endif

/* Each direction's im2col GEMM from three extents of a group: its output
 * channels O = OC/G, a patch P = IC/G*KH*KW and the batch's output pixels
 * Q = N*OH*OW; the transposes are im2col_gemm's (row-major): bwd_d reads W
 * (O x P) transposed, bwd_w the column matrix (P x Q) transposed. */
enum { GE_O, GE_P, GE_Q };
static const struct {
    int m, n, k;
    bool trans_a, trans_b;
} gemm_dirs[CONV_NDIRS] = {
    [CONV_DIR_FWD] = {GE_O, GE_Q, GE_P, false, false},   /* Y = W col */
    [CONV_DIR_BWD_D] = {GE_P, GE_Q, GE_O, true, false},  /* dcol = W^T dY */
    [CONV_DIR_BWD_W] = {GE_O, GE_P, GE_Q, false, true},  /* dW = dY col^T */
    [CONV_DIR_BWD_WB] = {GE_O, GE_P, GE_Q, false, true}, /* db is no GEMM */
};

conv_gemm_shape conv_dir_gemm_shape(const conv_problem *p, conv_dir dir)
{
    const long long ext[] = {
        [GE_O] = p->oc / p->g,
        [GE_P] = (long long)(p->ic / p->g) * p->kh * p->kw,
        [GE_Q] = (long long)p->n * p->oh * p->ow,
    };
    return (conv_gemm_shape){ext[gemm_dirs[dir].m], ext[gemm_dirs[dir].n],
                             ext[gemm_dirs[dir].k], gemm_dirs[dir].trans_a,
                             gemm_dirs[dir].trans_b};
}

#ifdef CONV_HAVE_OPENBLAS
/* C = op(A) op(B), row-major, with the leading dimensions of s's layout. */
static void gemm_run(const conv_gemm_shape *s, const float *a, const float *b,
                     float *c)
{
    const int m = (int)s->m, n = (int)s->n, k = (int)s->k;
    cblas_sgemm(CblasRowMajor, s->trans_a ? CblasTrans : CblasNoTrans,
                s->trans_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a,
                s->trans_a ? m : k, b, s->trans_b ? k : n, 0.0f, c, n);
}
#endif

double conv_sgemm_gflops(const conv_gemm_shape *s, double min_ms)
{
#ifdef CONV_HAVE_OPENBLAS
    enum { max_reps = 10000, min_reps = 3 };
    double rate = 0, *t = NULL;
    float *a = NULL, *b = NULL, *c = NULL;
    /* BLAS dimensions are int: past INT_MAX there is no reference. */
    if (s->m <= 0 || s->n <= 0 || s->k <= 0 || s->m > INT_MAX ||
        s->n > INT_MAX || s->k > INT_MAX)
        return 0;
    /* Operands live in memory together with the result: refuse sizes
     * whose byte counts overflow rather than allocate a wrapped size. */
    size_t sm = (size_t)s->m, sn = (size_t)s->n, sk = (size_t)s->k;
    if (sm > SIZE_MAX / sizeof(float) / sk ||
        sk > SIZE_MAX / sizeof(float) / sn ||
        sm > SIZE_MAX / sizeof(float) / sn)
        return 0;
    a = malloc(sm * sk * sizeof(float));
    b = malloc(sk * sn * sizeof(float));
    c = malloc(sm * sn * sizeof(float));
    t = malloc(max_reps * sizeof *t);
    if (!a || !b || !c || !t) goto cleanup;
    /* Small nonzero values: no denormals, no overflow, no NaN. */
    for (size_t i = 0; i < sm * sk; i++) a[i] = (float)(i % 7) * 0.125f;
    for (size_t i = 0; i < sk * sn; i++) b[i] = (float)(i % 5) * 0.25f;
    gemm_run(s, a, b, c);
    int reps = 0;
    double total = 0;
    while (reps < max_reps && (reps < min_reps || total < min_ms)) {
        double t0 = conv_now_ms();
        gemm_run(s, a, b, c);
        t[reps] = conv_now_ms() - t0;
        total += t[reps++];
    }
    double med = conv_sort_median(t, reps);
    if (med > 0) rate = 2.0 * (double)s->m * s->n * s->k / (med * 1e6);
cleanup:
    free(a);
    free(b);
    free(c);
    free(t);
    return rate;
#else
    (void)s, (void)min_ms;
    return 0;
#endif
}
