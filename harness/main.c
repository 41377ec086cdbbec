/* convbench: the command line (DESIGN §5). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "reference.h"

/* Filled in by compare.c and gbench_shim.cc when they are built. */
int conv_compare_main(int argc, char **argv) __attribute__((weak));
int conv_gbench_run(const conv_algo *const *algos, int nalgos,
                    const conv_shape_list *shapes, const conv_ctx *ctx,
                    conv_fill fill, unsigned long long seed, int argc,
                    char **argv) __attribute__((weak));

#define MAX_ALGOS 32
#define GIB ((size_t)1 << 30)

typedef struct opts {
    const conv_algo *algos[MAX_ALGOS];
    int nalgos;
    bool algos_set;
    conv_shape_list shapes;
    int mb, threads, sweep, min_reps, bias;
    unsigned long long seed;
    conv_fill fill;
    bool fill_set, cold_cache, sgemm_ref, quiet;
    double min_ms;
    const char *csv;
    size_t ws_cap, mem_cap;
    conv_fft_effort effort;
    char wisdom[4096];
    const char *input, *weights, *bias_path, *output;
    int rest_argc; /* after "--", for gbench */
    char **rest_argv;
} opts;

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "convbench: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n(run 'convbench --help' for usage)\n");
    return CONV_EXIT_USAGE;
}

/* ---- option parsing: one table row per option ------------------------- */

static bool parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* Bytes with an optional K, M or G suffix. */
static bool parse_bytes(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!isdigit((unsigned char)*s) || end == s || errno) return false;
    int shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10, end++;
    else if (*end == 'M' || *end == 'm')
        shift = 20, end++;
    else if (*end == 'G' || *end == 'g')
        shift = 30, end++;
    if (*end || v > (ULLONG_MAX >> shift)) return false;
    *out = (size_t)(v << shift);
    return true;
}

typedef int (*opt_fn)(opts *o, const char *v);

static int set_algo(opts *o, const char *v)
{
    char buf[1024];
    if (strlen(v) >= sizeof buf)
        return usage_error("--algo: list too long%s", "", "");
    snprintf(buf, sizeof buf, "%s", v);
    o->algos_set = true;
    for (char *save, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "all") == 0) {
            for (int i = 0; i < conv_algo_count && o->nalgos < MAX_ALGOS; i++)
                if (conv_algos[i].algo)
                    o->algos[o->nalgos++] = conv_algos[i].algo;
            continue;
        }
        const conv_algo_entry *e = conv_algo_find(t);
        if (!e) return usage_error("--algo: unknown algorithm '%s'%s", t, "");
        if (!e->algo) return usage_error("--algo: '%s' is %s", t, e->missing);
        if (o->nalgos == MAX_ALGOS)
            return usage_error("--algo: too many%s", "", "");
        o->algos[o->nalgos++] = e->algo;
    }
    if (!o->nalgos) return usage_error("--algo: empty list%s", "", "");
    return 0;
}
static int set_desc(opts *o, const char *v)
{
    char err[512];
    if (conv_shapes_add_desc(&o->shapes, v, o->mem_cap, err, sizeof err))
        return usage_error("--desc: %s%s", err, "");
    return 0;
}
static int set_shapes(opts *o, const char *v)
{
    char err[1024];
    if (conv_shapes_load(&o->shapes, v, o->mem_cap, err, sizeof err))
        return usage_error("--shapes: %s%s", err, "");
    return 0;
}
#define INT_OPT(fn, opt, field, lo, hi, what)                                  \
    static int fn(opts *o, const char *v)                                      \
    {                                                                          \
        long long x;                                                           \
        if (!parse_int(v, lo, hi, &x))                                         \
            return usage_error("%s: '%s' is not " what, opt, v);               \
        o->field = (int)x;                                                     \
        return 0;                                                              \
    }
INT_OPT(set_mb, "--mb", mb, 1, 1 << 20, "an integer in [1, 2^20]")
INT_OPT(set_threads, "--threads", threads, 1, 1024, "an integer in [1, 1024]")
INT_OPT(set_sweep, "--sweep", sweep, 1, 1000000, "an integer in [1, 10^6]")
INT_OPT(set_min_reps, "--min-reps", min_reps, 1, 1000000,
        "an integer in [1, 10^6]")
