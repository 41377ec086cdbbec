/* convbench exec: one algorithm on .npy files, through the row driver.
 * Which files it reads and writes comes from the direction's tensor roles
 * (problem/tensors.c): an input role's file is read, an output role's
 * written; a bias role is optional and gives the problem its bias. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "run/run.h"

static int exec_error(const char *what, const char *detail, int rc)
{
    fprintf(stderr, "convbench: exec: %s%s\n", what, detail);
    return rc;
}

/* Every input file read (shape checked), every output allocated. */
static int load_tensors(const conv_opts *o, const conv_problem *p, conv_dir dir,
                        float *t[])
{
    char err[600];
    const conv_dir_info *di = &conv_dirs[dir];
    for (int k = 0; k < di->ntensors; k++) {
        const conv_role *r = &di->t[k];
        size_t dims[4];
        const int nd = conv_tensor_dims(p, r->shape, dims);
        if (!conv_role_present(p, dir, k)) continue;
        if (r->output) {
            const size_t e = conv_tensor_elems(p, r->shape);
            if (!(t[k] = malloc(e * sizeof(float))))
                return exec_error("out of memory", "", CONV_EXIT_USAGE);
            for (size_t i = 0; i < e; i++) t[k][i] = NAN;
        } else if (conv_npy_read(o->npy[k], nd, dims, &t[k], err, sizeof err)) {
            return exec_error(err, "", CONV_EXIT_USAGE);
        }
    }
    return 0;
}

static int store_outputs(const conv_opts *o, const conv_problem *p,
                         conv_dir dir, float *const t[])
{
    char err[600];
    const conv_dir_info *di = &conv_dirs[dir];
    for (int k = 0; k < di->ntensors; k++) {
        size_t dims[4];
        if (!t[k] || !di->t[k].output) continue;
        const int nd = conv_tensor_dims(p, di->t[k].shape, dims);
        if (conv_npy_write(o->npy[k], nd, dims, t[k], err, sizeof err))
            return exec_error(err, "", CONV_EXIT_USAGE);
    }
    return 0;
}

/* The options a direction requires: every role but the optional bias. */
static int check_files(const conv_opts *o, conv_dir dir)
{
    const conv_dir_info *di = &conv_dirs[dir];
    for (int k = 0; k < di->ntensors; k++)
        if (!di->t[k].bias && !o->npy[k]) {
            char need[128] = "";
            for (int j = 0, n = 0; j < di->ntensors; j++)
                if (!di->t[j].bias)
                    n += snprintf(need + n, sizeof need - (size_t)n, "%s%s",
                                  n ? ", " : "", di->t[j].npy);
            return exec_error(need, " are required", CONV_EXIT_USAGE);
        }
    return 0;
}

int conv_exec(conv_opts *o)
{
    const conv_dir dir = CONV_DIR_FWD;
    float *t[CONV_MAX_TENSORS] = {0};
    char why[256] = "";
    int rc;
    if (o->nalgos != 1)
        return exec_error("give exactly one --algo", "", CONV_EXIT_USAGE);
    if (o->shapes.n != 1)
        return exec_error("give exactly one --desc", "", CONV_EXIT_USAGE);
    if (o->shapes.v[0].st != CONV_OK)
        return exec_error(o->shapes.v[0].why, "", CONV_EXIT_UNSUPPORTED);
    if ((rc = check_files(o, dir))) return rc;
    const conv_algo *a = o->algos[0];
    conv_problem p = o->shapes.v[0].p; /* --mb already applied in main() */
    for (int k = 0; k < conv_dirs[dir].ntensors; k++)
        if (conv_dirs[dir].t[k].bias) p.bias = o->npy[k] != NULL;
    if ((rc = load_tensors(o, &p, dir, t))) goto cleanup;
    const conv_ctx ctx = conv_make_ctx(o, NULL, 0);
    const conv_status st = conv_row_apply(a, dir, &p, t, &ctx, why, sizeof why);
    if (st != CONV_OK) {
        fprintf(stderr, "convbench: exec: %s: %s: %s\n", a->name,
                conv_status_name(st), why[0] ? why : "no reason given");
        rc = st == CONV_UNSUPPORTED || st == CONV_NOMEM ? CONV_EXIT_UNSUPPORTED
                                                        : CONV_EXIT_FAIL;
        goto cleanup;
    }
    rc = store_outputs(o, &p, dir, t);
cleanup:
    for (int k = 0; k < CONV_MAX_TENSORS; k++) free(t[k]);
    return rc;
}
