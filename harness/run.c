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
    double *nan_fields[] = {&r->plan_ms,      &r->min_ms,     &r->median_ms,
                            &r->mean_ms,      &r->stddev_ms,  &r->gflops,
                            &r->max_abs,      &r->max_rel,    &r->tol,
                            &r->sgemm_gflops, &r->sgemm_frac, &r->median_ci};
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

/* Counts, prints and writes one finished row; a CSV row is flushed at
 * once, so an interrupted run keeps it (partial.c). */
static int emit_row(const conv_opts *o, const conv_progress *pr, FILE *csv,
                    const conv_row *r, int counts[4])
{
    int c = !strcmp(r->status, "PASSED")        ? 0
            : !strcmp(r->status, "FAILED")      ? 1
            : !strcmp(r->status, "UNSUPPORTED") ? 2
                                                : 3;
    counts[c]++;
    if (!o->quiet) {
        conv_progress_clear(pr);
        print_row(r);
        fflush(stdout);
    }
    if (csv) {
        conv_csv_row(csv, r);
        if (conv_partial_row(csv) != CONV_OK) {
            fprintf(stderr, "convbench: --csv: cannot write %s\n", o->csv);
            return CONV_EXIT_USAGE;
        }
    }
    return 0;
}

int conv_run_rows(conv_opts *o, int argc, char **argv, bool timed)
{
    int counts[4] = {0}; /* passed, failed, unsupported, error */
    int rc = 0, total = o->shapes.n * o->nalgos;
    char err[512];
    conv_progress pr;
    conv_data d = {0};
    conv_csv csv = {0};
    if (o->csv && (rc = conv_csv_open(&csv, o->csv))) return rc;
    conv_ctx ctx = conv_make_ctx(o, NULL, 0);
    double yardstick =
        timed || o->csv ? conv_sgemm_gflops(1024, 1024, 1024, 100) : 0;
    conv_meta_args meta = {argc,
                           argv,
                           o->threads,
                           yardstick,
                           o->fill == CONV_FILL_INT ? "int" : "real",
                           o->seed};
    if (conv_timing_init(o) != CONV_OK) {
        fprintf(stderr, "convbench: --cold-cache: out of memory\n");
        conv_csv_close(&csv, o->csv, false);
        return CONV_EXIT_USAGE;
    }
    conv_isolate_start(o); /* before any OpenMP work: see isolate.c */
    if (csv.f &&
        conv_partial_begin(&csv, o->csv, total, &meta, err, sizeof err)) {
        fprintf(stderr, "convbench: --csv: %s\n", err);
        conv_csv_close(&csv, o->csv, false);
        conv_timing_free();
        conv_isolate_stop();
        return CONV_EXIT_USAGE;
    }
    /* Rows wait for their problem's sgemm reference only when there is one
     * to add; otherwise each reaches the table and the CSV when done. */
    const bool defer = timed && o->sgemm_ref;
    conv_progress_start(&pr, o->progress, o->quiet, total);
    if (!o->quiet)
        printf("%-14s %-11s %10s %9s %9s  %s\n", "algo", "status", "median_ms",
               "GFLOP/s", "rel_err", "problem  [impl] / -- reason");
    for (int i = 0; i < o->shapes.n && !rc; i++) {
        const conv_shape *s = &o->shapes.v[i];
        bool have_data = false;
        if (s->st == CONV_OK) {
            conv_progress_row(&pr, "(reference)",
                              s->p.name[0] ? s->p.name : s->text);
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
        for (int k = 0; k < o->nalgos && !rc; k++) {
            conv_row *r = &rows[k];
            conv_row_init(r, o->algos[k]->name, s, o->threads);
            conv_progress_row(&pr, r->algo, r->p.name[0] ? r->p.name : r->desc);
            if (s->st != CONV_OK)
                snprintf(r->reason, sizeof r->reason, "%s", s->why);
            else if (!have_data) {
                r->status = "ERROR";
                snprintf(r->reason, sizeof r->reason,
                         "out of memory for tensors");
            } else {
                conv_run_row_isolated(o, timed, o->algos[k], &d, &ctx, r);
            }
            conv_progress_done(&pr);
            if (!defer) rc = emit_row(o, &pr, csv.f, r, counts);
        }
        if (!defer || rc) continue;
        double sg = NAN;
        if (have_data && o->sgemm_ref) {
            const conv_problem *p = &s->p;
            /* N and K in int64: with a large --mem-cap they pass INT_MAX,
             * and conv_sgemm_gflops() then returns 0 (no reference). */
            const long long gn = (long long)p->n * p->oh * p->ow,
                            gk = (long long)(p->ic / p->g) * p->kh * p->kw;
            if (gn <= INT_MAX && gk <= INT_MAX)
                sg = conv_sgemm_gflops(p->oc / p->g, (int)gn, (int)gk, 50);
        }
        for (int k = 0; k < o->nalgos && !rc; k++) {
            conv_row *r = &rows[k];
            if (!isnan(r->gflops) && sg > 0) {
                r->sgemm_gflops = sg;
                r->sgemm_frac = r->gflops / sg;
            }
            rc = emit_row(o, &pr, csv.f, r, counts);
        }
    }
    conv_isolate_stop();
    conv_progress_end(&pr);
    conv_data_free(&d);
    conv_timing_free();
    free(d.times);
    if (rc) { /* a CSV write failed: no file is better than a short one */
        conv_partial_end(false, o->csv, &meta, err, sizeof err);
        conv_csv_close(&csv, o->csv, false);
        return rc;
    }
    printf("%s: %d rows: %d passed, %d failed, %d unsupported, %d errors "
           "(%d threads, fill %s, BLAS core %s)\n",
           timed ? "bench" : "verify",
           counts[0] + counts[1] + counts[2] + counts[3], counts[0], counts[1],
           counts[2], counts[3], o->threads, meta.fill, conv_blas_core());
    if (o->csv) {
        conv_partial_hold();
        rc = conv_csv_close(&csv, o->csv, true);
        if (conv_partial_end(!rc, o->csv, &meta, err, sizeof err)) {
            fprintf(stderr, "convbench: %s\n", err);
            return CONV_EXIT_USAGE;
        }
        if (rc) return rc;
    }
    return counts[1] || counts[3] ? CONV_EXIT_FAIL : CONV_EXIT_OK;
}