INT_OPT(set_bias, "--bias", bias, 0, 1, "0 or 1")
static int set_seed(opts *o, const char *v)
{
    long long x;
    if (!parse_int(v, 0, LLONG_MAX, &x))
        return usage_error("--seed: '%s' is not a non-negative integer%s", v,
                           "");
    o->seed = (unsigned long long)x;
    return 0;
}
static int set_min_ms(opts *o, const char *v)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= 0 && x <= 3.6e6))
        return usage_error(
            "--min-ms: '%s' is not a number of ms in [0, 3.6e6]%s", v, "");
    o->min_ms = x;
    return 0;
}
static int set_fill(opts *o, const char *v)
{
    if (strcmp(v, "int") && strcmp(v, "real"))
        return usage_error("--fill: '%s' is not int or real%s", v, "");
    o->fill = strcmp(v, "int") ? CONV_FILL_REAL : CONV_FILL_INT;
    o->fill_set = true;
    return 0;
}
static int set_csv(opts *o, const char *v)
{
    o->csv = v;
    return 0;
}
static int set_ws_cap(opts *o, const char *v)
{
    if (!parse_bytes(v, &o->ws_cap))
        return usage_error(
            "--workspace-cap: '%s' is not a byte count (e.g. 512M, 2G)%s", v,
            "");
    return 0;
}
static int set_mem_cap(opts *o, const char *v)
{
    if (!parse_bytes(v, &o->mem_cap) || !o->mem_cap)
        return usage_error(
            "--mem-cap: '%s' is not a byte count (e.g. 512M, 8G)%s", v, "");
    return 0;
}
static int set_effort(opts *o, const char *v)
{
    static const char *names[] = {"estimate", "measure", "patient"};
    for (int i = 0; i < 3; i++)
        if (strcmp(v, names[i]) == 0) {
            o->effort = (conv_fft_effort)i;
            return 0;
        }
    return usage_error(
        "--fft-effort: '%s' is not estimate, measure or patient%s", v, "");
}
static int set_wisdom(opts *o, const char *v)
{
    snprintf(o->wisdom, sizeof o->wisdom, "%s", strcmp(v, "none") ? v : "");
    return 0;
}
static int set_cold(opts *o, const char *v)
{
    (void)v;
    o->cold_cache = true;
    return 0;
}
static int set_sgemm_ref(opts *o, const char *v)
{
    (void)v;
    o->sgemm_ref = true;
    return 0;
}
static int set_quiet(opts *o, const char *v)
{
    (void)v;
    o->quiet = true;
    return 0;
}
#define PATH_OPT(fn, field)                                                    \
    static int fn(opts *o, const char *v)                                      \
    {                                                                          \
        o->field = v;                                                          \
        return 0;                                                              \
    }
PATH_OPT(set_input, input)
PATH_OPT(set_weights, weights)
PATH_OPT(set_bias_path, bias_path)
PATH_OPT(set_output, output)

static const struct option_row {
    const char *name;
    bool arg;
    opt_fn fn;
    const char *help;
} options[] = {
    {"--algo", true, set_algo, "a,b,...   algorithms (default: all available)"},
    {"--desc", true, set_desc, "D         a benchdnn descriptor (repeatable)"},
    {"--shapes", true, set_shapes,
     "FILE|SET  shape file or named set (repeatable)"},
    {"--sweep", true, set_sweep, "COUNT     add COUNT random valid problems"},
    {"--seed", true, set_seed, "S         seed of data and sweep (default 1)"},
    {"--mb", true, set_mb, "N         override every problem's batch"},
    {"--bias", true, set_bias,
     "0|1       bias on descriptor problems (default 1)"},
    {"--threads", true, set_threads,
     "N         OpenMP/OpenBLAS/oneDNN threads (default: cores)"},
    {"--fill", true, set_fill,
     "int|real  data (default: int for verify, real for bench)"},
    {"--csv", true, set_csv, "FILE      write rows to FILE and FILE.meta.json"},
    {"--min-ms", true, set_min_ms,
     "MS        least total timed time (default 200)"},
    {"--min-reps", true, set_min_reps,
     "R         least timed runs (default 5)"},
    {"--cold-cache", false, set_cold,
     "          evict caches before each timed run"},
    {"--sgemm-ref", false, set_sgemm_ref,
     "          add sgemm rate of each problem's im2col GEMM shape"},
    {"--workspace-cap", true, set_ws_cap,
     "BYTES     most an algorithm's plan may hold (default 2G)"},
    {"--mem-cap", true, set_mem_cap,
     "BYTES     most the harness's tensors may take (default 8G)"},
    {"--fft-effort", true, set_effort,
     "E         estimate|measure|patient (default estimate)"},
    {"--fft-wisdom", true, set_wisdom,
     "FILE|none FFTW wisdom cache (default ~/.cache/convbench/fftwf.wisdom)"},
    {"--quiet", false, set_quiet, "          no table on stdout"},
    {"--input", true, set_input, "x.npy     (exec) input"},
    {"--weights", true, set_weights, "w.npy     (exec) weights"},
    {"--bias-npy", true, set_bias_path,
     "b.npy     (exec) bias; also spelled --bias FILE in exec"},
    {"--output", true, set_output, "y.npy     (exec) output"},
};
#define NOPTIONS (int)(sizeof options / sizeof options[0])

