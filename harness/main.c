/* convbench: the commands (docs/design.md §5). Each is a row of the
 * table below; the stages do the work. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "selftest/selftest.h"
#include "tools/tools.h"

/* Filled in by gbench_shim.cc when Google Benchmark is built in. */
int conv_gbench_run(const conv_algo *const *algos, int nalgos,
                    const conv_dir *dirs, int ndirs,
                    const conv_shape_list *shapes, const conv_ctx *ctx,
                    conv_fill fill, unsigned long long seed, int argc,
                    char **argv) __attribute__((weak));

#ifdef CONV_WHY_BENCHMARK
#define CONV_GBENCH_WHY CONV_WHY_BENCHMARK
#else
#define CONV_GBENCH_WHY "not linked"
#endif

static void print_help(void)
{
    printf("convbench: verify and benchmark convolution algorithms\n\n"
           "  convbench list [--plugin F.so] [--shapes S|--desc D]\n"
           "  convbench verify [options]\n"
           "  convbench bench [options]\n"
           "  convbench exec --algo A --desc D --input x.npy --weights w.npy "
           "[--bias b.npy] --output y.npy\n"
           "  convbench compare BASELINE.csv CURRENT.csv [--threshold F] "
           "[--noise K]\n"
           "                    [--no-normalize] [--all]\n"
           "  convbench summary RESULTS.csv [--per-layer] [--choice-out "
           "FILE] [--networks SET]\n"
           "  convbench gbench [options] [-- google-benchmark flags]\n"
           "  convbench selftest [--algo a,b]  (the verifier against its "
           "fault catalogue)\n\n"
           "options:\n");
    conv_cli_help_options();
    printf("\nexit codes: 0 ok, 1 verification failed, 2 usage or input "
           "error, 3 algorithm does not support the problem (exec)\n");
}

/* How many problems of the list fall in each corner class of the sweep. */
static void print_classes(const conv_shape_list *l)
{
    printf("corner classes of the %d problems (a problem may be in several):\n",
           l->n);
    for (int c = 0; c < conv_sweep_class_count; c++) {
        int n = 0;
        for (int i = 0; i < l->n; i++)
            n += l->v[i].st == CONV_OK && conv_sweep_classes[c].in(&l->v[i].p);
        printf("  %-20s %5d  %s\n", conv_sweep_classes[c].name, n,
               conv_sweep_classes[c].what);
    }
}

static int run_list(conv_opts *o, int argc, char **argv)
{
    (void)argc, (void)argv;
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
        /* per direction asked for (--dir, default fwd) */
        for (int d = 0; d < o->ndirs; d++) {
            const conv_dir dir = o->dirs[d];
            const conv_problem p = conv_dir_problem(&s->p, dir);
            printf("  %s%ssupported by:", dir ? conv_dirs[dir].name : "",
                   dir ? " " : "");
            for (int k = 0; k < conv_algo_count + conv_plugin_count(); k++) {
                const conv_algo *a =
                    k < conv_algo_count ? conv_algos[k].algo
                                        : conv_plugin_algo(k - conv_algo_count);
                if (a && conv_supports(a, &p, dir, why, sizeof why) == CONV_OK)
                    printf(" %s", a->name);
            }
            printf("\n");
        }
    }
    if (o->sweep) print_classes(&o->shapes);
    return 0;
}

static int run_verify(conv_opts *o, int argc, char **argv)
{
    return conv_run_rows(o, argc, argv, false);
}
static int run_bench(conv_opts *o, int argc, char **argv)
{
    return conv_run_rows(o, argc, argv, true);
}
static int run_exec(conv_opts *o, int argc, char **argv)
{
    (void)argc, (void)argv;
    return conv_exec(o);
}
static int run_gbench(conv_opts *o, int argc, char **argv)
{
    (void)argc, (void)argv;
    const conv_ctx ctx = conv_make_ctx(o, NULL, 0);
    if (!conv_gbench_run)
        return conv_usage_error("gbench: Google Benchmark compiled out: %s%s",
                                CONV_GBENCH_WHY, "");
    return conv_gbench_run(o->algos, o->nalgos, o->dirs, o->ndirs, &o->shapes,
                           &ctx, o->fill, o->seed, o->rest_argc, o->rest_argv);
}
static int run_selftest(conv_opts *o, int argc, char **argv)
{
    (void)argc, (void)argv;
    return conv_selftest(o);
}

/* compare and summary parse their own arguments; the others take the
 * option table's, and some need problems to run on. */
static const struct command {
    const char *name;
    conv_command cmd;
    int (*tool)(int argc, char **argv);
    int (*run)(conv_opts *o, int argc, char **argv);
    bool needs_problems;
} commands[] = {
    {"list", CONV_CMD_LIST, NULL, run_list, false},
    {"verify", CONV_CMD_VERIFY, NULL, run_verify, true},
    {"bench", CONV_CMD_BENCH, NULL, run_bench, true},
    {"exec", CONV_CMD_EXEC, NULL, run_exec, false},
    {"gbench", CONV_CMD_GBENCH, NULL, run_gbench, true},
    {"selftest", CONV_CMD_SELFTEST, NULL, run_selftest, false},
    {"compare", CONV_CMD_COMPARE, conv_compare_main, NULL, false},
    {"summary", CONV_CMD_SUMMARY, conv_summary_main, NULL, false},
};

int main(int argc, char **argv)
{
    conv_fix_blas_env(argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_help();
        return argc < 2 ? CONV_EXIT_USAGE : CONV_EXIT_OK;
    }
    const struct command *c = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) c = &commands[i];
    if (!c) return conv_usage_error("unknown command '%s'%s", argv[1], "");
    if (c->tool) return c->tool(argc - 1, argv + 1);
    conv_opts o;
    int rc = conv_cli_parse(&o, c->cmd, argc - 2, argv + 2);
    if (!rc) {
        conv_set_threads(o.threads);
        if (c->needs_problems && !o.shapes.n)
            rc = conv_usage_error(
                "no problems: give --desc, --shapes or --sweep%s", "", "");
        else
            rc = c->run(&o, argc, argv);
    }
    conv_shapes_free(&o.shapes);
    return rc;
}
