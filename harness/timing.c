/* The timing stage (DESIGN §6): one warm-up, then timed runs until both
 * --min-ms and --min-reps are met; min, median, mean, stddev. */
#include <math.h>
#include <stdlib.h>

#include "harness.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static volatile unsigned char *cold_buf;
#define COLD_BYTES ((size_t)64 << 20)
static void evict_caches(void)
{
    for (size_t i = 0; i < COLD_BYTES; i += 64) cold_buf[i]++;
}

conv_status conv_time_runs(const conv_opts *o, const conv_algo *a,
                           conv_plan *pl, conv_data *d, conv_row *r)
{
    conv_status st = a->execute(pl, d->x, d->y); /* warm-up */
    if (st) return st;
    int reps = 0;
    double total = 0;
    while (reps < o->min_reps || total < o->min_ms) {
        if (reps == d->times_cap) {
            int cap = d->times_cap ? 2 * d->times_cap : 64;
            double *t = realloc(d->times, (size_t)cap * sizeof *t);
            if (!t) return CONV_NOMEM;
            d->times = t;
            d->times_cap = cap;
        }
        if (o->cold_cache) evict_caches();
        double t0 = conv_now_ms();
        st = a->execute(pl, d->x, d->y);
        double t = conv_now_ms() - t0;
        if (st) return st;
        d->times[reps++] = t;
        total += t;
        if (reps >= 100000) break;
    }
    qsort(d->times, (size_t)reps, sizeof(double), cmp_double);
    double mean = total / reps, var = 0;
    for (int i = 0; i < reps; i++)
        var += (d->times[i] - mean) * (d->times[i] - mean);
    r->reps = reps;
    r->min_ms = d->times[0];
    r->median_ms = reps % 2
                       ? d->times[reps / 2]
                       : 0.5 * (d->times[reps / 2 - 1] + d->times[reps / 2]);
    r->mean_ms = mean;
    r->stddev_ms = reps > 1 ? sqrt(var / (reps - 1)) : 0;
    r->gflops = (double)conv_flops(&d->p) / (r->median_ms * 1e6);
    return CONV_OK;
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