static void print_help(void)
{
    printf("convbench: verify and benchmark convolution algorithms\n\n"
           "  convbench list [--shapes S|--desc D]\n"
           "  convbench verify [opts]\n"
           "  convbench bench [opts]\n"
           "  convbench exec --algo A --desc D --input x.npy --weights w.npy "
           "[--bias b.npy] --output y.npy\n"
           "  convbench compare BASELINE.csv CURRENT.csv [--threshold F] "
           "[--noise K]\n"
           "                    [--no-normalize] [--all]\n"
           "  convbench gbench [opts] [-- google-benchmark flags]\n\n"
           "options:\n");
    for (int i = 0; i < NOPTIONS; i++)
        printf("  %-16s %s\n", options[i].name, options[i].help);
    printf("\nexit codes: 0 ok, 1 verification failed, 2 usage or input "
           "error, 3 algorithm does not support the problem (exec)\n");
}

static void default_wisdom(char *out, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[4000];
    out[0] = 0;
    if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/convbench", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.cache/convbench", home);
    else
        return;
    char parent[4000];
    snprintf(parent, sizeof parent, "%s", dir);
    *strrchr(parent, '/') = 0;
    mkdir(parent, 0755);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return;
    snprintf(out, len, "%s/fftwf.wisdom", dir);
}

static int parse_opts(opts *o, int argc, char **argv, bool is_exec)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            o->rest_argc = argc - i - 1;
            o->rest_argv = argv + i + 1;
            break;
        }
        /* exec spells the bias file --bias, as DESIGN §5 shows. */
        if (is_exec && strcmp(a, "--bias") == 0) a = "--bias-npy";
        int k = 0;
        while (k < NOPTIONS && strcmp(options[k].name, a) != 0) k++;
        if (k == NOPTIONS) return usage_error("unknown option '%s'%s", a, "");
        const char *v = NULL;
        if (options[k].arg) {
            if (i + 1 >= argc) return usage_error("%s needs a value%s", a, "");
            v = argv[++i];
        }
        int rc = options[k].fn(o, v);
        if (rc) return rc;
    }
    return 0;
}

/* ---- rows and the CSV --------------------------------------------------- */

typedef struct row {
    const char *algo, *status;
    char impl[96], desc[256], reason[256];
    conv_problem p;
    int threads, reps;
    double plan_ms, min_ms, median_ms, mean_ms, stddev_ms, gflops;
    size_t workspace;
    double max_abs, max_rel, tol, sgemm_gflops, sgemm_frac;
} row;

typedef enum { T_STR, T_CHARS, T_INT, T_BOOL, T_F3, T_G, T_SIZE } col_type;
static const struct column {
    const char *name;
    col_type type;
    size_t off;
} columns[] = {
#define C(n, t, f)                                                             \
    {                                                                          \
        n, t, offsetof(row, f)                                                 \
    }
    C("algo", T_STR, algo),
    C("impl", T_CHARS, impl),
    C("name", T_CHARS, p.name),
    C("desc", T_CHARS, desc),
    C("n", T_INT, p.n),
    C("g", T_INT, p.g),
    C("ic", T_INT, p.ic),
    C("ih", T_INT, p.ih),
    C("iw", T_INT, p.iw),
    C("oc", T_INT, p.oc),
    C("oh", T_INT, p.oh),
    C("ow", T_INT, p.ow),
    C("kh", T_INT, p.kh),
    C("kw", T_INT, p.kw),
    C("sh", T_INT, p.sh),
    C("sw", T_INT, p.sw),
    C("pt", T_INT, p.pt),
    C("pb", T_INT, p.pb),
    C("pl", T_INT, p.pl),
    C("pr", T_INT, p.pr),
    C("dil_h", T_INT, p.dh),
    C("dil_w", T_INT, p.dw),
    C("bias", T_BOOL, p.bias),
    C("threads", T_INT, threads),
    C("status", T_STR, status),
    C("reason", T_CHARS, reason),
    C("plan_ms", T_F3, plan_ms),
    C("min_ms", T_F3, min_ms),
    C("median_ms", T_F3, median_ms),
    C("mean_ms", T_F3, mean_ms),
    C("stddev_ms", T_F3, stddev_ms),
    C("reps", T_INT, reps),
    C("gflops", T_F3, gflops),
    C("workspace_bytes", T_SIZE, workspace),
    C("max_abs_err", T_G, max_abs),
    C("max_rel_err", T_G, max_rel),
    C("tolerance", T_G, tol),
    /* Beyond DESIGN §7's fixed columns: */
    C("sgemm_gflops", T_F3, sgemm_gflops),
    C("sgemm_frac", T_F3, sgemm_frac),
#undef C
};
#define NCOLUMNS (int)(sizeof columns / sizeof columns[0])

