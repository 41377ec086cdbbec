/* convbench selftest (docs/design.md §10): the verifier proven. Every faulty
 * algorithm of the catalogue (faults.c) goes through conv_row_run, the path
 * of verify and bench, on problems chosen to expose it, and must FAIL with
 * the expected kind of reason (or, for the runs that must not expose it,
 * pass); the real algorithms and the catalogue's correct base must pass
 * the same problems under the same settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selftest/selftest.h"

/* Every problem runs under each of these; fault cases pick one. */
static const struct setting {
    conv_fill fill;
    int threads;
} settings[] = {{CONV_FILL_INT, 1}, {CONV_FILL_INT, 2}, {CONV_FILL_REAL, 2}};
#define NSETTINGS (int)(sizeof settings / sizeof settings[0])

/* The check a reason comes from: the first marker it contains. */
static const struct check {
    const char *marker, *name;
} checks[] = {
    {"second run: ", "second run"},
    {"guard", "guard"},
    {"input modified", "input"},
    {"workspace:", "workspace"},
    {"NaN", "output: NaN"},
    {"not bit-exact", "output: bit-exact"},
    {"over tolerance", "output: tolerance"},
};

static const char *check_of(const char *reason)
{
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (strstr(reason, checks[i].marker)) return checks[i].name;
    return "-";
}

#define MAX_CASES 2
typedef struct outcome {
    bool ran;
    conv_row r;
} outcome;

static bool case_ok(const conv_fault_case *c, const outcome *out)
{
    if (!out->ran) return false;
    if (!c->expect) return out->r.status == CONV_ROW_PASSED;
    return out->r.status == CONV_ROW_FAILED &&
           strstr(out->r.reason, c->expect) != NULL;
}

/* The directions run: every one, or those of --dir. */
static bool wanted(const conv_opts *o, conv_dir d)
{
    for (int k = 0; o->dirs_set && k < o->ndirs; k++)
        if (o->dirs[k] == d) return true;
    return !o->dirs_set;
}

/* The catalogue's problems as a shape list; false on a bad descriptor. */
static bool make_problems(const conv_opts *o, conv_shape_list *shapes)
{
    for (int i = 0; i < conv_selftest_problem_count; i++) {
        char err[512];
        if (conv_shapes_add_desc(shapes, conv_selftest_problems[i].desc,
                                 o->mem_cap, err, sizeof err)) {
            fprintf(stderr, "convbench: selftest: %s: %s\n",
                    conv_selftest_problems[i].desc, err);
            return false;
        }
        shapes->v[i].p.bias = conv_selftest_problems[i].bias;
    }
    return true;
}

typedef struct run_state {
    const conv_algo *const *real;
    int nreal, bad;
    int (*counts)[2]; /* per real algorithm: passed, unsupported */
    outcome (*outs)[MAX_CASES];
} run_state;

/* Problem i under one setting: the real algorithms first (without
 * poisoning, y would still hold their right answer when the faults run),
 * then the fault cases that name this problem and setting. */
static void run_setting(const conv_opts *so, const conv_shape *s, int i,
                        conv_dir dir, conv_data *d, run_state *rs)
{
    const char *pname = conv_selftest_problems[i].name;
    const conv_ctx ctx = conv_make_ctx(so, NULL, 0);
    for (int a = 0; a < rs->nreal; a++) {
        conv_row r;
        conv_row_init(&r, rs->real[a]->name, dir, s, so->threads);
        conv_row_run_isolated(so, false, rs->real[a], d, &ctx, &r);
        const bool pass = r.status == CONV_ROW_PASSED;
        if (pass || r.status == CONV_ROW_UNSUPPORTED) {
            rs->counts[a][pass ? 0 : 1]++;
            continue;
        }
        printf("%-22s %-6s %-6s %-4s t%d  %s: %s\n", rs->real[a]->name, pname,
               conv_dirs[dir].name, so->fill == CONV_FILL_INT ? "int" : "real",
               so->threads, conv_row_status_names[r.status], r.reason);
        rs->bad++;
    }
    for (int f = 0; f < conv_fault_count; f++)
        for (int c = 0; c < MAX_CASES; c++) {
            const conv_fault_case *fc = &conv_faults[f].cases[c];
            if (!fc->problem || strcmp(fc->problem, pname) ||
                fc->fill != so->fill || fc->threads != so->threads ||
                fc->dir != dir)
                continue;
            outcome *out = &rs->outs[f][c];
            conv_row_init(&out->r, conv_faults[f].algo.name, dir, s,
                          so->threads);
            conv_row_run(so, false, &conv_faults[f].algo, d, &ctx, &out->r);
            out->ran = true;
        }
}

