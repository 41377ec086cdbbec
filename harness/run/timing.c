/* The timing rule (docs/design.md §6): one warm-up, then timed runs; min,
 * median, mean, stddev.
 *
 * Two stopping rules. Fixed (--ci 0): until both --min-ms and --min-reps
 * are met. Adaptive (--ci F, the default F = 0.02): after --min-reps runs
 * (and --min-ms, when given), stop as soon as a 95% confidence interval of
 * the median lies within median * (1 +- F), or when --max-ms of timed runs
 * is spent. The interval is distribution-free: for n sorted times it is
 * [t(j), t(n+1-j)] with the largest j such that P(B < j) <= 2.5% for
 * B ~ Binomial(n, 1/2) -- the ranks the true median falls between with 95%
 * probability whatever the distribution of the times. It needs n >= 6. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

#define MAX_REPS 100000
#define FIXED_MIN_MS 200.0   /* --min-ms of the fixed loop when not given */
#define DEFAULT_MAX_MS 200.0 /* --max-ms when not given: the fixed loop's */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static volatile unsigned char *cold_buf;
#define COLD_BYTES ((size_t)64 << 20)
void conv_evict_caches(void)
{
    for (size_t i = 0; i < COLD_BYTES; i += 64) cold_buf[i]++;
}

/* The 1-based rank j of the lower end of the 95% interval of the median of
 * n values, or 0 when n is too small for one. Exact binomial tail, summed
 * in logs (2^-n underflows). */
double conv_sort_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int conv_median_ci_rank(int n)
{
    const double alpha = 0.025;
    double lp = -n * log(2.0), cdf = 0; /* log P(B = 0), P(B < j) */
    int j = 0;
    for (int k = 0; k < n; k++) {
        double next = cdf + exp(lp); /* P(B <= k) = P(B < k + 1) */
        if (next > alpha) break;
        cdf = next;
        j = k + 1;
        lp += log((double)(n - k) / (k + 1));
    }
    return j;
}

double conv_median_ci(const double *s, int n)
{
    int j = conv_median_ci_rank(n);
    if (!j) return NAN;
    double med = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    double lo = med - s[j - 1], hi = s[n - j] - med;
    return med > 0 ? (lo > hi ? lo : hi) / med : NAN;
}

static conv_status grow(conv_data *d, int need)
{
    if (need <= d->times_cap) return CONV_OK;
    int cap = d->times_cap ? 2 * d->times_cap : 64;
    while (cap < need) cap *= 2;
    double *t = realloc(d->times, 2 * (size_t)cap * sizeof *t);
    if (!t) return CONV_NOMEM;
    d->times = t; /* times, then room for a sorted copy */
    d->times_cap = cap;
    return CONV_OK;
}

conv_status conv_timer_start(conv_timer *tm, const conv_opts *o, conv_data *d)
{
    const bool adaptive = o->ci > 0;
    *tm = (conv_timer){
        .o = o,
        .d = d,
        .min_ms = o->min_ms >= 0 ? o->min_ms : (adaptive ? 0 : FIXED_MIN_MS),
        .max_ms = o->max_ms > 0 ? o->max_ms : DEFAULT_MAX_MS,
    };
    return grow(d, 1);
}

bool conv_timer_add(conv_timer *tm, double t, conv_status *st)
{
    const conv_opts *o = tm->o;
    conv_data *d = tm->d;
    d->times[tm->reps++] = t;
    tm->total += t;
    if ((*st = grow(d, tm->reps + 1)) != CONV_OK) return false;
    if (tm->reps >= MAX_REPS) return false;
    if (tm->reps < o->min_reps || tm->total < tm->min_ms) return true;
    if (!(o->ci > 0) || tm->total >= tm->max_ms) return false;
    /* Sorting is O(n log n): test every run at first, then every ~6%
     * more runs, which keeps the cost linear in n overall. */
    if (tm->reps < tm->check) return true;
    double *s = d->times + d->times_cap;
    memcpy(s, d->times, (size_t)tm->reps * sizeof *s);
    qsort(s, (size_t)tm->reps, sizeof *s, cmp_double);
    if (conv_median_ci(s, tm->reps) <= o->ci) return false;
    tm->check = tm->reps + 1 + tm->reps / 16;
    return true;
}

void conv_timer_finish(const conv_timer *tm, conv_row *r)
{
    double *times = tm->d->times;
    const int reps = tm->reps;
    r->median_ms = conv_sort_median(times, reps);
    double mean = tm->total / reps, var = 0;
    for (int i = 0; i < reps; i++) var += (times[i] - mean) * (times[i] - mean);
    r->reps = reps;
    r->min_ms = times[0];
    r->mean_ms = mean;
    r->stddev_ms = reps > 1 ? sqrt(var / (reps - 1)) : 0;
    r->median_ci = conv_median_ci(times, reps);
    r->gflops = (double)conv_flops(&tm->d->p) / (r->median_ms * 1e6);
}

conv_status conv_timing_init(const conv_opts *o)
{
    if (o->cold_cache && !cold_buf) cold_buf = calloc(COLD_BYTES, 1);
    return o->cold_cache && !cold_buf ? CONV_NOMEM : CONV_OK;
}

void conv_timing_free(void)
{
    free((void *)cold_buf);
    cold_buf = NULL;
}
