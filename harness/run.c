/* verify and bench: the pipeline over problems x algorithms, printing the
 * table and writing the CSV. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* The run settings every plan() gets; why may be NULL. */
conv_ctx conv_make_ctx(const conv_opts *o, char *why, size_t len)
{
    return (conv_ctx){.threads = o->threads,
                      .workspace_cap = o->ws_cap,
                      .fft_effort = o->effort,
                      .fft_wisdom = o->wisdom[0] ? o->wisdom : NULL,
                      .why = why,
                      .why_len = len};
}

void conv_row_init(conv_row *r, const char *algo, const conv_shape *s,
                   int threads)
{
    memset(r, 0, sizeof *r);
    r->algo = algo;
    r->p = s->p;
    r->threads = threads;
    r->status = "UNSUPPORTED";
    if (s->st == CONV_OK)
        conv_desc_format(&s->p, r->desc, sizeof r->desc);
    else
        snprintf(r->desc, sizeof r->desc, "%s", s->text);
    double *nan_fields[] = {&r->plan_ms,      &r->min_ms,    &r->median_ms,
                            &r->mean_ms,      &r->stddev_ms, &r->gflops,
                            &r->max_abs,      &r->max_rel,   &r->tol,
                            &r->sgemm_gflops, &r->sgemm_frac};
    for (size_t i = 0; i < sizeof nan_fields / sizeof *nan_fields; i++)
        *nan_fields[i] = NAN;
    for (int i = 0; i < CONV_NPHASES; i++) r->phase_ms[i] = NAN;
}

static void print_row(const conv_row *r)
{
    char err[32] = "-", ms[32] = "-", gf[32] = "-";
    if (!isnan(r->max_rel)) snprintf(err, sizeof err, "%.2e", r->max_rel);
    if (!isnan(r->median_ms)) snprintf(ms, sizeof ms, "%.3f", r->median_ms);
    if (!isnan(r->gflops)) snprintf(gf, sizeof gf, "%.2f", r->gflops);
    const bool ok = !strcmp(r->status, "PASSED");
    printf("%-14s %-11s %10s %9s %9s  %s  %s%s%s\n", r->algo, r->status, ms, gf,
           err, r->p.name[0] ? r->p.name : r->desc, ok ? "[" : "-- ",
           ok ? r->impl : r->reason, ok ? "]" : "");
}

int conv_run_rows(conv_opts *o, int argc, char **argv, bool timed)
{
    int counts[4] = {0}; /* passed, failed, unsupported, error */
    int rc = 0, total = o->shapes.n * o->nalgos, done = 0;
    const bool progress = isatty(2) && !o->quiet;
    conv_data d = {0};
    conv_csv csv = {0};
    if (o->csv && (rc = conv_csv_open(&csv, o->csv))) return rc;
    conv_ctx ctx = conv_make_ctx(o, NULL, 0);
    double yardstick =
        timed || o->csv ? conv_sgemm_gflops(1024, 1024, 1024, 100) : 0;
    if (conv_timing_init(o) != CONV_OK) {
        fprintf(stderr, "convbench: --cold-cache: out of memory\n");
        conv_csv_close(&csv, o->csv, false);
        return CONV_EXIT_USAGE;
    }
    conv_isolate_start(o); /* before any OpenMP work: see isolate.c */
    if (!o->quiet)
        printf("%-14s %-11s %10s %9s %9s  %s\n", "algo", "status", "median_ms",
               "GFLOP/s", "rel_err", "problem  [impl] / -- reason");
    for (int i = 0; i < o->shapes.n; i++) {
        const conv_shape *s = &o->shapes.v[i];
        bool have_data = false;
        if (s->st == CONV_OK) {
            if (conv_data_alloc(&d, &s->p, o->fill, o->seed) != CONV_OK) {
                fprintf(stderr, "convbench: out of memory for %s\n", s->text);
            } else {
                have_data = true;
            }
        }
        /* A problem's rows are kept until its sgemm reference is timed,
         * after the algorithms: idle OpenBLAS workers must not steal the
         * first timed runs of an OpenMP algorithm. */
        conv_row rows[CONV_MAX_ALGOS];
        for (int k = 0; k < o->nalgos; k++) {
            conv_row *r = &rows[k];
            conv_row_init(r, o->algos[k]->name, s, o->threads);
            if (progress)
                fprintf(stderr, "\r[%d/%d] %-14s %-40.40s", ++done, total,
                        r->algo, r->desc);
            if (s->st != CONV_OK)
                snprintf(r->reason, sizeof r->reason, "%s", s->why);
            else if (!have_data) {
                r->status = "ERROR";
                snprintf(r->reason, sizeof r->reason,
                         "out of memory for tensors");
            } else {
                conv_run_row_isolated(o, timed, o->algos[k], &d, &ctx, r);
            }
        }
        double sg = NAN;
        if (have_data && timed && o->sgemm_ref) {
            const conv_problem *p = &s->p;
            /* N and K in int64: with a large --mem-cap they pass INT_MAX,
             * and conv_sgemm_gflops() then returns 0 (no reference). */
            const long long gn = (long long)p->n * p->oh * p->ow,
                            gk = (long long)(p->ic / p->g) * p->kh * p->kw;
            if (gn <= INT_MAX && gk <= INT_MAX)
                sg = conv_sgemm_gflops(p->oc / p->g, (int)gn, (int)gk, 50);
        }
        if (progress) fprintf(stderr, "\r%78s\r", "");
        for (int k = 0; k < o->nalgos; k++) {
            conv_row *r = &rows[k];
            if (!isnan(r->gflops) && sg > 0) {
                r->sgemm_gflops = sg;
                r->sgemm_frac = r->gflops / sg;
            }
            int c = !strcmp(r->status, "PASSED")        ? 0
                    : !strcmp(r->status, "FAILED")      ? 1
                    : !strcmp(r->status, "UNSUPPORTED") ? 2
                                                        : 3;
            counts[c]++;
            if (!o->quiet) print_row(r);
            if (csv.f) conv_csv_row(csv.f, r);
        }
        fflush(stdout);
    }
    conv_isolate_stop();
    conv_data_free(&d);
    conv_timing_free();
    free(d.times);
    printf("%s: %d rows: %d passed, %d failed, %d unsupported, %d errors "
           "(%d threads, fill %s, BLAS core %s)\n",
           timed ? "bench" : "verify",
           counts[0] + counts[1] + counts[2] + counts[3], counts[0], counts[1],
           counts[2], counts[3], o->threads,
           o->fill == CONV_FILL_INT ? "int" : "real", conv_blas_core());
    if (o->csv) {
        char err[512];
        if ((rc = conv_csv_close(&csv, o->csv, true))) return rc;
        if (conv_meta_write(o->csv, argc, argv, o->threads, yardstick,
                            o->fill == CONV_FILL_INT ? "int" : "real", o->seed,
                            err, sizeof err)) {
            fprintf(stderr, "convbench: %s\n", err);
            return CONV_EXIT_USAGE;
        }
    }
    return counts[1] || counts[3] ? CONV_EXIT_FAIL : CONV_EXIT_OK;
}