static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('"', f);
}

static void csv_row(FILE *f, const row *r)
{
    for (int i = 0; i < NCOLUMNS; i++) {
        const void *at = (const char *)r + columns[i].off;
        if (i) fputc(',', f);
        switch (columns[i].type) {
        case T_STR:
            csv_str(f, *(const char *const *)at);
            break;
        case T_CHARS:
            csv_str(f, (const char *)at);
            break;
        case T_INT:
            fprintf(f, "%d", *(const int *)at);
            break;
        case T_BOOL:
            fprintf(f, "%d", *(const bool *)at ? 1 : 0);
            break;
        case T_SIZE:
            fprintf(f, "%zu", *(const size_t *)at);
            break;
        case T_F3:
        case T_G: {
            double d = *(const double *)at;
            if (isnan(d)) break; /* empty: not measured */
            fprintf(f, columns[i].type == T_F3 ? "%.4f" : "%.3g", d);
            break;
        }
        }
    }
    fputc('\n', f);
}

/* The CSV is written to a temporary file and renamed at the end. */
typedef struct csv_out {
    FILE *f;
    char tmp[4200];
} csv_out;

static int csv_open(csv_out *c, const char *path)
{
    snprintf(c->tmp, sizeof c->tmp, "%s.tmpXXXXXX", path);
    int fd = conv_mkstemp(c->tmp);
    c->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!c->f) {
        if (fd >= 0) close(fd), unlink(c->tmp);
        fprintf(stderr, "convbench: --csv: cannot create %s: %s\n", path,
                strerror(errno));
        return CONV_EXIT_USAGE;
    }
    for (int i = 0; i < NCOLUMNS; i++)
        fprintf(c->f, "%s%s", i ? "," : "", columns[i].name);
    fputc('\n', c->f);
    return 0;
}

static int csv_close(csv_out *c, const char *path, bool keep)
{
    char err[600];
    if (!c->f) return 0;
    if (!keep) fclose(c->f), c->f = NULL; /* commit then only removes tmp */
    conv_status st = conv_file_commit(c->f, c->tmp, path, err, sizeof err);
    c->f = NULL;
    if (keep && st) {
        fprintf(stderr, "convbench: --csv: %s\n", err);
        return CONV_EXIT_USAGE;
    }
    return 0;
}

/* The run settings every plan() gets; why may be NULL. */
static conv_ctx make_ctx(const opts *o, char *why, size_t len)
{
    return (conv_ctx){.threads = o->threads,
                      .workspace_cap = o->ws_cap,
                      .fft_effort = o->effort,
                      .fft_wisdom = o->wisdom[0] ? o->wisdom : NULL,
                      .why = why,
                      .why_len = len};
}

/* ---- one algorithm on one problem --------------------------------------- */

typedef struct problem_data {
    conv_problem p;
    float *x, *w, *b, *y;
    double *yref, *mag;
    double *times;
    int times_cap;
} problem_data;

static void free_data(problem_data *d)
{
    free(d->x), free(d->w), free(d->b), free(d->y);
    free(d->yref), free(d->mag);
    d->x = d->w = d->b = d->y = NULL;
    d->yref = d->mag = NULL;
}

static conv_status alloc_data(problem_data *d, const conv_problem *p,
                              conv_fill fill, unsigned long long seed)
{
    free_data(d);
    d->p = *p;
    size_t xe = conv_x_elems(p), we = conv_w_elems(p), ye = conv_y_elems(p);
    d->x = malloc(xe * sizeof(float));
    d->w = malloc(we * sizeof(float));
    d->b = malloc((size_t)p->oc * sizeof(float));
    d->y = malloc(ye * sizeof(float));
    d->yref = malloc(ye * sizeof(double));
    d->mag = malloc(ye * sizeof(double));
    if (!d->x || !d->w || !d->b || !d->y || !d->yref || !d->mag) {
        free_data(d);
        return CONV_NOMEM;
    }
    conv_fill_tensors(p, fill, seed, d->x, d->w, d->b);
    conv_reference(p, d->x, d->w, p->bias ? d->b : NULL, d->yref, d->mag);
    return CONV_OK;
}

