/* out: what a run leaves behind. The row record and its status, the CSV
 * columns (one table, written and read by the same names), the one CSV
 * reader every tool uses, the run's .meta.json (writer and reader),
 * .npy files, progress on stderr and the handling of interrupted runs.
 * Depends on problem/ and base/. */
#ifndef CONV_OUT_H
#define CONV_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "problem/problem.h"

/* ---- row status ---------------------------------------------------------
 * docs/design.md §4. The order is the summary line's. */
#define CONV_ROW_STATUSES(X) X(PASSED) X(FAILED) X(UNSUPPORTED) X(ERROR)
typedef enum conv_row_status {
#define X(s) CONV_ROW_##s,
    CONV_ROW_STATUSES(X)
#undef X
        CONV_NROW_STATUSES
} conv_row_status;
extern const char *const conv_row_status_names[CONV_NROW_STATUSES];
/* The status named s, or -1. */
int conv_row_status_parse(const char *s);

/* ---- phases of --breakdown: one phase_<name>_ms column each -------------
 * The names algorithms give in conv_algo.phases (docs/design.md §13). */
#define CONV_PHASES(X)                                                         \
    X(LOWER, lower)                                                            \
    X(GEMM, gemm)                                                              \
    X(PRODUCT, product)                                                        \
    X(FORWARD, forward)                                                        \
    X(INVERSE, inverse)                                                        \
    X(INPUT, input)                                                            \
    X(OUTPUT, output)                                                          \
    X(REORDER_IN, reorder_in)                                                  \
    X(PRIMITIVE, primitive)                                                    \
    X(REORDER_OUT, reorder_out)                                                \
    X(KERNEL, kernel)                                                          \
    X(COL2IM, col2im)
typedef enum conv_phase_col {
#define X(id, name) CONV_PH_##id,
    CONV_PHASES(X)
#undef X
        CONV_NPHASES
} conv_phase_col;
extern const char *const conv_phase_names[CONV_NPHASES];

/* ---- the row ------------------------------------------------------------ */
typedef struct conv_row {
    const char *algo;
    conv_dir dir;
    conv_row_status status;
    char impl[96], desc[256], reason[256];
    char origin[160]; /* "builtin" or the plugin's file */
    conv_problem p;
    int threads, reps;
    double plan_ms, min_ms, median_ms, mean_ms, stddev_ms, gflops;
    size_t workspace;
    double max_abs, max_rel, tol, sgemm_gflops, sgemm_frac;
    /* Bytes plan() left held by malloc (all libraries), run/check.c. */
    size_t plan_alloc;
    /* From the output check: NaN outputs, and the tensor and element of
     * largest error (or the first NaN). */
    size_t nans, worst;
    int worst_tensor;
    double phase_ms[CONV_NPHASES]; /* --breakdown; NaN: not measured */
    double median_ci; /* relative half-width of the median's 95% interval */
} conv_row;

/* ---- CSV columns (docs/design.md §7) ------------------------------------
 * C(id, name, type, field of conv_row); the phase columns come from
 * CONV_PHASES. Writer (csv.c) and readers (compare, summary) share it. */