/* One line per fault case; returns the faults caught in every case. */
static int report_faults(const conv_opts *o, const outcome (*outs)[MAX_CASES],
                         int *cases, int *faults)
{
    int caught = 0;
    printf("fault: what is wrong\n    %-6s %-6s %-4s %-3s %-8s %-18s %s\n",
           "on", "dir", "fill", "thr", "verdict", "check", "reason");
    for (int f = 0; f < conv_fault_count; f++) {
        bool all = true, any = false;
        for (int c = 0; c < MAX_CASES; c++) {
            const conv_fault_case *fc = &conv_faults[f].cases[c];
            const outcome *out = &outs[f][c];
            if (!fc->problem || !wanted(o, fc->dir)) continue;
            any = true;
            const bool ok = case_ok(fc, out);
            all = all && ok;
            ++*cases;
            const char *verdict = !out->ran ? "NOT RUN"
                                  : ok      ? (fc->expect ? "caught" : "passes")
                                  : fc->expect ? "MISSED"
                                               : "WRONG";
            const bool passed = out->ran && out->r.status == CONV_ROW_PASSED;
            if (c == 0 || !outs[f][0].ran)
                printf("%s: %s\n", conv_faults[f].algo.name,
                       conv_faults[f].what);
            printf("    %-6s %-6s %-4s t%-2d %-8s %-18s %s\n", fc->problem,
                   conv_dirs[fc->dir].name,
                   fc->fill == CONV_FILL_INT ? "int" : "real", fc->threads,
                   verdict, passed ? "-" : check_of(out->r.reason),
                   passed ? "passed, as it must (within tolerance)"
                          : out->r.reason);
            if (!ok && fc->expect)
                printf("    expected a FAILED row whose reason says \"%s\"\n",
                       fc->expect);
        }
        caught += any && all;
        *faults += any;
    }
    return caught;
}

int conv_selftest(conv_opts *o)
{
    static outcome outs[64][MAX_CASES];
    const conv_algo *real[CONV_MAX_ALGOS + 1];
    int counts[CONV_MAX_ALGOS + 1][2] = {{0}};
    run_state rs = {real, 0, 0, counts, outs};
    if (o->shapes.n || o->sweep || o->fill_set) {
        fprintf(stderr, "convbench: selftest: its problems and fills are "
                        "fixed; give no --desc, --shapes, --sweep or --fill\n");
        return CONV_EXIT_USAGE;
    }
    for (int k = 0; k < o->nalgos; k++) real[rs.nreal++] = o->algos[k];
    real[rs.nreal++] = &conv_fault_base;
    if (conv_fault_count > (int)(sizeof outs / sizeof outs[0])) {
        fprintf(stderr, "convbench: selftest: fault table too long\n");
        return CONV_EXIT_FAIL;
    }
    memset(outs, 0, sizeof outs);
    for (int f = 0; f < conv_fault_count; f++)
        if (conv_algo_find(conv_faults[f].algo.name)) {
            printf("fault %s is in the registry\n", conv_faults[f].algo.name);
            rs.bad++;
        }
    conv_shape_list shapes = {0};
    if (!make_problems(o, &shapes)) {
        conv_shapes_free(&shapes);
        return CONV_EXIT_FAIL;
    }
    conv_data d = {0};
    conv_isolate_start(o); /* plugin rows: before any OpenMP work */
    for (int i = 0; i < shapes.n; i++)
        for (int k = 0; k < NSETTINGS; k++)
            for (int dir = 0; dir < CONV_NDIRS; dir++) {
                if (!wanted(o, (conv_dir)dir)) continue;
                conv_opts so = *o;
                so.fill = settings[k].fill;
                so.threads = settings[k].threads;
                conv_set_threads(so.threads);
                const conv_problem p = conv_dir_problem(&shapes.v[i].p, dir);
                if (conv_data_alloc(&d, &p, dir, so.fill, o->seed) != CONV_OK) {
                    fprintf(stderr, "convbench: selftest: out of memory\n");
                    rs.bad++;
                    continue;
                }
                run_setting(&so, &shapes.v[i], i, dir, &d, &rs);
            }
    conv_isolate_stop();
    conv_data_free(&d);
    free(d.times);
    conv_shapes_free(&shapes);

    int cases = 0, faults = 0, ndirs = 0;
    const int caught =
        report_faults(o, (const outcome(*)[MAX_CASES])outs, &cases, &faults);
    rs.bad += faults - caught;
    for (int dir = 0; dir < CONV_NDIRS; dir++) ndirs += wanted(o, dir);
    for (int a = 0; a < rs.nreal; a++)
        printf("real algorithm %-18s %2d passed, %2d unsupported of %d runs\n",
               real[a]->name, counts[a][0], counts[a][1],
               conv_selftest_problem_count * NSETTINGS * ndirs);
    printf("selftest: %d of %d faults caught as expected (%d runs); %s\n",
           caught, faults, cases,
           rs.bad ? "FAILED" : "every real algorithm passed");
    return rs.bad ? CONV_EXIT_FAIL : CONV_EXIT_OK;
}
