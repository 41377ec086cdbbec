/* convbench harness: the pieces behind the command line. */
#ifndef CONV_HARNESS_H
#define CONV_HARNESS_H

#include <stdio.h>

#include "conv.h"

/* Exit codes (DESIGN §5). */
enum {
    CONV_EXIT_OK = 0,
    CONV_EXIT_FAIL = 1,
    CONV_EXIT_USAGE = 2,
    CONV_EXIT_UNSUPPORTED = 3
};

/* ---- descriptors (desc.c) ---------------------------------------------- */
/* Parse one benchdnn descriptor. CONV_INVALID: malformed (err names the
 * field); CONV_UNSUPPORTED: a valid 3D problem. mem_cap bounds the bytes of
 * x, w and y together (0 = no bound). */
conv_status conv_desc_parse(const char *s, size_t mem_cap, conv_problem *p,
                            char *err, size_t len);
/* Canonical benchdnn form, e.g. g1mb2ic3ih5iw5oc4oh5ow5kh3kw3sh1sw1ph1pw1
 * dh0dw0n"x"; 1D problems print w fields only. */
void conv_desc_format(const conv_problem *p, char *buf, size_t len);
/* Checks a filled-in problem (sizes, divisibility, memory); err names the
 * field. Used by the parser and by the sweep generator. */
conv_status conv_problem_check(const conv_problem *p, size_t mem_cap, char *err,
                               size_t len);
/* Element counts, NULL-free: x, w, b, y. */
size_t conv_x_elems(const conv_problem *p);
size_t conv_w_elems(const conv_problem *p);
size_t conv_y_elems(const conv_problem *p);
/* The .npy shape of a tensor: (N, C, [H,] W) for x and y, (OC, IC/G, [KH,]
 * KW) for w, (OC) for b; 1D problems drop the H axis. Returns the rank. */
typedef enum conv_tensor { CONV_X, CONV_W, CONV_B, CONV_Y } conv_tensor;
int conv_tensor_dims(const conv_problem *p, conv_tensor t, size_t dims[4]);

/* ---- shape lists (shapes.c) -------------------------------------------- */
typedef struct conv_shape {
    conv_problem p;
    conv_status st;   /* CONV_OK, or CONV_UNSUPPORTED (3D) */
    char why[160];    /* reason when UNSUPPORTED */
    char text[256];   /* the descriptor as written */
    bool random_bias; /* a sweep problem: keeps the bias it drew */
    int count;        /* times the layer occurs in its network: 1, or N
                         from benchdnn's repeat suffix n"name*N" */
} conv_shape;

typedef struct conv_shape_list {
    conv_shape *v;
    int n, cap;
} conv_shape_list;

/* The repeat count of a name ending in benchdnn's "*N" (N >= 1), else 1;
 * 0 when the digits after the '*' are 0 or over 10^9. */
int conv_name_count(const char *name);
/* Append one descriptor; CONV_INVALID with err on a bad one. */
conv_status conv_shapes_add_desc(conv_shape_list *l, const char *desc,
                                 size_t mem_cap, char *err, size_t len);
/* Append every problem of a shape file, or of a named set in
 * harness/shapes/ when `name` is not a readable file; SET:MODEL names the
 * per-model set harness/shapes/SET.d/MODEL. err says file:line. */
conv_status conv_shapes_load(conv_shape_list *l, const char *name,
                             size_t mem_cap, char *err, size_t len);
/* The shape-file parser of conv_shapes_load on text[0..size) in memory (no
 * terminator needed; a NUL byte is refused); err says origin:line. */
conv_status conv_shapes_parse_text(conv_shape_list *l, const char *text,
                                   size_t size, const char *origin,
                                   size_t mem_cap, char *err, size_t len);
/* Random valid problems over the whole configuration space. */
conv_status conv_shapes_sweep(conv_shape_list *l, int count,
                              unsigned long long seed, size_t mem_cap);
void conv_shapes_free(conv_shape_list *l);

/* ---- data (fill.c) ----------------------------------------------------- */
typedef enum conv_fill { CONV_FILL_INT = 0, CONV_FILL_REAL } conv_fill;
/* Deterministic in (seed, problem), independent of thread count. x, w, b
 * as in conv.h; b may be NULL when !p->bias. */
void conv_fill_tensors(const conv_problem *p, conv_fill mode,
                       unsigned long long seed, float *x, float *w, float *b);
/* Whether int fill keeps every fp32 partial sum of p exact (false only past
 * 2^24 taps per output); bit-exactness is demanded only then. */
bool conv_fill_is_exact(const conv_problem *p);

