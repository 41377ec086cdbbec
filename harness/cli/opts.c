/* The option table of verify, bench, list, exec, gbench and selftest:
 * one row per option, parsed into the run settings (run/run.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

#define GIB ((size_t)1 << 30)

int conv_usage_error(const char *fmt, const char *a, const char *b)
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
        return conv_usage_error("--algo: list too long%s", "", "");
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
            return conv_usage_error("--algo: unknown algorithm '%s'%s", t, "");
        if (!a) return conv_usage_error("--algo: '%s' is %s", t, missing);
        if (o->nalgos == CONV_MAX_ALGOS)
            return conv_usage_error("--algo: too many%s", "", "");
        o->algos[o->nalgos++] = a;
    }
    if (!o->nalgos) return conv_usage_error("--algo: empty list%s", "", "");
    return 0;
}
static int set_desc(conv_opts *o, const char *v)
{
    char err[512];
    if (conv_shapes_add_desc(&o->shapes, v, o->mem_cap, err, sizeof err))
        return conv_usage_error("--desc: %s%s", err, "");
    return 0;
}
static int set_shapes(conv_opts *o, const char *v)
{
    char err[1024];
    if (conv_shapes_load(&o->shapes, v, o->mem_cap, err, sizeof err))
        return conv_usage_error("--shapes: %s%s", err, "");
    return 0;
}
#define INT_OPT(fn, opt, field, lo, hi, what)                                  \
    static int fn(conv_opts *o, const char *v)                                 \
    {                                                                          \
        long long x;                                                           \
        if (!parse_int(v, lo, hi, &x))                                         \
            return conv_usage_error("%s: '%s' is not " what, opt, v);          \
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
        return conv_usage_error("--seed: '%s' is not a non-negative integer%s",
                                v, "");
    o->seed = (unsigned long long)x;
    return 0;
}
static int set_min_ms(conv_opts *o, const char *v)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= 0 && x <= 3.6e6))
        return conv_usage_error(
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
            return conv_usage_error("%s: '%s' is not " what, opt, v);          \
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
        return conv_usage_error("--fill: '%s' is not int or real%s", v, "");
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
        return conv_usage_error(
            "--workspace-cap: '%s' is not a byte count (e.g. 512M, 2G)%s", v,
            "");
    return 0;
}
static int set_mem_cap(conv_opts *o, const char *v)
{
    if (!parse_bytes(v, &o->mem_cap) || !o->mem_cap)
        return conv_usage_error(
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
    return conv_usage_error(
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
        return conv_usage_error(
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
/* exec's .npy files by option; exec binds them to the roles whose
 * conv_role.npy names the option. */
static int set_npy(conv_opts *o, const char *opt, const char *v)
{
    int k = 0;
    while (k < o->nnpy && strcmp(o->npy[k].opt, opt)) k++;
    if (k == CONV_MAX_NPY) return conv_usage_error("%s: too many%s", opt, "");
    o->npy[k].opt = opt, o->npy[k].path = v;
    o->nnpy += k == o->nnpy;
    return 0;
}
#define NPY_OPT(fn, opt)                                                       \
    static int fn(conv_opts *o, const char *v)                                 \
    {                                                                          \
        return set_npy(o, opt, v);                                             \
    }
NPY_OPT(set_input, "--input")
NPY_OPT(set_weights, "--weights")
NPY_OPT(set_bias_path, "--bias")
NPY_OPT(set_output, "--output")
NPY_OPT(set_diff_dst, "--diff-dst")
NPY_OPT(set_output_bias, "--output-bias")

/* --shard I/N: 1 <= I <= N <= 10^5. */
static int set_shard(conv_opts *o, const char *v)
{
    int i, n, end = 0;
    if (sscanf(v, "%d/%d%n", &i, &n, &end) != 2 || v[end] || !isdigit(*v) ||
        i < 1 || n < i || n > 100000)
        return conv_usage_error(
            "--shard: '%s' is not I/N with 1 <= I <= N <= 100000%s", v, "");
    o->shard_i = i, o->shard_n = n;
    return 0;
}
static int set_resume(conv_opts *o, const char *v)
{
    (void)v;
    o->resume = true;
    return 0;
}

