/* run: running algorithms. The run settings, the algorithms by name
 * (built-in and plugins), one problem's tensors and reference, the row
 * driver (row.c: the only code that calls an algorithm's plan, execute
 * and destroy), the checks of a verified run, the timing rule, the
 * breakdown pass, isolated rows, the sgemm yardstick, and the commands
 * built on the driver: verify/bench, exec, gbench.
 * Depends on out/, problem/ and base/. */
#ifndef CONV_RUN_H
#define CONV_RUN_H

#include <stdbool.h>

#include "out/out.h"

/* ---- run settings (filled by cli/, read by every part of a run) -------- */
#define CONV_MAX_ALGOS 32
#define CONV_MAX_NPY 8
typedef struct conv_opts {
    const conv_algo *algos[CONV_MAX_ALGOS];
    int nalgos;
    bool algos_set;
    conv_shape_list shapes;
    conv_dir dirs[CONV_NDIRS]; /* --dir, in the order given */
    int ndirs;
    bool dirs_set; /* --dir given (selftest: else every direction) */
    int mb, threads, sweep, min_reps, bias;
    unsigned long long seed;
    conv_fill fill;
    bool fill_set, cold_cache, sgemm_ref, quiet;
    bool breakdown;    /* bench: the phase pass after each PASSED row */
    double min_ms;     /* < 0: not given */
    double ci, max_ms; /* timing rule (timing.c); max_ms 0: not given */
    bool progress;     /* --progress: also when stderr is no terminal */
    const char *csv;
    bool resume;                      /* --resume: continue the CSV (rows.c) */
    int shard_i, shard_n;             /* --shard I/N; 0 0: every problem */
    int problems;                     /* in the list before --shard */
    unsigned long long problems_hash; /* of that list (conv_shapes_hash) */
    size_t ws_cap, mem_cap;
    conv_fft_effort effort;
    char wisdom[4096];
    struct {
        const char *opt, *path; /* exec: "--input", "x.npy" */
    } npy[CONV_MAX_NPY];
    int nnpy;
    int rest_argc; /* after "--", for gbench */
    char **rest_argv;
    int isolate;        /* 0 plugin rows only (default), 1 all, -1 none */
    double row_timeout; /* seconds an isolated row may take, 0 = default */
} conv_opts;

/* The run settings every plan() gets; why may be NULL. */
conv_ctx conv_make_ctx(const conv_opts *o, char *why, size_t len);

/* ---- algorithms by name (plugin.c, docs/design.md §12) ------------------ */
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

/* ---- one problem's tensors and reference (check.c) ---------------------- */
/* Every tensor of the direction by role (conv_dirs[dir].t): t[k] inside
 * buf[k] between CONV_GUARD floats of guard pattern each side; NULL when
 * the role is absent. Inputs are filled and checksummed, outputs have the
 * reference ref[k] and the scale mag[k] of the error measure. */
#define CONV_GUARD 64
typedef struct conv_data {
    conv_problem p;
    conv_dir dir;
    conv_fill fill;
    unsigned long long seed;
    float *t[CONV_MAX_TENSORS], *buf[CONV_MAX_TENSORS];
    size_t elems[CONV_MAX_TENSORS];
    unsigned long long sum[CONV_MAX_TENSORS];
    double *ref[CONV_MAX_TENSORS], *mag[CONV_MAX_TENSORS];
    double *times; /* the timing loop's samples (timing.c) */
    int times_cap;
} conv_data;

conv_status conv_data_alloc(conv_data *d, const conv_problem *p, conv_dir dir,
                            conv_fill fill, unsigned long long seed);
void conv_data_free(conv_data *d);
/* Outputs to NaN, every guard to its pattern. */
void conv_data_poison(conv_data *d);
/* The guards and input checksums, first failure first: false with the
 * reason ("guard after y overwritten (at y[12])", "input modified: x
 * differs after execute"); inputs are then filled anew for the next
 * algorithm. */
bool conv_data_intact(conv_data *d, char *why, size_t len);
/* The reference of direction dir (reference/, one function each) on the
 * tensors t by the roles of conv_dirs[dir]: each output role's ref and
 * mag (sum of |terms|) in double. Also golden_check's. */
void conv_reference_dir(const conv_problem *p, conv_dir dir, float *const t[],
                        double *const ref[], double *const mag[]);
