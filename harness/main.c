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

#define GIB ((size_t)1 << 30)
#ifdef CONV_WHY_BENCHMARK
#define CONV_GBENCH_WHY CONV_WHY_BENCHMARK
#else
#define CONV_GBENCH_WHY "not linked"
#endif

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

typedef int (*opt_fn)(conv_opts *o, const char *v);

static int set_algo(conv_opts *o, const char *v)
{
    char buf[1024];
    if (strlen(v) >= sizeof buf)
        return usage_error("--algo: list too long%s", "", "");
    snprintf(buf, sizeof buf, "%s", v);
    o->algos_set = true;
    for (char *save, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "all") == 0) {
            for (int i = 0; i < conv_algo_count && o->nalgos < CONV_MAX_ALGOS;
                 i++)
                if (conv_algos[i].algo)
                    o->algos[o->nalgos++] = conv_algos[i].algo;
            for (int i = 0; i < conv_plugin_count(); i++)
                if (o->nalgos < CONV_MAX_ALGOS)
                    o->algos[o->nalgos++] = conv_plugin_algo(i);
            continue;
        }
        const char *missing;
        const conv_algo *a = conv_algo_lookup(t, &missing);
        if (!a && !missing)
            return usage_error("--algo: unknown algorithm '%s'%s", t, "");
        if (!a) return usage_error("--algo: '%s' is %s", t, missing);
        if (o->nalgos == CONV_MAX_ALGOS)
            return usage_error("--algo: too many%s", "", "");
        o->algos[o->nalgos++] = a;
    }
    if (!o->nalgos) return usage_error("--algo: empty list%s", "", "");
    return 0;
}
static int set_desc(conv_opts *o, const char *v)
{
    char err[512];
    if (conv_shapes_add_desc(&o->shapes, v, o->mem_cap, err, sizeof err))
        return usage_error("--desc: %s%s", err, "");
    return 0;
}
static int set_shapes(conv_opts *o, const char *v)
{
    char err[1024];
    if (conv_shapes_load(&o->shapes, v, o->mem_cap, err, sizeof err))
        return usage_error("--shapes: %s%s", err, "");
    return 0;
}
#define INT_OPT(fn, opt, field, lo, hi, what)                                  \
    static int fn(conv_opts *o, const char *v)                                 \
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
static int set_seed(conv_opts *o, const char *v)
{
    long long x;
    if (!parse_int(v, 0, LLONG_MAX, &x))
        return usage_error("--seed: '%s' is not a non-negative integer%s", v,
                           "");
    o->seed = (unsigned long long)x;
    return 0;
}
static int set_min_ms(conv_opts *o, const char *v)
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
/* A number in [lo, hi]: --ci and --max-ms. */
#define REAL_OPT(fn, opt, field, lo, hi, what)                                 \
    static int fn(conv_opts *o, const char *v)                                 \
    {                                                                          \
        char *end;                                                             \
        errno = 0;                                                             \
        double x = strtod(v, &end);                                            \
        if (end == v || *end || errno || !(x >= lo && x <= hi))                \
            return usage_error("%s: '%s' is not " what, opt, v);               \
        o->field = x;                                                          \
        return 0;                                                              \
    }
REAL_OPT(set_ci, "--ci", ci, 0, 1, "a fraction in [0, 1]")
REAL_OPT(set_max_ms, "--max-ms", max_ms, 1, 3.6e6,
         "a number of ms in [1, 3.6e6]")