/* ---- run settings (parsed by main.c, read by every stage) -------------- */
#define CONV_MAX_ALGOS 32
typedef struct conv_opts {
    const conv_algo *algos[CONV_MAX_ALGOS];
    int nalgos;
    bool algos_set;
    conv_shape_list shapes;
    int mb, threads, sweep, min_reps, bias;
    unsigned long long seed;
    conv_fill fill;
    bool fill_set, cold_cache, sgemm_ref, quiet;
    bool breakdown;    /* bench: the phase pass after each PASSED row */
    double min_ms;     /* < 0: not given */
    double ci, max_ms; /* timing rule (timing.c); max_ms 0: not given */
    bool progress;     /* --progress: also when stderr is no terminal */
    const char *csv;
    size_t ws_cap, mem_cap;
    conv_fft_effort effort;
    char wisdom[4096];
    const char *input, *weights, *bias_path, *output;
    int rest_argc; /* after "--", for gbench */
    char **rest_argv;
    int isolate;        /* 0 plugin rows only (default), 1 all, -1 none */
    double row_timeout; /* seconds an isolated row may take, 0 = default */
} conv_opts;

/* The run settings every plan() gets; why may be NULL. */
conv_ctx conv_make_ctx(const conv_opts *o, char *why, size_t len);
/* "OK", "INVALID", "UNSUPPORTED", "NOMEM", "BACKEND". */
const char *conv_status_name(conv_status s);

/* ---- phase names (breakdown.c): one phase_<name>_ms CSV column each ---- */
typedef enum conv_phase_col {
    CONV_PH_LOWER,
    CONV_PH_GEMM,
    CONV_PH_PRODUCT,
    CONV_PH_FORWARD,
    CONV_PH_INVERSE,
    CONV_PH_INPUT,
    CONV_PH_OUTPUT,
    CONV_PH_REORDER_IN,
    CONV_PH_PRIMITIVE,
    CONV_PH_REORDER_OUT,
    CONV_NPHASES
} conv_phase_col;
/* "lower", "gemm", ...: the names algorithms give in conv_algo.phases. */
extern const char *const conv_phase_names[CONV_NPHASES];

/* ---- rows and the CSV (csv.c) ------------------------------------------ */
typedef struct conv_row {
    const char *algo, *status;
    char impl[96], desc[256], reason[256];
    conv_problem p;
    int threads, reps;
    double plan_ms, min_ms, median_ms, mean_ms, stddev_ms, gflops;
    size_t workspace;
    double max_abs, max_rel, tol, sgemm_gflops, sgemm_frac;
    /* Bytes plan() left held by malloc (all libraries), see verify.c. */
    size_t plan_alloc;
    /* From conv_check_output: NaN outputs, and the element of largest
     * error (or the first NaN). */
    size_t nans, worst;
    double phase_ms[CONV_NPHASES]; /* --breakdown; NaN: not measured */
    double median_ci; /* relative half-width of the median's 95% interval */
} conv_row;

/* Written to a temporary file and renamed into place by close. */
typedef struct conv_csv {
    FILE *f;
    char tmp[4200];
} conv_csv;

/* Both return an exit code (0, or CONV_EXIT_USAGE with a message). */
int conv_csv_open(conv_csv *c, const char *path);
void conv_csv_row(FILE *f, const conv_row *r);
/* keep = false drops the temporary file. */
int conv_csv_close(conv_csv *c, const char *path, bool keep);

/* ---- interrupted runs (partial.c) --------------------------------------
 * From conv_partial_begin() on, SIGINT and SIGTERM commit the CSV's rows
 * counted by conv_partial_row() (a header-only CSV before any) and its
 * .meta.json with "interrupted": true, "signal", "rows_done" and
 * "rows_planned", remove every temporary file and exit 128 + the signal
 * (130 for SIGINT, 143 for SIGTERM). A finished run's .meta.json has
 * "interrupted": false and the same counts. */
typedef struct conv_meta_args {
    int argc;
    char **argv;
    int threads;
    double sgemm_gflops;
    const char *fill;
    unsigned long long seed;
} conv_meta_args;
conv_status conv_partial_begin(const conv_csv *c, const char *path, int planned,
                               const conv_meta_args *m, char *err, size_t len);
/* After each complete row written to f: flushes it and counts it. */
conv_status conv_partial_row(FILE *f);
/* Before the final commit of the CSV: a signal from here on waits for
 * conv_partial_end(), which then exits 128 + it with the files complete. */
void conv_partial_hold(void);
/* Writes the .meta.json when commit, removes the spare files, restores the
 * signal handlers. */
conv_status conv_partial_end(bool commit, const char *path,
                             const conv_meta_args *m, char *err, size_t len);