/* Every output against the reference: r->max_abs, max_rel, nans, worst,
 * worst_tensor (docs/design.md §4's measure). */
void conv_check_outputs(const conv_data *d, bool bit_exact, conv_row *r);
/* "y[n,c,h,w]" of the worst element the check found. */
void conv_worst_name(const conv_data *d, const conv_row *r, char *buf,
                     size_t len);
/* Bytes currently held by malloc across all threads and libraries. */
size_t conv_held_bytes(void);
/* Whether declared and measured plan memory agree (10% + 64 KiB). */
bool conv_workspace_agrees(size_t declared, size_t measured);

/* ---- the row driver (row.c) ---------------------------------------------
 * A plan bound to its tensors: the one place an algorithm is called. */
typedef struct conv_bound {
    const conv_algo *a;
    conv_dir dir;
    const conv_problem *p;
    float *t[CONV_MAX_TENSORS];
    conv_plan *pl;
} conv_bound;
/* Whether a can run direction dir of p (supports or supports_bwd, or
 * UNSUPPORTED "no bwd_d implementation"), and its tolerance there. */
conv_status conv_supports(const conv_algo *a, const conv_problem *p,
                          conv_dir dir, char *why, size_t len);
double conv_tolerance(const conv_algo *a, conv_dir dir);
/* plan() with the direction's inputs of t (which must stay alive). */
conv_status conv_bound_plan(conv_bound *b, const conv_algo *a, conv_dir dir,
                            const conv_problem *p, float *const t[],
                            const conv_ctx *ctx);
/* One verified run: load_input (if the algorithm has it), execute,
 * store_output; *step names the step that failed. */
conv_status conv_bound_run(conv_bound *b, const char **step);
/* execute() alone: what the timing loop measures. */
conv_status conv_bound_execute(conv_bound *b);
const char *conv_bound_impl(const conv_bound *b);
void conv_bound_destroy(conv_bound *b);

/* A row of algo on direction dir of s, before it runs: UNSUPPORTED,
 * nothing measured. */
void conv_row_init(conv_row *r, const char *algo, conv_dir dir,
                   const conv_shape *s, int threads);
/* The row: supports, plan, two poisoned and checked runs, the plan's
 * memory, and when timed the timing loop and the breakdown pass; the
 * outcome (status, reason naming the failed check, errors, times) in r. */
void conv_row_run(const conv_opts *o, bool timed, const conv_algo *a,
                  conv_data *d, const conv_ctx *ctx, conv_row *r);
/* exec's path: supports, plan and one run on the caller's tensors. On
 * failure *why and the status say what. */
conv_status conv_row_apply(const conv_algo *a, conv_dir dir,
                           const conv_problem *p, float *const t[],
                           const conv_ctx *ctx, char *why, size_t len);

/* ---- timing (timing.c, docs/design.md §6) ------------------------------- */
/* The stopping rule of the timed runs; the caller runs and measures. */
typedef struct conv_timer {
    const conv_opts *o;
    conv_data *d;
    int reps, check;
    double total, min_ms, max_ms;
} conv_timer;
conv_status conv_timer_start(conv_timer *tm, const conv_opts *o, conv_data *d);
/* Records one run of t ms; false when the rule says stop (or on no
 * memory for the sample: *st). */
bool conv_timer_add(conv_timer *tm, double t, conv_status *st);
/* Median, min, mean, stddev, reps, interval and GFLOP/s into r. */
void conv_timer_finish(const conv_timer *tm, conv_row *r);
/* The 1-based rank j such that [t(j), t(n+1-j)] of n sorted samples is a
 * 95% distribution-free interval of their median; 0 when n < 6. */
int conv_median_ci_rank(int n);
/* The relative half-width of that interval for n sorted times s:
 * max(median - t(j), t(n+1-j) - median) / median; NAN when n < 6. */
double conv_median_ci(const double *s, int n);
/* Sorts v[0..n-1] (n >= 1) ascending and returns its median. */
double conv_sort_median(double *v, int n);
/* --cold-cache: the eviction buffer, and the eviction before a run. */
conv_status conv_timing_init(const conv_opts *o);
void conv_timing_free(void);
void conv_evict_caches(void);

/* ---- breakdown (breakdown.c, docs/design.md §13) ------------------------
 * The phase hook and what it collects; row.c runs the pass. */