static int set_progress(conv_opts *o, const char *v)
{
    (void)v;
    o->progress = true;
    return 0;
}
static int set_fill(conv_opts *o, const char *v)
{
    if (strcmp(v, "int") && strcmp(v, "real"))
        return usage_error("--fill: '%s' is not int or real%s", v, "");
    o->fill = strcmp(v, "int") ? CONV_FILL_REAL : CONV_FILL_INT;
    o->fill_set = true;
    return 0;
}
static int set_csv(conv_opts *o, const char *v)
{
    o->csv = v;
    return 0;
}
static int set_ws_cap(conv_opts *o, const char *v)
{
    if (!parse_bytes(v, &o->ws_cap))
        return usage_error(
            "--workspace-cap: '%s' is not a byte count (e.g. 512M, 2G)%s", v,
            "");
    return 0;
}
static int set_mem_cap(conv_opts *o, const char *v)
{
    if (!parse_bytes(v, &o->mem_cap) || !o->mem_cap)
        return usage_error(
            "--mem-cap: '%s' is not a byte count (e.g. 512M, 8G)%s", v, "");
    return 0;
}
static int set_effort(conv_opts *o, const char *v)
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
static int set_wisdom(conv_opts *o, const char *v)
{
    snprintf(o->wisdom, sizeof o->wisdom, "%s", strcmp(v, "none") ? v : "");
    return 0;
}
static int set_cold(conv_opts *o, const char *v)
{
    (void)v;
    o->cold_cache = true;
    return 0;
}
static int set_sgemm_ref(conv_opts *o, const char *v)
{
    (void)v;
    o->sgemm_ref = true;
    return 0;
}
static int set_breakdown(conv_opts *o, const char *v)
{
    (void)v;
    o->breakdown = true;
    return 0;
}
static int set_quiet(conv_opts *o, const char *v)
{
    (void)v;
    o->quiet = true;
    return 0;
}
static int set_isolate(conv_opts *o, const char *v)
{
    (void)v;
    o->isolate = 1;
    return 0;
}
static int set_no_isolate(conv_opts *o, const char *v)
{
    (void)v;
    o->isolate = -1;
    return 0;
}
static int set_row_timeout(conv_opts *o, const char *v)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x > 0 && x <= 1e6))
        return usage_error(
            "--row-timeout: '%s' is not a number of seconds in (0, 1e6]%s", v,
            "");
    o->row_timeout = x;
    return 0;
}
static int set_plugin(conv_opts *o, const char *v)
{
    (void)o, (void)v; /* loaded ahead of the other options, in parse_opts */
    return 0;
}
#define PATH_OPT(fn, field)                                                    \
    static int fn(conv_opts *o, const char *v)                                 \
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
     "MS        least total timed time (default 200 with --ci 0, else 0)"},
    {"--min-reps", true, set_min_reps,
     "R         least timed runs (default 5)"},
    {"--ci", true, set_ci,
     "F         stop timing once the median's 95% interval is within +-F\n"
     "                             (default 0.02; 0: the fixed --min-ms loop)"},
    {"--max-ms", true, set_max_ms,
     "MS        most timed time of the --ci loop past --min-reps (default "
     "200)"},
    {"--progress", false, set_progress,
     "          progress on stderr even when it is not a terminal"},
    {"--cold-cache", false, set_cold,
     "          evict caches before each timed run"},
    {"--sgemm-ref", false, set_sgemm_ref,
     "          add sgemm rate of each problem's im2col GEMM shape"},
    {"--breakdown", false, set_breakdown,
     "          (bench) then time execute's phases: phase_*_ms columns"},
    {"--workspace-cap", true, set_ws_cap,
     "BYTES     most an algorithm's plan may hold (default 2G)"},
    {"--mem-cap", true, set_mem_cap,
     "BYTES     most the harness's tensors may take (default 8G)"},
    {"--fft-effort", true, set_effort,
     "E         estimate|measure|patient (default estimate)"},
    {"--fft-wisdom", true, set_wisdom,
     "FILE|none FFTW wisdom cache (default ~/.cache/convbench/fftwf.wisdom)"},
    {"--quiet", false, set_quiet, "          no table on stdout"},
    {"--plugin", true, set_plugin,
     "FILE.so   load the algorithms of a plugin (repeatable)"},
    {"--isolate", false, set_isolate,
     "          run every row in a child process (crash/hang: ERROR row)"},
    {"--no-isolate", false, set_no_isolate,
     "          run plugin rows in-process too (default: isolated)"},
    {"--row-timeout", true, set_row_timeout,
     "S         seconds an isolated row may take (default 60)"},
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
           "  convbench list [--plugin F.so] [--shapes S|--desc D]\n"
           "  convbench verify [conv_opts]\n"
           "  convbench bench [conv_opts]\n"
           "  convbench exec --algo A --desc D --input x.npy --weights w.npy "
           "[--bias b.npy] --output y.npy\n"
           "  convbench compare BASELINE.csv CURRENT.csv [--threshold F] "
           "[--noise K]\n"
           "                    [--no-normalize] [--all]\n"
           "  convbench summary RESULTS.csv [--per-layer] [--choice-out "
           "FILE] [--networks SET]\n"
           "  convbench gbench [conv_opts] [-- google-benchmark flags]\n"
           "  convbench selftest [--algo a,b]  (the verifier against its "
           "fault catalogue)\n\n"
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

