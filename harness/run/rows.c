/* verify and bench: every problem x algorithm through the row driver,
 * printing the table and writing the CSV as rows finish. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/run.h"

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

static void print_row(const conv_row *r)
{
    char err[32] = "-", ms[32] = "-", gf[32] = "-";
    if (!isnan(r->max_rel)) snprintf(err, sizeof err, "%.2e", r->max_rel);
    if (!isnan(r->median_ms)) snprintf(ms, sizeof ms, "%.3f", r->median_ms);
    if (!isnan(r->gflops)) snprintf(gf, sizeof gf, "%.2f", r->gflops);
    const bool ok = r->status == CONV_ROW_PASSED;
    printf("%-14s %-6s %-11s %10s %9s %9s  %s  %s%s%s\n", r->algo,
           conv_dirs[r->dir].name, conv_row_status_names[r->status], ms, gf,
           err, r->p.name[0] ? r->p.name : r->desc, ok ? "[" : "-- ",
           ok ? r->impl : r->reason, ok ? "]" : "");
}

/* Counts, prints and writes one finished row; a CSV row is flushed at
 * once, so an interrupted run keeps it (partial.c). */
static int emit_row(const conv_opts *o, const conv_progress *pr, FILE *csv,
                    const conv_row *r, int counts[CONV_NROW_STATUSES])
{
    counts[r->status]++;
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

/* One run of verify or bench: its outputs and counts. */
typedef struct run {
    conv_opts *o;
    bool timed;
    conv_progress pr;
    conv_data d;
    conv_csv csv;
    conv_ctx ctx;
    conv_meta_args meta;
    char algos[CONV_MAX_ALGOS * 64], dirs[64];
    conv_resume resume;
    int counts[CONV_NROW_STATUSES];
} run;

static int rows_planned(const conv_opts *o)
{
    return o->shapes.n * o->ndirs * o->nalgos;
}

/* What the meta says of the run: the options, and what defines its rows
 * (compared by --resume and merge). */
static void describe(run *r, int argc, char **argv)
{
    const conv_opts *o = r->o;
    size_t at = 0;
    for (int k = 0; k < o->nalgos; k++)
        at += (size_t)snprintf(r->algos + at, sizeof r->algos - at, "%s%s",
                               k ? "," : "", o->algos[k]->name);
    at = 0;
    for (int k = 0; k < o->ndirs; k++)
        at += (size_t)snprintf(r->dirs + at, sizeof r->dirs - at, "%s%s",
                               k ? "," : "", conv_dirs[o->dirs[k]].name);
    r->meta = (conv_meta_args){
        .argc = argc,
        .argv = argv,
        .threads = o->threads,
        .fill = o->fill == CONV_FILL_INT ? "int" : "real",
        .seed = o->seed,
        .algos = r->algos,
        .dirs = r->dirs,
        .problems = o->problems,
        .problems_hash = o->problems_hash,
        .shard_i = o->shard_i,
        .shard_n = o->shard_n,
    };
}

/* --resume: the rows of the CSV before, checked, into the new one. */
static int resume_rows(run *r)
{
    int rc = conv_resume_open(&r->resume, r->o->csv, &r->meta);
    if (rc || !r->resume.on) return rc;
    for (int i = 0; i < CONV_NROW_STATUSES; i++)
        r->counts[i] = r->resume.counts[i];
    if ((rc = conv_resume_copy(&r->resume, r->csv.f)))
        fprintf(stderr, "convbench: --resume: cannot write %s\n", r->o->csv);
    return rc;
}

/* The CSV, the timing buffer, the isolation server and the interrupt
 * handling; an exit code, with everything undone on failure. */
static int run_begin(run *r, int argc, char **argv)
{
    conv_opts *o = r->o;
    char err[512];
    int rc;
    describe(r, argc, argv);
    if (o->csv && (rc = conv_csv_open(&r->csv, o->csv))) return rc;
    if (o->resume && (rc = resume_rows(r))) {
        conv_csv_close(&r->csv, o->csv, false);
        return rc;
    }
    r->ctx = conv_make_ctx(o, NULL, 0);
    /* compare's yardstick: one shape for every run and direction */
    static const conv_gemm_shape cube = {1024, 1024, 1024, false, false};
    r->meta.sgemm_gflops =
        r->timed || o->csv ? conv_sgemm_gflops(&cube, 100) : 0;
    if (conv_timing_init(o) != CONV_OK) {
        fprintf(stderr, "convbench: --cold-cache: out of memory\n");
        conv_csv_close(&r->csv, o->csv, false);
        return CONV_EXIT_USAGE;
    }
    conv_isolate_start(o); /* before any OpenMP work: see isolate.c */
    if (r->csv.f &&
        conv_partial_begin(&r->csv, o->csv, rows_planned(o), r->resume.f.nrows,
                           &r->meta, err, sizeof err)) {
        fprintf(stderr, "convbench: --csv: %s\n", err);
        conv_csv_close(&r->csv, o->csv, false);
        conv_timing_free();
        conv_isolate_stop();
        return CONV_EXIT_USAGE;
    }
    return 0;
}

/* The sgemm rate of direction dir's im2col GEMM of p, NAN when not asked
 * (0 when there is none: an extent past INT_MAX, no OpenBLAS). */
static double sgemm_ref(const conv_opts *o, const conv_problem *p, conv_dir dir)
{
    if (!o->sgemm_ref) return NAN;
    const conv_gemm_shape s = conv_dir_gemm_shape(p, dir);
    return conv_sgemm_gflops(&s, 50);
}

/* Every algorithm on direction dir of problem s; an exit code (a CSV
 * write failed). */
static int run_problem(run *r, const conv_shape *s, conv_dir dir)
{
    conv_opts *o = r->o;
    bool have_data = false;
    int rc = 0;
    bool wanted = !r->resume.on; /* --resume: a row not yet in the CSV */
    for (int k = 0; k < o->nalgos && !wanted; k++) {
        conv_row row;
        conv_row_init(&row, o->algos[k]->name, dir, s, o->threads);
        wanted = !conv_resume_has(&r->resume, &row);
    }
    if (s->st == CONV_OK && wanted) {
        const conv_problem p = conv_dir_problem(&s->p, dir);
        conv_progress_row(&r->pr, "(reference)",
                          s->p.name[0] ? s->p.name : s->text);
        have_data =
            conv_data_alloc(&r->d, &p, dir, o->fill, o->seed) == CONV_OK;
        if (!have_data)
            fprintf(stderr, "convbench: out of memory for %s\n", s->text);
    }
    /* Rows wait for their problem's sgemm reference only when there is one
     * to add, timed after the algorithms: idle OpenBLAS workers must not
     * steal the first timed runs of an OpenMP algorithm. */
    const bool defer = r->timed && o->sgemm_ref;
    conv_row rows[CONV_MAX_ALGOS];
    for (int k = 0; k < o->nalgos && !rc; k++) {
        conv_row *row = &rows[k];
        conv_row_init(row, o->algos[k]->name, dir, s, o->threads);
        if (conv_resume_has(&r->resume, row)) {
            row->algo = NULL; /* kept from the run before, counted */
            continue;
        }
        conv_progress_row(&r->pr, row->algo,
                          row->p.name[0] ? row->p.name : row->desc);
        if (s->st != CONV_OK) {
            snprintf(row->reason, sizeof row->reason, "%s", s->why);
        } else if (!have_data) {
            row->status = CONV_ROW_ERROR;
            snprintf(row->reason, sizeof row->reason,
                     "out of memory for tensors");
        } else {
            conv_row_run_isolated(o, r->timed, o->algos[k], &r->d, &r->ctx,
                                  row);
        }
        conv_progress_done(&r->pr);
        if (!defer) rc = emit_row(o, &r->pr, r->csv.f, row, r->counts);
    }
    if (!defer || rc) return rc;
    const double sg = have_data ? sgemm_ref(o, &r->d.p, dir) : NAN;
    for (int k = 0; k < o->nalgos && !rc; k++) {
        if (!rows[k].algo) continue; /* --resume: already in the CSV */
        if (!isnan(rows[k].gflops) && sg > 0) {
            rows[k].sgemm_gflops = sg;
            rows[k].sgemm_frac = rows[k].gflops / sg;
        }
        rc = emit_row(o, &r->pr, r->csv.f, &rows[k], r->counts);
    }
    return rc;
}

/* The summary line and the CSV's commit; the run's exit code. */
static int run_end(run *r, int rc)
{
    conv_opts *o = r->o;
    const int *n = r->counts;
    char err[512];
    conv_isolate_stop();
    conv_progress_end(&r->pr);
    conv_resume_free(&r->resume);
    conv_data_free(&r->d);
    conv_timing_free();
    free(r->d.times);
    if (rc) { /* a CSV write failed: no file is better than a short one */
        conv_partial_end(false, o->csv, &r->meta, err, sizeof err);
        conv_csv_close(&r->csv, o->csv, false);
        return rc;
    }
    printf("%s: %d rows: %d passed, %d failed, %d unsupported, %d errors "
           "(%d threads, fill %s, BLAS core %s)\n",
           r->timed ? "bench" : "verify",
           n[CONV_ROW_PASSED] + n[CONV_ROW_FAILED] + n[CONV_ROW_UNSUPPORTED] +
               n[CONV_ROW_ERROR],
           n[CONV_ROW_PASSED], n[CONV_ROW_FAILED], n[CONV_ROW_UNSUPPORTED],
           n[CONV_ROW_ERROR], o->threads, r->meta.fill, conv_blas_core());
    if (o->csv) {
        conv_partial_hold();
        rc = conv_csv_close(&r->csv, o->csv, true);
        if (conv_partial_end(!rc, o->csv, &r->meta, err, sizeof err)) {
            fprintf(stderr, "convbench: %s\n", err);
            return CONV_EXIT_USAGE;
        }
        if (rc) return rc;
    }
    return n[CONV_ROW_FAILED] || n[CONV_ROW_ERROR] ? CONV_EXIT_FAIL
                                                   : CONV_EXIT_OK;
}

int conv_run_rows(conv_opts *o, int argc, char **argv, bool timed)
{
    run r = {.o = o, .timed = timed};
    int rc = run_begin(&r, argc, argv);
    if (rc) return rc;
    conv_progress_start(&r.pr, o->progress, o->quiet,
                        rows_planned(o) - r.resume.f.nrows);
    if (!o->quiet)
        printf("%-14s %-6s %-11s %10s %9s %9s  %s\n", "algo", "dir", "status",
               "median_ms", "GFLOP/s", "rel_err",
               "problem  [impl] / -- reason");
    /* Problem-major: a problem's directions (its training step) together. */
    for (int i = 0; i < o->shapes.n && !rc; i++)
        for (int k = 0; k < o->ndirs && !rc; k++)
            rc = run_problem(&r, &o->shapes.v[i], o->dirs[k]);
    return run_end(&r, rc);
}
