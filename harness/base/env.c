/* Clocks, files, status names, threads and the BLAS core. */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"

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

conv_status conv_file_read(const char *path, char **out, size_t *size,
                           bool *missing, char *err, size_t len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    conv_status st = CONV_OK;
    *out = NULL;
    *size = 0;
    *missing = !f;
    if (!f) return conv_why(err, len, CONV_INVALID, "%s: cannot open", path);
    for (;;) {
        if (cap - n < 4096 + 1) {
            size_t ncap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                st = conv_why(err, len, CONV_NOMEM, "%s: out of memory", path);
                goto cleanup;
            }
            buf = nb, cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        st = conv_why(err, len, CONV_INVALID, "%s: read error", path);
        goto cleanup;
    }
    buf[n] = '\0';
    *out = buf;
    *size = n;
    buf = NULL;
cleanup:
    fclose(f);
    free(buf);
    return st;
}

const char *conv_status_name(conv_status s)
{
    static const char *names[] = {"OK", "INVALID", "UNSUPPORTED", "NOMEM",
                                  "BACKEND"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s]
                                                        : "UNKNOWN STATUS";
}

/* ---- the BLAS core ---------------------------------------------------------
 * OpenBLAS 0.3.21 does not know AMD Zen 4/5, nor CPUs a VM disguises, and
 * then falls back to Haswell or even Prescott kernels: half the AVX-512 speed
 * or worse. When the CPU can run a better kernel set than the one picked and
 * the user did not choose, re-run ourselves with OPENBLAS_CORETYPE set: the
 * library reads it only when it loads. */
#ifdef CONV_HAVE_OPENBLAS
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
    F(avx512dq)
    F(avx2)
    F(fma)
#undef F
    return false;
}

/* Idle OpenBLAS workers spin for 2^28 cycles by default and then compete
 * with the OpenMP threads of the next algorithm (or the harness): on 2
 * cores that turned sub-ms medians into multiples of the scheduler's
 * time slice. 2^4 cycles lets them sleep at once. */
#define BLAS_THREAD_TIMEOUT "4"

#endif

void conv_fix_blas_env(char **argv)
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
