/* The stopping rule's statistics (timing.c) against hand-worked values:
 * the binomial ranks of the median's 95% interval and its half-width; and
 * the sgemm yardstick's GEMM per direction (gemm_rate.c). */
#include <math.h>
#include <stdio.h>

#include "run/run.h"

int main(void)
{
    int fails = 0;
    /* P(B <= j-1) <= 2.5% < P(B <= j) for B ~ Bin(n, 1/2): n = 6 gives
     * 1/64, n = 9 gives 10/512, n = 100 the textbook ranks 40 and 61. */
    static const int ranks[][2] = {{1, 0},  {5, 0},    {6, 1},     {8, 1},
                                   {9, 2},  {10, 2},   {11, 2},    {12, 3},
                                   {20, 6}, {100, 40}, {1000, 469}};
    for (size_t i = 0; i < sizeof ranks / sizeof *ranks; i++) {
        int j = conv_median_ci_rank(ranks[i][0]);
        if (j != ranks[i][1]) {
            printf("FAILED: rank(%d) = %d, expected %d\n", ranks[i][0], j,
                   ranks[i][1]);
            fails++;
        }
    }
    /* n = 9, j = 2: the interval is [t(2), t(8)], so one outlier at each
     * end does not count; median 10, t(8) = 10.3 gives 3%. */
    const double nine[] = {1, 9.9, 10, 10, 10, 10, 10.1, 10.3, 1000};
    const double six[] = {1, 1, 1, 1, 1, 1.1};
    /* The lower side wider: 10 - t(2) = 0.2 gives 2%. */
    const double low[] = {9.5, 9.8, 9.9, 10, 10, 10, 10.1, 10.1, 10.2};
    const struct {
        const double *s;
        int n;
        double want;
    } cis[] = {{nine, 9, 0.03}, {low, 9, 0.02}, {six, 6, 0.1}, {six, 5, NAN}};
    for (size_t i = 0; i < sizeof cis / sizeof *cis; i++) {
        double h = conv_median_ci(cis[i].s, cis[i].n);
        bool ok = isnan(cis[i].want) ? isnan(h) : fabs(h - cis[i].want) < 1e-12;
        if (!ok) {
            printf("FAILED: half-width %zu = %g, expected %g\n", i, h,
                   cis[i].want);
            fails++;
        }
    }
    /* The median every timed stage reports (runs, phases, the sgemm rate):
     * sorted first, so unsorted input gives the middle value, not the
     * middle position's. */
    double odd[] = {5, 1, 4, 2, 3}, even[] = {4, 1, 3, 2}, one[] = {7};
    const struct {
        double *v;
        int n;
        double want;
    } meds[] = {{odd, 5, 3}, {even, 4, 2.5}, {one, 1, 7}};
    for (size_t i = 0; i < sizeof meds / sizeof *meds; i++) {
        double m = conv_sort_median(meds[i].v, meds[i].n);
        bool ok = m == meds[i].want;
        for (int k = 1; k < meds[i].n; k++)
            ok &= meds[i].v[k - 1] <= meds[i].v[k];
        if (!ok) {
            printf("FAILED: median %zu = %g, expected %g, sorted\n", i, m,
                   meds[i].want);
            fails++;
        }
    }
    /* --sgemm-ref's GEMM of each direction: per group O = OC/G = 16, P =
     * IC/G*KH*KW = 72, Q = N*OH*OW = 400, so every direction's M, N, K is
     * another order of the three (a backward row timed on the forward's
     * shape fails here). */
    const conv_problem pb = {.n = 4,
                             .g = 2,
                             .ic = 16,
                             .ih = 10,
                             .iw = 10,
                             .oc = 32,
                             .oh = 10,
                             .ow = 10,
                             .kh = 3,
                             .kw = 3,
                             .sh = 1,
                             .sw = 1,
                             .pt = 1,
                             .pb = 1,
                             .pl = 1,
                             .pr = 1,
                             .dh = 1,
                             .dw = 1};
    const conv_gemm_shape want[CONV_NDIRS] = {
        [CONV_DIR_FWD] = {16, 400, 72, false, false},
        [CONV_DIR_BWD_D] = {72, 400, 16, true, false},
        [CONV_DIR_BWD_W] = {16, 72, 400, false, true},
        [CONV_DIR_BWD_WB] = {16, 72, 400, false, true},
    };
    for (int d = 0; d < CONV_NDIRS; d++) {
        const conv_gemm_shape g = conv_dir_gemm_shape(&pb, (conv_dir)d),
                              e = want[d];
        if (g.m != e.m || g.n != e.n || g.k != e.k || g.trans_a != e.trans_a ||
            g.trans_b != e.trans_b) {
            printf("FAILED: %s GEMM %lldx%lldx%lld%s%s, expected "
                   "%lldx%lldx%lld%s%s\n",
                   conv_dirs[d].name, g.m, g.n, g.k, g.trans_a ? " A^T" : "",
                   g.trans_b ? " B^T" : "", e.m, e.n, e.k,
                   e.trans_a ? " A^T" : "", e.trans_b ? " B^T" : "");
            fails++;
        }
#ifdef CONV_HAVE_OPENBLAS
        /* Each transpose runs (its leading dimensions are valid). */
        if (!(conv_sgemm_gflops(&g, 0) > 0)) {
            printf("FAILED: no sgemm rate for %s\n", conv_dirs[d].name);
            fails++;
        }
#endif
    }
    /* An extent past INT_MAX (a huge batch's Q): no reference, nothing
     * allocated. */
    const conv_gemm_shape huge = {16, 72, 3000000000LL, false, true};
    if (conv_sgemm_gflops(&huge, 0) != 0) {
        printf("FAILED: a rate for K = 3e9\n");
        fails++;
    }
    printf("timing: %d failed\n", fails);
    return fails != 0;
}
