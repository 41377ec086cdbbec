/* golden_check DESC CASE_DIR OUT.npy ALGO [--plugin FILE.so]...: compares an
 * exec output with the golden y.npy under docs/design.md §4's error measure and
 * ALGO's tolerance; also checks the reference itself against the golden output.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
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

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: golden_check DESC CASE_DIR OUT.npy ALGO "
                        "[--plugin FILE.so]...\n");
        return 2;
    }
    if (conv_plugins_load_args(argc - 5, argv + 5)) return 2;
    conv_problem p;
    char err[512], path[4096];
    if (conv_desc_parse(argv[1], 0, &p, err, sizeof err)) {
        fprintf(stderr, "golden_check: %s\n", err);
        return 2;
    }
    const char *missing;
    const conv_algo *a = conv_algo_lookup(argv[4], &missing);
    if (!a) {
        fprintf(stderr, "golden_check: no algorithm %s\n", argv[4]);
        return 2;
    }
    snprintf(path, sizeof path, "%s/b.npy", argv[2]);
    FILE *bf = fopen(path, "rb");
    p.bias = bf != NULL;
    if (bf) fclose(bf);
    size_t xd[4], wd[4], yd[4], bd[4];
    const int nd = conv_tensor_dims(&p, CONV_X, xd);
    conv_tensor_dims(&p, CONV_W, wd);
    conv_tensor_dims(&p, CONV_Y, yd);
    conv_tensor_dims(&p, CONV_B, bd);
    float *x = NULL, *w = NULL, *b = NULL, *gold = NULL, *out = NULL;
    double *ref = NULL, *mag = NULL;
    int rc = 2;
    const char *names[] = {"x.npy", "w.npy", "y.npy"};
    const size_t *dims[] = {xd, wd, yd};
    float **dst[] = {&x, &w, &gold};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", argv[2], names[i]);
        if (conv_npy_read(path, nd, dims[i], dst[i], err, sizeof err))
            goto fail;
    }
    snprintf(path, sizeof path, "%s/b.npy", argv[2]);
    if (p.bias && conv_npy_read(path, 1, bd, &b, err, sizeof err)) goto fail;
    if (conv_npy_read(argv[3], nd, yd, &out, err, sizeof err)) goto fail;
    size_t ye = conv_y_elems(&p);
    ref = malloc(ye * sizeof *ref);
    mag = malloc(ye * sizeof *mag);
    float *reff = malloc(ye * sizeof *reff);
    if (!ref || !mag || !reff) {
        free(reff);
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    conv_reference(&p, x, w, b, ref, mag);
    for (size_t i = 0; i < ye; i++) reff[i] = (float)ref[i];
    double ref_err = worst(reff, gold, mag, ye);
    free(reff);
    double algo_err = worst(out, gold, mag, ye);
    /* The golden data is float64 rounded to float32: allow one rounding on
     * top of the algorithm's own tolerance. */
    double tol = a->tolerance + 1e-7;
    printf(
        "%-14s %-28s rel_err %.3g (reference %.3g, tolerance %.3g)\n", argv[4],
        argv[2] +
            (strrchr(argv[2], '/') ? strrchr(argv[2], '/') - argv[2] + 1 : 0),
        algo_err, ref_err, tol);
    rc = algo_err <= tol && ref_err <= 1e-7 ? 0 : 1;
    goto done;
fail:
    fprintf(stderr, "golden_check: %s\n", err);
done:
    free(x), free(w), free(b), free(gold), free(out), free(ref), free(mag);
    return rc;
}
