/* The stopping rule's statistics (timing.c) against hand-worked values:
 * the binomial ranks of the median's 95% interval and its half-width. */
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
    printf("timing: %d failed\n", fails);
    return fails != 0;
}