typedef struct conv_breakdown conv_breakdown;
/* NULL (why says it) when a's phases have no columns or no memory. */
conv_breakdown *conv_breakdown_new(const conv_algo *a, int threads, char *why,
                                   size_t len);
const conv_phase_hook *conv_breakdown_hook(conv_breakdown *bd);
/* Before each run. */
void conv_breakdown_reset(conv_breakdown *bd);
/* After each run: false (why) when the marks broke conv.h's rules. */
bool conv_breakdown_collect(conv_breakdown *bd, char *why, size_t len);
/* Whether another run is wanted: --min-reps, then --min-ms. */
bool conv_breakdown_more(const conv_breakdown *bd, const conv_opts *o);
/* Each phase's median into r->phase_ms. */
void conv_breakdown_finish(conv_breakdown *bd, conv_row *r);
void conv_breakdown_free(conv_breakdown *bd);

/* ---- isolated rows (isolate.c) ----------------------------------------- */
/* conv_row_run, in a child process when the row is isolated (--isolate, or
 * a plugin algorithm without --no-isolate): a crash or a hang past
 * --row-timeout becomes an ERROR row naming the signal or the time-out. */
void conv_row_run_isolated(const conv_opts *o, bool timed, const conv_algo *a,
                           conv_data *d, const conv_ctx *ctx, conv_row *r);
/* Starts the process isolated rows are forked from, before any OpenMP
 * work (see isolate.c); a no-op when no row will be isolated. */
void conv_isolate_start(const conv_opts *o);
void conv_isolate_stop(void);

/* ---- sgemm rate (gemm_rate.c) ------------------------------------------ */
/* A row-major sgemm C (m x n) = op(A) op(B), op(A) m x k, op(B) k x n;
 * extents in int64, as a problem gives them. */
typedef struct conv_gemm_shape {
    long long m, n, k;
    bool trans_a, trans_b;
} conv_gemm_shape;
/* Direction dir's im2col GEMM of p, per group over the whole batch, with
 * im2col_gemm's transposes (docs/timing.md, "The sgemm yardstick"). */
conv_gemm_shape conv_dir_gemm_shape(const conv_problem *p, conv_dir dir);
/* GFLOP/s of OpenBLAS sgemm on s, median over runs of at least min_ms; 0
 * (no reference) when an extent is not in 1..INT_MAX, the operands'
 * sizes overflow, memory runs out, or built without OpenBLAS. */
double conv_sgemm_gflops(const conv_gemm_shape *s, double min_ms);

/* ---- --resume (resume.c) ----------------------------------------------- */
typedef struct conv_resume {
    bool on;         /* a CSV to continue */
    conv_csv_file f; /* its rows */
    char *text;      /* its bytes, copied into the new CSV */
    int counts[CONV_NROW_STATUSES];
} conv_resume;
/* Reads path and its meta (a missing path: nothing to resume, rs->on
 * false); an exit code: CONV_EXIT_USAGE after a message naming what
 * differs, when it is no convbench CSV or the rows it was made for
 * (m: this run) differ. */
int conv_resume_open(conv_resume *rs, const char *path,
                     const conv_meta_args *m);
/* Whether the CSV holds r's row: (algo, dir, desc). */
bool conv_resume_has(const conv_resume *rs, const conv_row *r);
/* Its rows, as they were, to f (after the header). */
int conv_resume_copy(const conv_resume *rs, FILE *f);
void conv_resume_free(conv_resume *rs);

/* ---- commands on the driver -------------------------------------------- */
/* verify and bench (rows.c): every algorithm on every problem; returns an
 * exit code. */
int conv_run_rows(conv_opts *o, int argc, char **argv, bool timed);
/* exec (exec.c): one algorithm on .npy files named by role. */
int conv_exec(conv_opts *o);
/* gbench (gbench_shim.cc): registers each (algorithm, problem) pair as a
 * Google Benchmark and runs them; argv holds the flags after "--".
 * Returns an exit code. Unavailable algorithms are not passed in. */
int conv_gbench_run(const conv_algo *const *algos, int nalgos,
                    const conv_dir *dirs, int ndirs,
                    const conv_shape_list *shapes, const conv_ctx *ctx,
                    conv_fill fill, unsigned long long seed, int argc,
                    char **argv);

#endif