/* ---- verification (verify.c) ------------------------------------------- */
/* One problem's tensors and reference, made once for all its algorithms. */
typedef struct conv_data {
    conv_problem p;
    float *x, *w, *b, *y; /* x and y lie inside xbuf and ybuf, between */
    float *xbuf, *ybuf;   /* CONV_GUARD floats of guard pattern each side */
    double *yref, *mag;
    double *times;
    int times_cap;
    unsigned long long xsum, seed; /* xsum: checksum of x as filled */
    conv_fill fill;
} conv_data;
#define CONV_GUARD 64

conv_status conv_data_alloc(conv_data *d, const conv_problem *p, conv_fill fill,
                            unsigned long long seed);
void conv_data_free(conv_data *d);
/* Fills r->max_abs and r->max_rel from d->y against the reference. */
void conv_check_output(const conv_data *d, bool bit_exact, conv_row *r);
/* supports, plan, two verified runs (output against the reference, guards
 * around x and y, x unchanged), the measured plan memory against
 * workspace_bytes and, when timed, the timing stage; the outcome goes to r
 * (status, reason naming the check that failed, errors, times). */
void conv_run_row(const conv_opts *o, bool timed, const conv_algo *a,
                  conv_data *d, const conv_ctx *ctx, conv_row *r);
void conv_row_init(conv_row *r, const char *algo, const conv_shape *s,
                   int threads);

/* ---- timing (timing.c) ------------------------------------------------- */
/* Warm-up and timed runs of a verified plan; fills r's times. */
conv_status conv_time_runs(const conv_opts *o, const conv_algo *a,
                           conv_plan *pl, conv_data *d, conv_row *r);
/* The 1-based rank j such that [t(j), t(n+1-j)] of n sorted samples is a
 * 95% distribution-free interval of their median; 0 when n < 6. */
int conv_median_ci_rank(int n);
/* The relative half-width of that interval for n sorted times s:
 * max(median - t(j), t(n+1-j) - median) / median; NAN when n < 6. */
double conv_median_ci(const double *s, int n);
/* Sorts v[0..n-1] (n >= 1) ascending and returns its median. */
double conv_sort_median(double *v, int n);
/* The --cold-cache eviction buffer. */
conv_status conv_timing_init(const conv_opts *o);
void conv_timing_free(void);

/* ---- breakdown (breakdown.c) ------------------------------------------- */
/* --breakdown: after a PASSED row's timing, a separate pass re-plans a with
 * a phase hook, runs it under the timing loop's rule and fills
 * r->phase_ms (README, "--breakdown"). On a problem (re-plan failed or
 * chose another path, output wrong, a mark against conv.h's rules) it
 * leaves them NaN, says why on stderr and in r->reason; the row stays
 * PASSED: its timing is unaffected. */
void conv_breakdown_row(const conv_opts *o, const conv_algo *a, conv_data *d,
                        const conv_ctx *ctx, conv_row *r);

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

/* ---- verify / bench (run.c) -------------------------------------------- */
/* Every algorithm on every problem; returns an exit code. */
int conv_run_rows(conv_opts *o, int argc, char **argv, bool timed);

/* ---- plugins (plugin.c, DESIGN §12) ----------------------------------- */
/* Loads every `--plugin FILE` of argv (up to "--") ahead of the other
 * options, so that --algo can name their algorithms. Returns an exit code:
 * CONV_EXIT_USAGE with a message naming the file and what is wrong. */
int conv_plugins_load_args(int argc, char **argv);
int conv_plugin_count(void);
const conv_algo *conv_plugin_algo(int i); /* in load order */
/* The file a plugin algorithm came from; NULL for a built-in. */
const char *conv_plugin_file(const char *name);
/* A built-in or plugin algorithm by name. NULL when unknown, or when a
 * compiled-out built-in: then *missing says why (else it is NULL). */
const conv_algo *conv_algo_lookup(const char *name, const char **missing);

/* ---- isolated rows (isolate.c) ----------------------------------------- */
/* conv_run_row, in a child process when the row is isolated (--isolate, or
 * a plugin algorithm without --no-isolate): a crash or a hang past
 * --row-timeout becomes an ERROR row naming the signal or the time-out. */
void conv_run_row_isolated(const conv_opts *o, bool timed, const conv_algo *a,
                           conv_data *d, const conv_ctx *ctx, conv_row *r);
/* Starts the process isolated rows are forked from, before any OpenMP
 * work (see isolate.c); a no-op when no row will be isolated. */
void conv_isolate_start(const conv_opts *o);
void conv_isolate_stop(void);

/* ---- installed files (paths.c) ----------------------------------------- */
/* The folder of the named shape sets: share/convbench/shapes next to an
 * installed binary, else the source tree's harness/shapes. */
const char *conv_shapes_dir(void);

