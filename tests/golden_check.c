/* golden_check DESC CASE_DIR OUT.npy ALGO [--dir D] [--db DB.npy]
 *              [--plugin FILE.so]...:
 * compares an exec output of direction D (default fwd) with the golden
 * tensor of the case (y, dx or dw; db from --db for bwd_wb) under
 * docs/design.md §4's error measure and ALGO's tolerance for D; also checks
 * the reference itself against the golden data. The tensors are found by
 * the roles of conv_dirs: CASE_DIR/<role>.npy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

static double worst(const float *y, const float *gold, const double *mag,
                    size_t count)
{
    double m = 0;
    for (size_t i = 0; i < count; i++) {
        double e = fabs((double)y[i] - gold[i]);
        double r = mag[i] > 0 ? e / mag[i] : (e > 0 ? INFINITY : 0);
        if (isnan(y[i]) || isnan(r)) r = INFINITY;
        if (r > m) m = r;
    }
    return m;
}

typedef struct args {
    const char *desc, *dir, *out, *algo, *db;
    conv_dir d;
} args;

static int parse(int argc, char **argv, args *a)
{
    if (argc < 5) return 2;
    *a = (args){argv[1], argv[2], argv[3], argv[4], NULL, CONV_DIR_FWD};
    for (int i = 5; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir")) {
            const int d = conv_dir_parse(argv[i + 1]);
            if (d < 0) return 2;
            a->d = (conv_dir)d;
        } else if (!strcmp(argv[i], "--db")) {
            a->db = argv[i + 1];
        } else if (strcmp(argv[i], "--plugin")) {
            return 2;
        }
    }
    return conv_plugins_load_args(argc - 5, argv + 5) ? 2 : 0;
}

int main(int argc, char **argv)
{
    args a;
    if (parse(argc, argv, &a)) {
        fprintf(stderr, "usage: golden_check DESC CASE_DIR OUT.npy ALGO "
                        "[--dir D] [--db DB.npy] [--plugin FILE.so]...\n");
        return 2;
    }
    conv_problem p;
    char err[512], path[4096];
    if (conv_desc_parse(a.desc, 0, &p, err, sizeof err)) {
        fprintf(stderr, "golden_check: %s\n", err);
        return 2;
    }
    const char *missing;
    const conv_algo *al = conv_algo_lookup(a.algo, &missing);
    if (!al) {
        fprintf(stderr, "golden_check: no algorithm %s\n", a.algo);
        return 2;
    }
    snprintf(path, sizeof path, "%s/b.npy", a.dir);
    FILE *bf = fopen(path, "rb");
    p.bias = bf != NULL;
    if (bf) fclose(bf);
    p = conv_dir_problem(&p, a.d); /* bwd_wb: cases with a bias only */
    const conv_dir_info *di = &conv_dirs[a.d];
    float *t[CONV_MAX_TENSORS] = {0}, *gold[CONV_MAX_TENSORS] = {0},
          *got[CONV_MAX_TENSORS] = {0};
    double *ref[CONV_MAX_TENSORS] = {0}, *mag[CONV_MAX_TENSORS] = {0};
    int rc = 2, outs = 0;
    bool ok = true;
    for (int k = 0; k < di->ntensors; k++) {
        const conv_role *r = &di->t[k];
        size_t dims[4];
        const int nd = conv_tensor_dims(&p, r->shape, dims);
        const size_t e = conv_tensor_elems(&p, r->shape);
        if (!conv_role_present(&p, a.d, k)) continue;
        snprintf(path, sizeof path, "%s/%s.npy", a.dir, r->name);
        float **dst = r->output ? &gold[k] : &t[k];
        if (conv_npy_read(path, nd, dims, dst, err, sizeof err)) goto fail;
        if (!r->output) continue;
        const char *mine = outs++ ? a.db : a.out;
        if (!mine) {
            snprintf(err, sizeof err, "no output file for %s", r->name);
            goto fail;
        }
        if (conv_npy_read(mine, nd, dims, &got[k], err, sizeof err)) goto fail;
        ref[k] = malloc(e * sizeof(double));
        mag[k] = malloc(e * sizeof(double));
        if (!ref[k] || !mag[k]) {
            snprintf(err, sizeof err, "out of memory");
            goto fail;
        }
    }
    conv_reference_dir(&p, a.d, t, ref, mag);
    /* The golden data is float64 rounded to float32: allow one rounding on
     * top of the algorithm's own tolerance. */
    const double tol = conv_tolerance(al, a.d) + 1e-7;
    for (int k = 0; k < di->ntensors; k++) {
        if (!got[k]) continue;
        const size_t e = conv_tensor_elems(&p, di->t[k].shape);
        float *reff = malloc(e * sizeof *reff);
        if (!reff) {
            snprintf(err, sizeof err, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < e; i++) reff[i] = (float)ref[k][i];
        const double ref_err = worst(reff, gold[k], mag[k], e);
        free(reff);
        const double algo_err = worst(got[k], gold[k], mag[k], e);
        printf("%-14s %-6s %-3s %-28s rel_err %.3g (reference %.3g, "
               "tolerance %.3g)\n",
               a.algo, di->name, di->t[k].name,
               a.dir +
                   (strrchr(a.dir, '/') ? strrchr(a.dir, '/') - a.dir + 1 : 0),
               algo_err, ref_err, tol);
        ok = ok && algo_err <= tol && ref_err <= 1e-7;
    }
    rc = ok ? 0 : 1;
    goto done;
fail:
    fprintf(stderr, "golden_check: %s\n", err);
done:
    for (int k = 0; k < CONV_MAX_TENSORS; k++)
        free(t[k]), free(gold[k]), free(got[k]), free(ref[k]), free(mag[k]);
    return rc;
}