/* DESIGN §4: |y - ref| / (sum of |x*w| over the taps + |b|); where that sum
 * is 0 the output must equal the reference exactly. NaN never passes. */
static void check_output(const problem_data *d, bool bit_exact, row *r)
{
    const size_t ye = conv_y_elems(&d->p);
    double max_abs = 0, max_rel = 0;
    for (size_t i = 0; i < ye; i++) {
        double y = d->y[i], ref = d->yref[i], e = fabs(y - ref);
        if (bit_exact && d->y[i] != (float)ref) e = e > 0 ? e : INFINITY;
        if (isnan(y)) e = INFINITY;
        double rel = d->mag[i] > 0 ? e / d->mag[i] : (e > 0 ? INFINITY : 0);
        if (bit_exact && e > 0) rel = INFINITY;
        if (e > max_abs) max_abs = e;
        if (rel > max_rel) max_rel = rel;
    }
    r->max_abs = max_abs;
    r->max_rel = max_rel;
}

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

static conv_status time_runs(const opts *o, const conv_algo *a, conv_plan *pl,
                             problem_data *d, row *r)
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

static const char *status_name(conv_status s)
{
    static const char *names[] = {"OK", "INVALID", "UNSUPPORTED", "NOMEM",
                                  "BACKEND"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s]
                                                        : "UNKNOWN STATUS";
}

static void run_one(const opts *o, bool timed, const conv_algo *a,
                    problem_data *d, const conv_ctx *ctx0, row *r)
{
    char why[256] = "";
    conv_ctx ctx = *ctx0;
    ctx.why = why;
    ctx.why_len = sizeof why;
    conv_plan *pl = NULL;
    snprintf(r->impl, sizeof r->impl, "%s", a->name);
    if (a->supports(&d->p, why, sizeof why) != CONV_OK) {
        r->status = "UNSUPPORTED";
        snprintf(r->reason, sizeof r->reason, "%s", why);
        return;
    }
    double t0 = conv_now_ms();
    conv_status st = a->plan(&d->p, d->w, d->p.bias ? d->b : NULL, &ctx, &pl);
    r->plan_ms = conv_now_ms() - t0;
    if (st != CONV_OK) {
        /* A plan over the workspace cap is a "can't", not a "wrong". */
        r->status = st == CONV_NOMEM || st == CONV_UNSUPPORTED ? "UNSUPPORTED"
                                                               : "ERROR";
        snprintf(r->reason, sizeof r->reason, "plan: %s: %s", status_name(st),
                 why[0] ? why : "no reason given");
        a->destroy(pl);
        return;
    }
    if (a->impl && a->impl(pl))
        snprintf(r->impl, sizeof r->impl, "%s", a->impl(pl));
    r->workspace = a->workspace_bytes(pl);
    const size_t ye = conv_y_elems(&d->p);
    for (size_t i = 0; i < ye; i++) d->y[i] = NAN;
    /* A layout-native algorithm converts outside execute() and the timing. */
    const char *step;
    if ((st = conv_run_once(a, pl, d->x, d->y, &step)) != CONV_OK) {
        r->status = "ERROR";
        snprintf(r->reason, sizeof r->reason, "%s: %s", step, status_name(st));
        goto cleanup;
    }
    const bool bit_exact =
        a->exact && o->fill == CONV_FILL_INT && conv_fill_is_exact(&d->p);
    r->tol = bit_exact ? 0 : a->tolerance;
    check_output(d, bit_exact, r);
    if (!(r->max_rel <= r->tol)) {
        r->status = "FAILED";
        snprintf(r->reason, sizeof r->reason,
                 bit_exact
                     ? "not bit-exact under int fill (max_abs_err %.3g)"
                     : "max_rel_err %.3g over tolerance (max_abs_err %.3g)",
                 bit_exact ? r->max_abs : r->max_rel, r->max_abs);
        goto cleanup;
    }
    r->status = "PASSED";
    if (timed && (st = time_runs(o, a, pl, d, r)) != CONV_OK) {
        r->status = "ERROR";
        snprintf(r->reason, sizeof r->reason, "timed execute: %s",
                 status_name(st));
    }
cleanup:
    a->destroy(pl);
}

/* ---- verify / bench ------------------------------------------------------ */