/* --dir a,b or all: the directions of a training step to run. */
static int set_dir(conv_opts *o, const char *v)
{
    char buf[256];
    if (strlen(v) >= sizeof buf)
        return conv_usage_error("--dir: list too long%s", "", "");
    snprintf(buf, sizeof buf, "%s", v);
    o->ndirs = 0;
    for (char *save, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        const int d = conv_dir_parse(t);
        if (strcmp(t, "all") && d < 0)
            return conv_usage_error(
                "--dir: '%s' is not fwd, bwd_d, bwd_w, bwd_wb or all%s", t, "");
        for (int k = d < 0 ? 0 : d; k < (d < 0 ? CONV_NDIRS : d + 1); k++) {
            for (int j = 0; j < o->ndirs; j++)
                if (o->dirs[j] == (conv_dir)k)
                    return conv_usage_error("--dir: '%s' given twice%s",
                                            conv_dirs[k].name, "");
            o->dirs[o->ndirs++] = (conv_dir)k;
        }
    }
    if (!o->ndirs) return conv_usage_error("--dir: empty list%s", "", "");
    o->dirs_set = true;
    return 0;
}

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
    {"--shard", true, set_shard,
     "I/N       only the I-th of N shards of the problems (balanced by FLOPs)"},
    {"--resume", false, set_resume,
     "          continue the --csv an interrupted run left (same options)"},
    {"--dir", true, set_dir,
     "D,...     fwd, bwd_d, bwd_w, bwd_wb or all (default fwd)"},
    {"--input", true, set_input, "x.npy     (exec) input"},
    {"--weights", true, set_weights, "w.npy     (exec) weights"},
    {"--bias-npy", true, set_bias_path,
     "b.npy     (exec) bias; also spelled --bias FILE in exec"},
    {"--output", true, set_output,
     "F.npy     (exec) output: y, dx (bwd_d) or dw (bwd_w, bwd_wb)"},
    {"--diff-dst", true, set_diff_dst, "dy.npy    (exec, backward) dy"},
    {"--output-bias", true, set_output_bias, "db.npy    (exec, bwd_wb) db"},
};
#define NOPTIONS (int)(sizeof options / sizeof options[0])

void conv_cli_help_options(void)
{
    for (int i = 0; i < NOPTIONS; i++)
        printf("  %-16s %s\n", options[i].name, options[i].help);
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
        /* exec spells the bias file --bias, as docs/design.md §5 shows. */
        if (is_exec && strcmp(a, "--bias") == 0) a = "--bias-npy";
        int k = 0;
        while (k < NOPTIONS && strcmp(options[k].name, a) != 0) k++;
        if (k == NOPTIONS)
            return conv_usage_error("unknown option '%s'%s", a, "");
        const char *v = NULL;
        if (options[k].arg) {
            if (i + 1 >= argc)
                return conv_usage_error("%s needs a value%s", a, "");
            v = argv[++i];
        }
        if ((rc = options[k].fn(o, v))) return rc;
    }
    return 0;
}

/* --mb, --bias and the memory cap applied to every problem. */
static int apply_to_problems(conv_opts *o)
{
    for (int i = 0; i < o->shapes.n; i++) {
        conv_problem *p = &o->shapes.v[i].p;
        if (o->mb) p->n = o->mb;
        if (!o->shapes.v[i].random_bias) p->bias = o->bias;
        /* --mb and sizes can push a problem over the memory cap. */
        char err[512];
        if (o->shapes.v[i].st == CONV_OK &&
            conv_problem_check(p, o->mem_cap, err, sizeof err))
            return conv_usage_error("%s: %s", o->shapes.v[i].text, err);
    }
    return 0;
}

int conv_cli_parse(conv_opts *o, conv_command cmd, int argc, char **argv)
{
    *o = (conv_opts){.threads = omp_get_num_procs(),
                     .seed = 1,
                     .min_ms = -1, /* unset: timing.c picks */
                     .ci = 0.02,
                     .min_reps = 5,
                     .bias = 1,
                     .ws_cap = 2 * GIB,
                     .mem_cap = 8 * GIB};
    default_wisdom(o->wisdom, sizeof o->wisdom);
    o->dirs[0] = CONV_DIR_FWD, o->ndirs = 1;
    int rc = parse_opts(o, argc, argv, cmd == CONV_CMD_EXEC);
    if (rc) return rc;
    if (!o->fill_set)
        o->fill = cmd == CONV_CMD_BENCH ? CONV_FILL_REAL : CONV_FILL_INT;
    if (!o->algos_set && (rc = set_algo(o, "all"))) return rc;
    if (o->sweep &&
        conv_shapes_sweep(&o->shapes, o->sweep, o->seed, o->mem_cap))
        return conv_usage_error("--sweep: out of memory%s", "", "");
    if (o->breakdown && cmd != CONV_CMD_BENCH)
        return conv_usage_error("--breakdown is only for bench%s", "", "");
    if (o->rest_argc && cmd != CONV_CMD_GBENCH)
        return conv_usage_error("'--' is only for gbench%s", "", "");
    const bool rows = cmd == CONV_CMD_VERIFY || cmd == CONV_CMD_BENCH;
    if (o->resume && (!rows || !o->csv))
        return conv_usage_error("--resume is for verify and bench with "
                                "--csv%s",
                                "", "");
    if ((rc = apply_to_problems(o))) return rc;
    o->problems = o->shapes.n;
    o->problems_hash = conv_shapes_hash(&o->shapes);
    if (o->shard_n &&
        conv_shapes_shard(&o->shapes, o->shard_i, o->shard_n) != CONV_OK)
        return conv_usage_error("--shard: out of memory%s", "", "");
    return 0;
}