#define CONV_PHASE_COLUMN(C, id, name)                                         \
    C(PHASE_##id, "phase_" #name "_ms", F3, phase_ms[CONV_PH_##id])
#define CONV_CSV_COLUMNS(C, PH)                                                \
    C(ALGO, "algo", STR, algo)                                                 \
    C(DIR, "dir", DIR, dir)                                                    \
    C(IMPL, "impl", CHARS, impl)                                               \
    C(NAME, "name", CHARS, p.name)                                             \
    C(DESC, "desc", CHARS, desc)                                               \
    C(N, "n", INT, p.n)                                                        \
    C(G, "g", INT, p.g)                                                        \
    C(IC, "ic", INT, p.ic)                                                     \
    C(IH, "ih", INT, p.ih)                                                     \
    C(IW, "iw", INT, p.iw)                                                     \
    C(OC, "oc", INT, p.oc)                                                     \
    C(OH, "oh", INT, p.oh)                                                     \
    C(OW, "ow", INT, p.ow)                                                     \
    C(KH, "kh", INT, p.kh)                                                     \
    C(KW, "kw", INT, p.kw)                                                     \
    C(SH, "sh", INT, p.sh)                                                     \
    C(SW, "sw", INT, p.sw)                                                     \
    C(PT, "pt", INT, p.pt)                                                     \
    C(PB, "pb", INT, p.pb)                                                     \
    C(PL, "pl", INT, p.pl)                                                     \
    C(PR, "pr", INT, p.pr)                                                     \
    C(DIL_H, "dil_h", INT, p.dh)                                               \
    C(DIL_W, "dil_w", INT, p.dw)                                               \
    C(BIAS, "bias", BOOL, p.bias)                                              \
    C(THREADS, "threads", INT, threads)                                        \
    C(STATUS, "status", STATUS, status)                                        \
    C(REASON, "reason", CHARS, reason)                                         \
    C(PLAN_MS, "plan_ms", F3, plan_ms)                                         \
    C(MIN_MS, "min_ms", F3, min_ms)                                            \
    C(MEDIAN_MS, "median_ms", F3, median_ms)                                   \
    C(MEAN_MS, "mean_ms", F3, mean_ms)                                         \
    C(STDDEV_MS, "stddev_ms", F3, stddev_ms)                                   \
    C(REPS, "reps", INT, reps)                                                 \
    C(GFLOPS, "gflops", F3, gflops)                                            \
    C(WORKSPACE, "workspace_bytes", SIZE, workspace)                           \
    C(MAX_ABS_ERR, "max_abs_err", G, max_abs)                                  \
    C(MAX_REL_ERR, "max_rel_err", G, max_rel)                                  \
    C(TOLERANCE, "tolerance", G, tol)                                          \
    /* beyond docs/design.md §7's fixed columns: */                           \
    C(SGEMM_GFLOPS, "sgemm_gflops", F3, sgemm_gflops)                          \
    C(SGEMM_FRAC, "sgemm_frac", F3, sgemm_frac)                                \
    C(ORIGIN, "origin", CHARS, origin)                                         \
    C(PLAN_ALLOC, "plan_alloc_bytes", SIZE, plan_alloc)                        \
    CONV_PHASES(PH)                                                            \
    C(MEDIAN_CI, "median_ci", G, median_ci)
typedef enum conv_col {
#define C(id, name, type, field) CONV_COL_##id,
#define PH(id, name) CONV_PHASE_COLUMN(C, id, name)
    CONV_CSV_COLUMNS(C, PH)
#undef PH
#undef C
        CONV_NCOLS
} conv_col;
extern const char *const conv_col_names[CONV_NCOLS];

/* ---- CSV writer (csv.c) -------------------------------------------------
 * Written to a temporary file and renamed into place by close. */
typedef struct conv_csv {
    FILE *f;
    char tmp[4200];
} conv_csv;
/* Both return an exit code (0, or CONV_EXIT_USAGE with a message). */
int conv_csv_open(conv_csv *c, const char *path);
void conv_csv_row(FILE *f, const conv_row *r);
/* keep = false drops the temporary file. */
int conv_csv_close(conv_csv *c, const char *path, bool keep);

/* ---- CSV reader (csv_read.c): RFC 4180, the one every tool uses ---------
 * Fields are unescaped in place in the file's text. */
typedef struct conv_csv_rec {
    char **f;  /* ncols fields */
    int line;  /* where the record starts (1-based) */
    size_t at; /* index of its first field in cells, while parsing */
} conv_csv_rec;
typedef struct conv_csv_file {
    const char *path; /* for messages */
    char *buf;
    char **cells;
    size_t ncells, ccap;
    char **header;
    conv_csv_rec *rows; /* data records, the header excluded */
    int nrows, rcap, ncols;
    int col[CONV_NCOLS]; /* field index of each known column, -1 absent */
} conv_csv_file;
/* Reads path; every column of req[0..nreq) must be in the header. On
 * failure err says file:line and what is wrong; c is freed either way by
 * conv_csv_free. */
conv_status conv_csv_read(const char *path, const conv_col *req, int nreq,
                          conv_csv_file *c, char *err, size_t len);
/* The same from text (NUL-terminated, taken over by c). */
conv_status conv_csv_parse(char *text, const char *path, const conv_col *req,
                           int nreq, conv_csv_file *c, char *err, size_t len);
/* The field of known column k in record r; "" when the file lacks it. */
const char *conv_csv_get(const conv_csv_file *c, const conv_csv_rec *r,
                         conv_col k);
/* The field index of a column by name (one outside the table), or -1. */
int conv_csv_find(const conv_csv_file *c, const char *name);
void conv_csv_free(conv_csv_file *c);

/* ---- run metadata (meta.c): <csv>.meta.json -----------------------------
 * One JSON object with string/number members: "cpu_model", "cpu_flags",
 * "cores", "threads", "blas_core", "openblas_config", "fftw_version",
 * "dnnl_version", "compiler", "git_commit", "date", "command",
 * "sgemm_gflops" (OpenBLAS sgemm rate at 1024^3 measured at the start of the
 * run, the machine-speed yardstick compare normalises by), "fill", "seed",
 * and what defines the rows (docs/design.md §15, compared by --resume and
 * merge): "algos", "dirs", "problems" and "problems_hash" (the problem
 * list before --shard), "shard" ("I/N", or "" when not sharded). */
typedef struct conv_meta_args {
    int argc;
    char **argv;
    int threads;
    double sgemm_gflops;
    const char *fill;
    unsigned long long seed;
    const char *algos, *dirs; /* "naive,fft", "fwd,bwd_d" */
    int problems;
    unsigned long long problems_hash;
    int shard_i, shard_n; /* 0 0: the whole list */
} conv_meta_args;
/* The members of what defines the rows: a run resumes, and shards merge,
 * only where these agree (besides the shard itself). */
extern const char *const conv_meta_row_keys[];
extern const int conv_meta_row_key_count;
conv_status conv_meta_write(const char *csv_path, const conv_meta_args *m,
                            char *err, size_t len);
/* A .meta.json read back: its members, strings unescaped. */
#define CONV_META_MAX 64
typedef struct conv_meta_kv {
    const char *key, *str; /* str: a string's text, a number as written */
    bool is_num;
    double num;
} conv_meta_kv;
typedef struct conv_meta {
    bool found; /* the sidecar exists */
    char *buf;
    int n;
    conv_meta_kv kv[CONV_META_MAX];
} conv_meta;
/* Reads <csv_path>.meta.json; a missing one is no error (m->found false).
 * true, false and null read as those words; members beyond CONV_META_MAX
 * and nested values are skipped. */
conv_status conv_meta_read(const char *csv_path, conv_meta *m, char *err,
                           size_t len);
/* The same from text (NUL-terminated, taken over by m). */
conv_status conv_meta_parse(char *text, const char *path, conv_meta *m,
                            char *err, size_t len);
/* The member named key, or NULL. */
const char *conv_meta_get(const conv_meta *m, const char *key,
                          double *num /* NULL-safe; NAN unless a number */);
void conv_meta_free(conv_meta *m);

/* ---- interrupted runs (partial.c) --------------------------------------
 * From conv_partial_begin() on, SIGINT and SIGTERM commit the CSV's rows
 * counted by conv_partial_row() (a header-only CSV before any) and its
 * .meta.json with "interrupted": true, "signal", "rows_done" and
 * "rows_planned", remove every temporary file and exit 128 + the signal
 * (130 for SIGINT, 143 for SIGTERM). A finished run's .meta.json has
 * "interrupted": false and the same counts. done: rows already in the CSV
 * (--resume: copied from the run before), counted and committed. */
conv_status conv_partial_begin(const conv_csv *c, const char *path, int planned,
                               int done, const conv_meta_args *m, char *err,
                               size_t len);
/* After each complete row written to f: flushes it and counts it. */
conv_status conv_partial_row(FILE *f);
/* Before the final commit of the CSV: a signal from here on waits for
 * conv_partial_end(), which then exits 128 + it with the files complete. */
void conv_partial_hold(void);
/* Writes the .meta.json when commit, removes the spare files, restores the
 * signal handlers. */
conv_status conv_partial_end(bool commit, const char *path,
                             const conv_meta_args *m, char *err, size_t len);

/* ---- npy (npy.c) ------------------------------------------------------- */
/* Reads a float32 C-order .npy whose shape must equal dims[0..ndim). */
conv_status conv_npy_read(const char *path, int ndim, const size_t *dims,
                          float **data, char *err, size_t len);
/* The checks of conv_npy_read on a whole .npy image buf[0..size) in
 * memory; *data gets a malloc'd copy of its floats. */
conv_status conv_npy_parse(const void *buf, size_t size, int ndim,
                           const size_t *dims, float **data, char *err,
                           size_t len);
#define CONV_NPY_MAX_DIMS 8
/* The header at the start of buf[0..size) (a whole image or only its
 * first bytes): magic, version, float32, C order; its shape goes to
 * *ndim and dims, and *offset is where the data starts. */
conv_status conv_npy_header(const void *buf, size_t size, int *ndim,
                            size_t dims[CONV_NPY_MAX_DIMS], size_t *offset,
                            char *err, size_t len);
/* Writes via a temporary file and rename: never a half-written file. */
conv_status conv_npy_write(const char *path, int ndim, const size_t *dims,
                           const float *data, char *err, size_t len);

/* ---- progress on stderr (progress.c) ------------------------------------ */
typedef struct conv_progress {
    bool on, tty;
    int total, done;
    double t0;
} conv_progress;
/* On when forced (--progress), or when stderr is a terminal and !quiet. */
void conv_progress_start(conv_progress *pr, bool forced, bool quiet, int total);
/* Before a row starts: rows done, elapsed, ETA, then algo and problem. */
void conv_progress_row(conv_progress *pr, const char *algo, const char *what);
void conv_progress_done(conv_progress *pr);
/* Erases the terminal line before stdout is written. */
void conv_progress_clear(const conv_progress *pr);
void conv_progress_end(const conv_progress *pr);

#endif