static void init_row(row *r, const char *algo, const conv_shape *s, int threads)
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
}

static void print_row(const row *r)
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

static int run_rows(opts *o, int argc, char **argv, bool timed)
{
    int counts[4] = {0}; /* passed, failed, unsupported, error */
    int rc = 0, total = o->shapes.n * o->nalgos, done = 0;
    const bool progress = isatty(2) && !o->quiet;
    problem_data d = {0};
    csv_out csv = {0};
    if (o->csv && (rc = csv_open(&csv, o->csv))) return rc;
    conv_ctx ctx = make_ctx(o, NULL, 0);
    double yardstick =
        timed || o->csv ? conv_sgemm_gflops(1024, 1024, 1024, 100) : 0;
    if (o->cold_cache && !cold_buf) {
        cold_buf = calloc(COLD_BYTES, 1);
        if (!cold_buf) {
            fprintf(stderr, "convbench: --cold-cache: out of memory\n");
            csv_close(&csv, o->csv, false);
            return CONV_EXIT_USAGE;
        }
    }
    if (!o->quiet)
        printf("%-14s %-11s %10s %9s %9s  %s\n", "algo", "status", "median_ms",
               "GFLOP/s", "rel_err", "problem  [impl] / -- reason");
    for (int i = 0; i < o->shapes.n; i++) {
        const conv_shape *s = &o->shapes.v[i];
        bool have_data = false;
        if (s->st == CONV_OK) {
            if (alloc_data(&d, &s->p, o->fill, o->seed) != CONV_OK) {
                fprintf(stderr, "convbench: out of memory for %s\n", s->text);
            } else {
                have_data = true;
            }
        }
        /* A problem's rows are kept until its sgemm reference is timed,
         * after the algorithms: idle OpenBLAS workers must not steal the
         * first timed runs of an OpenMP algorithm. */
        row rows[MAX_ALGOS];
        for (int k = 0; k < o->nalgos; k++) {
            row *r = &rows[k];
            init_row(r, o->algos[k]->name, s, o->threads);
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
                run_one(o, timed, o->algos[k], &d, &ctx, r);
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
            row *r = &rows[k];
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
            if (csv.f) csv_row(csv.f, r);
        }
        fflush(stdout);
    }
    free_data(&d);
    free(d.times);
    printf("%s: %d rows: %d passed, %d failed, %d unsupported, %d errors "
           "(%d threads, fill %s, BLAS core %s)\n",
           timed ? "bench" : "verify",
           counts[0] + counts[1] + counts[2] + counts[3], counts[0], counts[1],
           counts[2], counts[3], o->threads,
           o->fill == CONV_FILL_INT ? "int" : "real", conv_blas_core());
    if (o->csv) {
        char err[512];
        if ((rc = csv_close(&csv, o->csv, true))) return rc;
        if (conv_meta_write(o->csv, argc, argv, o->threads, yardstick,
                            o->fill == CONV_FILL_INT ? "int" : "real", o->seed,
                            err, sizeof err)) {
            fprintf(stderr, "convbench: %s\n", err);
            return CONV_EXIT_USAGE;
        }
    }
    return counts[1] || counts[3] ? CONV_EXIT_FAIL : CONV_EXIT_OK;
}

/* ---- exec --------------------------------------------------------------- */