static int parse_opts(conv_opts *o, int argc, char **argv, bool is_exec)
{
    int rc = conv_plugins_load_args(argc, argv);
    if (rc) return rc;
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
        if ((rc = options[k].fn(o, v))) return rc;
    }
    return 0;
}

/* ---- exec --------------------------------------------------------------- */

static int run_exec(conv_opts *o)
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
    conv_ctx ctx = conv_make_ctx(o, why, sizeof why);
    conv_status st = a->supports(&p, why, sizeof why);
    if (st == CONV_OK) st = a->plan(&p, w, b, &ctx, &pl);
    if (st != CONV_OK) {
        fprintf(stderr, "convbench: exec: %s: %s: %s\n", a->name,
                conv_status_name(st), why[0] ? why : "no reason given");
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
                conv_status_name(st));
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

static int run_list(conv_opts *o)
{
    printf("algorithms:\n");
    for (int i = 0; i < conv_algo_count; i++)
        printf("  %-14s %s\n", conv_algos[i].name,
               conv_algos[i].algo ? "available" : conv_algos[i].missing);
    for (int i = 0; i < conv_plugin_count(); i++)
        printf("  %-14s available plugin %s\n", conv_plugin_algo(i)->name,
               conv_plugin_file(conv_plugin_algo(i)->name));
    printf("commands:\n  gbench command: %s\n",
           conv_gbench_run ? "available"
                           : "compiled out: Google Benchmark " CONV_GBENCH_WHY);
    printf("BLAS core: %s\n", conv_blas_core());
    for (int i = 0; i < o->shapes.n; i++) {
        const conv_shape *s = &o->shapes.v[i];
        char desc[256], why[256];
        if (s->st != CONV_OK) {
            printf("%s\n  UNSUPPORTED: %s\n", s->text, s->why);
            continue;
        }
        conv_desc_format(&s->p, desc, sizeof desc);
        printf("%s\n", desc);
        if (s->count > 1) printf("  occurs %d times\n", s->count);
        printf("  supported by:");
        for (int k = 0; k < conv_algo_count + conv_plugin_count(); k++) {
            const conv_algo *a = k < conv_algo_count
                                     ? conv_algos[k].algo
                                     : conv_plugin_algo(k - conv_algo_count);
            if (a && a->supports(&s->p, why, sizeof why) == CONV_OK)
                printf(" %s", a->name);
        }
        printf("\n");
    }
    return 0;
}

/* ---- main -----------------------------------------------------------------
 */

static const struct command {
    const char *name;
    int kind; /* 0 list, 1 verify, 2 bench, 3 exec, 4 gbench, 5 selftest */
} commands[] = {{"list", 0}, {"verify", 1}, {"bench", 2},
                {"exec", 3}, {"gbench", 4}, {"selftest", 5}};

int main(int argc, char **argv)
{
    conv_fix_blas_env(argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_help();
        return argc < 2 ? CONV_EXIT_USAGE : CONV_EXIT_OK;
    }
    if (!strcmp(argv[1], "compare")) {
        if (!conv_compare_main)
            return usage_error("compare: not built%s", "", "");
        return conv_compare_main(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "summary"))
        return conv_summary_main(argc - 1, argv + 1);
    int kind = -1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) kind = commands[i].kind;
    if (kind < 0) return usage_error("unknown command '%s'%s", argv[1], "");

    conv_opts o = {.threads = omp_get_num_procs(),
                   .seed = 1,
                   .min_ms = -1, /* unset: timing.c picks */
                   .ci = 0.02,
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
    if (o.breakdown && kind != 2) {
        rc = usage_error("--breakdown is only for bench%s", "", "");
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
    } else if (kind == 5) {
        rc = conv_selftest(&o);
    } else if (!o.shapes.n) {
        rc = usage_error("no problems: give --desc, --shapes or --sweep%s", "",
                         "");
    } else if (kind == 4) {
        conv_ctx ctx = conv_make_ctx(&o, NULL, 0);
        rc = conv_gbench_run
                 ? conv_gbench_run(o.algos, o.nalgos, &o.shapes, &ctx, o.fill,
                                   o.seed, o.rest_argc, o.rest_argv)
                 : usage_error("gbench: Google Benchmark compiled out: %s%s",
                               CONV_GBENCH_WHY, "");
    } else {
        rc = conv_run_rows(&o, argc, argv, kind == 2);
    }
done:
    conv_shapes_free(&o.shapes);
    return rc;
}