/* ---- self-test (faults.c, selftest.c; DESIGN §10) --------------------- */
/* The problems the self-test runs, chosen to expose the faults. */
typedef struct conv_selftest_problem {
    const char *name, *desc;
    bool bias;
} conv_selftest_problem;

/* One run of a faulty algorithm: problem (a name above), fill, threads and
 * what the FAILED row's reason must contain (NULL: the row must pass). */
typedef struct conv_fault_case {
    const char *problem;
    conv_fill fill;
    int threads;
    const char *expect;
} conv_fault_case;

/* A deliberately wrong algorithm: the catalogue's correct base with one
 * piece replaced. Never in the registry. */
typedef struct conv_fault {
    const char *what;         /* the fault, in words */
    conv_algo algo;           /* algo.name is the fault's name */
    conv_fault_case cases[2]; /* unused ones have problem NULL */
} conv_fault;

extern const conv_selftest_problem conv_selftest_problems[];
extern const int conv_selftest_problem_count;
extern const conv_fault conv_faults[];
extern const int conv_fault_count;
extern const conv_algo conv_fault_base; /* the correct base itself */

/* convbench selftest: every fault through conv_run_row, and the real
 * algorithms on the same problems. Returns an exit code. */
int conv_selftest(conv_opts *o);

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

/* ---- clocks and files (env.c) ------------------------------------------- */
double conv_now_ms(void);
/* mkstemp with the permissions an ordinary file gets (umask), for the
 * write-to-temporary-then-rename pattern every output uses. */
int conv_mkstemp(char *tmpl);
/* Closes f (written to the temporary tmp) and renames it to path; on any
 * error removes tmp and says why. f may be NULL (then only cleans up). */
conv_status conv_file_commit(FILE *f, const char *tmp, const char *path,
                             char *err, size_t len);

/* ---- BLAS environment (env.c) ------------------------------------------- */
/* One verified run: load_input (if the algorithm has it), execute,
 * store_output. *step names the step that failed. */
conv_status conv_run_once(const conv_algo *a, conv_plan *pl, const float *x,
                          float *y, const char **step);

/* Sets the thread count of OpenMP, OpenBLAS and oneDNN at once (and turns
 * off oneDNN's primitive cache so plan_ms stays honest). */
void conv_set_threads(int threads);
/* The OpenBLAS core in use, e.g. "SkylakeX", or "none". */
const char *conv_blas_core(void);
/* Sets OPENBLAS_THREAD_TIMEOUT and, where the CPU can run a better kernel
 * set than the one picked, OPENBLAS_CORETYPE, and re-executes argv so the
 * library sees them; returns only when nothing had to change. */
void conv_fix_blas_env(char **argv);

/* ---- sgemm rate (gemm_rate.c) ------------------------------------------ */
/* GFLOP/s of OpenBLAS sgemm (row-major, no transpose) for M x N x K,
 * median over runs of at least min_ms; 0 when built without OpenBLAS. */
double conv_sgemm_gflops(int m, int n, int k, double min_ms);

/* ---- other commands ---------------------------------------------------- */
/* convbench compare BASELINE.csv CURRENT.csv (compare.c): argv[0] is
 * "compare". Returns an exit code: 0 no regression, 1 regression, 2 bad
 * input. */
int conv_compare_main(int argc, char **argv);
/* convbench summary RESULTS.csv [--per-layer] [--choice-out FILE]
 * [--networks SET]... (summary.c): network totals; argv[0] is "summary".
 * Returns 0, or 2 on bad input. */
int conv_summary_main(int argc, char **argv);

/* convbench gbench (gbench_shim.cc): registers each (algorithm, problem)
 * pair as a Google Benchmark and runs them; argv holds the flags after
 * "--". Returns an exit code. Unavailable algorithms are not passed in. */
int conv_gbench_run(const conv_algo *const *algos, int nalgos,
                    const conv_shape_list *shapes, const conv_ctx *ctx,
                    conv_fill fill, unsigned long long seed, int argc,
                    char **argv);

/* ---- run metadata (meta.c): <csv>.meta.json -----------------------------
 * One JSON object with string/number members: "cpu_model", "cpu_flags",
 * "cores", "threads", "blas_core", "openblas_config", "fftw_version",
 * "dnnl_version", "compiler", "git_commit", "date", "command",
 * "sgemm_gflops" (OpenBLAS sgemm rate at 1024^3 measured at the start of the
 * run, the machine-speed yardstick compare normalises by), "fill", "seed". */
conv_status conv_meta_write(const char *csv_path, int argc, char **argv,
                            int threads, double sgemm_gflops, const char *fill,
                            unsigned long long seed, char *err, size_t len);

#endif
