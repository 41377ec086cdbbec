/* convbench exec: one algorithm on .npy files, through the row driver.
 * Which files it reads and writes comes from the direction's tensor roles
 * (problem/tensors.c): an input role's file is read, an output role's
 * written; a bias role is optional and gives the problem its bias. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

static int exec_error(const char *what, const char *detail, int rc)
{
    fprintf(stderr, "convbench: exec: %s%s\n", what, detail);
    return rc;
}

/* The file given for role k of dir, or NULL. */
static const char *npy_path(const conv_opts *o, conv_dir dir, int k)
{
    for (int i = 0; i < o->nnpy; i++)
        if (!strcmp(o->npy[i].opt, conv_dirs[dir].t[k].npy))
            return o->npy[i].path;
    return NULL;
}

/* A role the problem may go without: the forward's bias. */
static bool optional(const conv_role *r)
{
    return r->bias && !r->output;
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
        } else if (conv_npy_read(npy_path(o, dir, k), nd, dims, &t[k], err,
                                 sizeof err)) {
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
        if (conv_npy_write(npy_path(o, dir, k), nd, dims, t[k], err,
                           sizeof err))
            return exec_error(err, "", CONV_EXIT_USAGE);
    }
    return 0;
}

/* Every file of a role the direction needs, and no file it has no role
 * for. */
static int check_files(const conv_opts *o, conv_dir dir)
{
    const conv_dir_info *di = &conv_dirs[dir];
    char need[128] = "";
    bool missing = false;
    for (int k = 0, n = 0; k < di->ntensors; k++) {
        if (optional(&di->t[k])) continue;
        missing |= !npy_path(o, dir, k);
        n += snprintf(need + n, sizeof need - (size_t)n, "%s%s", n ? ", " : "",
                      di->t[k].npy);
    }
    if (missing) {
        fprintf(stderr, "convbench: exec --dir %s: %s are required\n", di->name,
                need);
        return CONV_EXIT_USAGE;
    }
    for (int i = 0; i < o->nnpy; i++) {
        int k = 0;
        while (k < di->ntensors && strcmp(di->t[k].npy, o->npy[i].opt)) k++;
        if (k == di->ntensors) {
            fprintf(stderr,
                    "convbench: exec --dir %s: %s is not one of its "
                    "tensors\n",
                    di->name, o->npy[i].opt);
            return CONV_EXIT_USAGE;
        }
    }
    return 0;
}

int conv_exec(conv_opts *o)
{
    float *t[CONV_MAX_TENSORS] = {0};
    char why[256] = "";
    int rc;
    if (o->nalgos != 1)
        return exec_error("give exactly one --algo", "", CONV_EXIT_USAGE);
    if (o->shapes.n != 1)
        return exec_error("give exactly one --desc", "", CONV_EXIT_USAGE);
    if (o->ndirs != 1)
        return exec_error("give exactly one --dir", "", CONV_EXIT_USAGE);
    const conv_dir dir = o->dirs[0];
    if (o->shapes.v[0].st != CONV_OK)
        return exec_error(o->shapes.v[0].why, "", CONV_EXIT_UNSUPPORTED);
    if ((rc = check_files(o, dir))) return rc;
    const conv_algo *a = o->algos[0];
    /* --mb already applied; a forward bias when its file is given */
    conv_problem p = conv_dir_problem(&o->shapes.v[0].p, dir);
    for (int k = 0; k < conv_dirs[dir].ntensors; k++)
        if (optional(&conv_dirs[dir].t[k]))
            p.bias = npy_path(o, dir, k) != NULL;
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