static int run_exec(opts *o)
{
    char err[600] = "";
    float *x = NULL, *w = NULL, *b = NULL, *y = NULL;
    conv_plan *pl = NULL;
    int rc = CONV_EXIT_USAGE;
    if (o->nalgos != 1)
        return usage_error("exec: give exactly one --algo%s", "", "");
    if (o->shapes.n != 1)
        return usage_error("exec: give exactly one --desc%s", "", "");
    if (o->shapes.v[0].st != CONV_OK) {
        fprintf(stderr, "convbench: exec: %s\n", o->shapes.v[0].why);
        return CONV_EXIT_UNSUPPORTED;
    }
    if (!o->input || !o->weights || !o->output)
        return usage_error(
            "exec: --input, --weights and --output are required%s", "", "");
    const conv_algo *a = o->algos[0];
    conv_problem p = o->shapes.v[0].p; /* --mb already applied in main() */
    p.bias = o->bias_path != NULL;
    size_t xd[4], wd[4], yd[4], bd[4];
    const int nd = conv_tensor_dims(&p, CONV_X, xd);
    conv_tensor_dims(&p, CONV_W, wd);
    conv_tensor_dims(&p, CONV_Y, yd);
    conv_tensor_dims(&p, CONV_B, bd);
    if (conv_npy_read(o->input, nd, xd, &x, err, sizeof err) ||
        conv_npy_read(o->weights, nd, wd, &w, err, sizeof err) ||
        (p.bias && conv_npy_read(o->bias_path, 1, bd, &b, err, sizeof err))) {
        fprintf(stderr, "convbench: exec: %s\n", err);
        goto cleanup;
    }
    char why[256] = "";
    conv_ctx ctx = make_ctx(o, why, sizeof why);
    conv_status st = a->supports(&p, why, sizeof why);
    if (st == CONV_OK) st = a->plan(&p, w, b, &ctx, &pl);
    if (st != CONV_OK) {
        fprintf(stderr, "convbench: exec: %s: %s: %s\n", a->name,
                status_name(st), why[0] ? why : "no reason given");
        rc = st == CONV_UNSUPPORTED || st == CONV_NOMEM ? CONV_EXIT_UNSUPPORTED
                                                        : CONV_EXIT_FAIL;
        goto cleanup;
    }
    size_t ye = conv_y_elems(&p);
    y = malloc(ye * sizeof *y);
    if (!y) {
        fprintf(stderr, "convbench: exec: out of memory\n");
        goto cleanup;
    }
    for (size_t i = 0; i < ye; i++) y[i] = NAN;
    const char *step;
    if ((st = conv_run_once(a, pl, x, y, &step)) != CONV_OK) {
        fprintf(stderr, "convbench: exec: %s: %s: %s\n", a->name, step,
                status_name(st));
        rc = CONV_EXIT_FAIL;
        goto cleanup;
    }
    if (conv_npy_write(o->output, nd, yd, y, err, sizeof err)) {
        fprintf(stderr, "convbench: exec: %s\n", err);
        goto cleanup;
    }
    rc = CONV_EXIT_OK;
cleanup:
    if (pl) a->destroy(pl);
    free(x), free(w), free(b), free(y);
    return rc;
}

/* ---- list -----------------------------------------------------------------
 */

static int run_list(opts *o)
{
    printf("algorithms:\n");
    for (int i = 0; i < conv_algo_count; i++)
        printf("  %-14s %s\n", conv_algos[i].name,
               conv_algos[i].algo ? "available" : conv_algos[i].missing);
    printf("BLAS core: %s\n", conv_blas_core());
    for (int i = 0; i < o->shapes.n; i++) {
        const conv_shape *s = &o->shapes.v[i];
        char desc[256], why[256];
        if (s->st != CONV_OK) {
            printf("%s\n  UNSUPPORTED: %s\n", s->text, s->why);
            continue;
        }
        conv_desc_format(&s->p, desc, sizeof desc);
        printf("%s\n  supported by:", desc);
        for (int k = 0; k < conv_algo_count; k++) {
            const conv_algo *a = conv_algos[k].algo;
            if (a && a->supports(&s->p, why, sizeof why) == CONV_OK)
                printf(" %s", a->name);
        }
        printf("\n");
    }
    return 0;
}

/* ---- the BLAS core ---------------------------------------------------------
 * OpenBLAS 0.3.21 does not know AMD Zen 4/5, nor CPUs a VM disguises, and
 * then falls back to Haswell or even Prescott kernels: half the AVX-512 speed
 * or worse. When the CPU can run a better kernel set than the one picked and
 * the user did not choose, re-run ourselves with OPENBLAS_CORETYPE set: the
 * library reads it only when it loads. */
static const struct blas_tier {
    const char *coretype; /* what we ask for */
    const char *needs[4]; /* CPU features it needs */
    const char *good[4];  /* cores already at least as fast */
} blas_tiers[] = {
    {"SkylakeX",
     {"avx512f", "avx512bw", "avx512vl", "avx512dq"},
     {"SkylakeX", "CooperLake", "SapphireRapids", NULL}},
    {"Haswell",
     {"avx2", "fma", NULL},
     {"Haswell", "Zen", "SkylakeX", "CooperLake"}},
};

