/* The algorithm table: one line per algorithm. Each symbol is declared
 * weak, so an algorithm whose file was compiled out (its backend missing at
 * configure time) resolves to NULL and stays listed with the reason. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conv.h"

#define ALGO(sym) extern const conv_algo sym __attribute__((weak));
ALGO(conv_algo_naive)
ALGO(conv_algo_im2col_gemm)
ALGO(conv_algo_toeplitz)
ALGO(conv_algo_fft)
ALGO(conv_algo_winograd_f2x3)
ALGO(conv_algo_onednn)
ALGO(conv_algo_onednn_native)

#define NO_OPENBLAS "compiled out: OpenBLAS not found at configure time"
#define NO_FFTW "compiled out: FFTW (fftw3f) not found at configure time"
#define NO_DNNL "compiled out: oneDNN not found at configure time"

const conv_algo_entry conv_algos[] = {
    {"naive", &conv_algo_naive, ""},
    {"im2col_gemm", &conv_algo_im2col_gemm, NO_OPENBLAS},
    {"toeplitz", &conv_algo_toeplitz, NO_OPENBLAS},
    {"fft", &conv_algo_fft, NO_FFTW},
    {"winograd_f2x3", &conv_algo_winograd_f2x3, NO_OPENBLAS},
    {"onednn", &conv_algo_onednn, NO_DNNL},
    {"onednn_native", &conv_algo_onednn_native, NO_DNNL},
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
