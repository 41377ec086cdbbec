/* The algorithm table: one line per algorithm. Each symbol is declared
 * weak, so an algorithm whose file was compiled out (its backend missing at
 * configure time) resolves to NULL and stays listed with the reason. */
#include <stdio.h>
#include <string.h>

#include "conv.h"

/* CMake passes CONV_WHY_<backend> for each backend it compiled out. */
#ifndef CONV_WHY_OPENBLAS
#define CONV_WHY_OPENBLAS "not found at configure time"
#endif
#ifndef CONV_WHY_FFTW
#define CONV_WHY_FFTW "not found at configure time"
#endif
#ifndef CONV_WHY_DNNL
#define CONV_WHY_DNNL "not found at configure time"
#endif
#define NO_OPENBLAS "compiled out: OpenBLAS " CONV_WHY_OPENBLAS
#define NO_FFTW "compiled out: FFTW " CONV_WHY_FFTW
#define NO_DNNL "compiled out: oneDNN " CONV_WHY_DNNL

/* One line per algorithm: name, and why it is missing when compiled out. */
#define CONV_ALGO_LIST(X)                                                      \
    X(naive, "")                                                               \
    X(im2col_gemm, NO_OPENBLAS)                                                \
    X(toeplitz, NO_OPENBLAS)                                                   \
    X(fft, NO_FFTW)                                                            \
    X(winograd_f2x3, "")                                                       \
    X(winograd_f4x3, "")                                                       \
    X(onednn, NO_DNNL)                                                         \
    X(onednn_native, NO_DNNL)

#define DECLARE(a, why)                                                        \
    extern const conv_algo conv_algo_##a __attribute__((weak));
CONV_ALGO_LIST(DECLARE)
#define ROW(a, why) {#a, &conv_algo_##a, why},
const conv_algo_entry conv_algos[] = {CONV_ALGO_LIST(ROW)};
const int conv_algo_count = (int)(sizeof conv_algos / sizeof conv_algos[0]);

const conv_algo_entry *conv_algo_find(const char *name)
{
    for (int i = 0; i < conv_algo_count; i++)
        if (strcmp(conv_algos[i].name, name) == 0) return &conv_algos[i];
    return NULL;
}
