/* The algorithm table: one line per algorithm. A backend missing at
 * configure time leaves its entries with a NULL algo and a reason. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conv.h"

extern const conv_algo conv_algo_naive;
#ifdef CONV_HAVE_OPENBLAS
extern const conv_algo conv_algo_im2col_gemm, conv_algo_toeplitz,
    conv_algo_winograd_f2x3;
#define BLAS(a) &conv_algo_##a, NULL
#else
#define BLAS(a) NULL, "built without OpenBLAS"
#endif
#ifdef CONV_HAVE_FFTW
extern const conv_algo conv_algo_fft;
#define FFTW(a) &conv_algo_##a, NULL
#else
#define FFTW(a) NULL, "built without FFTW (single precision)"
#endif
#ifdef CONV_HAVE_DNNL
extern const conv_algo conv_algo_onednn, conv_algo_onednn_native;
#define DNNL(a) &conv_algo_##a, NULL
#else
#define DNNL(a) NULL, "built without oneDNN"
#endif

const conv_algo_entry conv_algos[] = {
    {"naive", &conv_algo_naive, NULL},
    {"im2col_gemm", BLAS(im2col_gemm)},
    {"toeplitz", BLAS(toeplitz)},
    {"fft", FFTW(fft)},
    {"winograd_f2x3", BLAS(winograd_f2x3)},
    {"onednn", DNNL(onednn)},
    {"onednn_native", DNNL(onednn_native)},
};
const int conv_algo_count = (int)(sizeof conv_algos / sizeof conv_algos[0]);

const conv_algo_entry *conv_algo_find(const char *name)
{
    for (int i = 0; i < conv_algo_count; i++)
        if (strcmp(conv_algos[i].name, name) == 0) return &conv_algos[i];
    return NULL;
}

conv_status conv_why(char *why, size_t len, conv_status s, const char *fmt,
                     ...)
{
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return s;
}