static bool cpu_has(const char *feature)
{
#define F(x)                                                                   \
    if (!strcmp(feature, #x)) return __builtin_cpu_supports(#x);
    F(avx512f)
    F(avx512bw)
    F(avx512vl)
    F(avx512dq) F(avx2) F(fma)
#undef F
        return false;
}

/* Idle OpenBLAS workers spin for 2^28 cycles by default and then compete
 * with the OpenMP threads of the next algorithm (or the harness): on 2
 * cores that turned sub-ms medians into multiples of the scheduler's
 * time slice. 2^4 cycles lets them sleep at once. */
#define BLAS_THREAD_TIMEOUT "4"

static void fix_blas_env(char **argv)
{
#ifdef CONV_HAVE_OPENBLAS
    bool changed = false;
    if (!getenv("OPENBLAS_THREAD_TIMEOUT")) {
        setenv("OPENBLAS_THREAD_TIMEOUT", BLAS_THREAD_TIMEOUT, 1);
        changed = true;
    }
    const char *core = conv_blas_core();
    for (size_t t = 0; !getenv("OPENBLAS_CORETYPE") &&
                       t < sizeof blas_tiers / sizeof blas_tiers[0];
         t++) {
        const struct blas_tier *b = &blas_tiers[t];
        bool can = true, already = false;
        for (int i = 0; i < 4 && b->needs[i]; i++) can &= cpu_has(b->needs[i]);
        for (int i = 0; i < 4 && b->good[i]; i++)
            already |= !strcasecmp(core, b->good[i]);
        if (!can) continue;
        if (!already) {
            setenv("OPENBLAS_CORETYPE", b->coretype, 1);
            changed = true;
        }
        break;
    }
    /* The library reads both only when it loads: run ourselves again. */
    if (changed) execv("/proc/self/exe", argv);
#else
    (void)argv;
#endif
}

/* ---- main -----------------------------------------------------------------
 */

static const struct command {
    const char *name;
    int kind; /* 0 list, 1 verify, 2 bench, 3 exec, 4 gbench */
} commands[] = {
    {"list", 0}, {"verify", 1}, {"bench", 2}, {"exec", 3}, {"gbench", 4}};

int main(int argc, char **argv)
{
    fix_blas_env(argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_help();
        return argc < 2 ? CONV_EXIT_USAGE : CONV_EXIT_OK;
    }
    if (!strcmp(argv[1], "compare")) {
        if (!conv_compare_main)
            return usage_error("compare: not built%s", "", "");
        return conv_compare_main(argc - 1, argv + 1);
    }
    int kind = -1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) kind = commands[i].kind;
    if (kind < 0) return usage_error("unknown command '%s'%s", argv[1], "");

    opts o = {.threads = omp_get_num_procs(),
              .seed = 1,
              .min_ms = 200,
              .min_reps = 5,
              .bias = 1,
              .ws_cap = 2 * GIB,
              .mem_cap = 8 * GIB};
    default_wisdom(o.wisdom, sizeof o.wisdom);
    int rc = parse_opts(&o, argc - 2, argv + 2, kind == 3);
    if (rc) goto done;
    if (!o.fill_set) o.fill = kind == 2 ? CONV_FILL_REAL : CONV_FILL_INT;
    if (!o.algos_set && (rc = set_algo(&o, "all"))) goto done;
    if (o.sweep && conv_shapes_sweep(&o.shapes, o.sweep, o.seed, o.mem_cap)) {
        rc = usage_error("--sweep: out of memory%s", "", "");
        goto done;
    }
    if (o.rest_argc && kind != 4) {
        rc = usage_error("'--' is only for gbench%s", "", "");
        goto done;
    }
    conv_set_threads(o.threads);
    for (int i = 0; i < o.shapes.n; i++) {
        conv_problem *p = &o.shapes.v[i].p;
        if (o.mb) p->n = o.mb;
        if (!o.shapes.v[i].random_bias) p->bias = o.bias;
        /* --mb and sizes can push a problem over the memory cap. */
        char err[512];
        if (o.shapes.v[i].st == CONV_OK &&
            conv_problem_check(p, o.mem_cap, err, sizeof err)) {
            rc = usage_error("%s: %s", o.shapes.v[i].text, err);
            goto done;
        }
    }
    if (kind == 0) {
        rc = run_list(&o);
    } else if (kind == 3) {
        rc = run_exec(&o);
    } else if (!o.shapes.n) {
        rc = usage_error("no problems: give --desc, --shapes or --sweep%s", "",
                         "");
    } else if (kind == 4) {
        conv_ctx ctx = make_ctx(&o, NULL, 0);
        rc = conv_gbench_run
                 ? conv_gbench_run(o.algos, o.nalgos, &o.shapes, &ctx, o.fill,
                                   o.seed, o.rest_argc, o.rest_argv)
                 : usage_error("gbench: built without Google "
                               "Benchmark%s",
                               "", "");
    } else {
        rc = run_rows(&o, argc, argv, kind == 2);
    }
done:
    conv_shapes_free(&o.shapes);
    free((void *)cold_buf);
    return rc;
}
