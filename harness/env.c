/* Clocks, threads and the BLAS core. */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifdef CONV_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef CONV_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

double conv_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

/* oneDNN in Debian is built on OpenMP, so the OpenMP setting drives it.
 * Its primitive cache is off: a plan must pay for its own primitive, not
 * reuse one an earlier algorithm (onednn before onednn_native) created. */
void conv_set_threads(int threads)
{
    omp_set_num_threads(threads);
#ifdef CONV_HAVE_DNNL
    dnnl_set_primitive_cache_capacity(0);
#endif
#ifdef CONV_HAVE_OPENBLAS
    openblas_set_num_threads(threads);
#endif
}

const char *conv_blas_core(void)
{
#ifdef CONV_HAVE_OPENBLAS
    return openblas_get_corename();
#else
    return "none";
#endif
}

int conv_mkstemp(char *tmpl)
{
    int fd = mkstemp(tmpl);
    if (fd >= 0) {
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
    return fd;
}

conv_status conv_file_commit(FILE *f, const char *tmp, const char *path,
                             char *err, size_t len)
{
    bool ok = f && !ferror(f);
    if (f) ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) == 0) return CONV_OK;
    int e = errno;
    unlink(tmp);
    return conv_why(err, len, CONV_INVALID, "%s: cannot write: %s", path,
                    strerror(e));
}

conv_status conv_run_once(const conv_algo *a, conv_plan *pl, const float *x,
                          float *y, const char **step)
{
    conv_status st = CONV_OK;
    *step = "load_input";
    if (a->load_input && (st = a->load_input(pl, x)) != CONV_OK) return st;
    *step = "execute";
    if ((st = a->execute(pl, x, y)) != CONV_OK) return st;
    *step = "store_output";
    return a->store_output ? a->store_output(pl, y) : CONV_OK;
}
