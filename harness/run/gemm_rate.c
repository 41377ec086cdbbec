/* The sgemm yardstick: what OpenBLAS reaches on a bare M x N x K product,
 * so a GEMM-based convolution can be judged as a fraction of it. */
#include "run/run.h"

#ifdef CONV_HAVE_OPENBLAS
#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>

#endif

double conv_sgemm_gflops(int m, int n, int k, double min_ms)
{
#ifdef CONV_HAVE_OPENBLAS
    enum { max_reps = 10000, min_reps = 3 };
    double rate = 0, *t = NULL;
    float *a = NULL, *b = NULL, *c = NULL;
    if (m <= 0 || n <= 0 || k <= 0) return 0;
    /* Operands live in memory together with the result: refuse sizes
     * whose byte counts overflow rather than allocate a wrapped size. */
    size_t sm = (size_t)m, sn = (size_t)n, sk = (size_t)k;
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
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k,
                b, n, 0.0f, c, n);
    int reps = 0;
    double total = 0;
    while (reps < max_reps && (reps < min_reps || total < min_ms)) {
        double t0 = conv_now_ms();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a,
                    k, b, n, 0.0f, c, n);
        t[reps] = conv_now_ms() - t0;
        total += t[reps++];
    }
    double med = conv_sort_median(t, reps);
    if (med > 0) rate = 2.0 * m * n * k / (med * 1e6);
cleanup:
    free(a);
    free(b);
    free(c);
    free(t);
    return rate;
#else
    (void)m, (void)n, (void)k, (void)min_ms;
    return 0;
#endif
}
