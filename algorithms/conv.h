/* convbench: the one interface every convolution algorithm implements.
 * Semantics (DESIGN §1): forward fp32 NCHW cross-correlation, PyTorch's
 * convention; dilation is a factor (1 = dense), padding is per side. */
#ifndef CONV_H
#define CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum conv_status {
    CONV_OK = 0,
    CONV_INVALID,     /* the problem itself is wrong (caller's mistake)       */
    CONV_UNSUPPORTED, /* a valid problem this algorithm cannot do; has reason */
    CONV_NOMEM,       /* workspace over the cap, or allocation failed         */
    CONV_BACKEND      /* FFTW / OpenBLAS / oneDNN refused                     */
} conv_status;

typedef struct conv_problem {
    int n, g, ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw;
    bool bias;
    bool is_1d; /* descriptor had only w fields: tensors are N x C x W */
    char name[128];
} conv_problem;

typedef enum conv_fft_effort {
    CONV_FFT_ESTIMATE = 0,
    CONV_FFT_MEASURE,
    CONV_FFT_PATIENT
} conv_fft_effort;

/* Run settings handed to plan(). */
typedef struct conv_ctx {
    int threads;          /* drives OpenMP, OpenBLAS and oneDNN alike  */
    size_t workspace_cap; /* bytes a plan may hold; over it: NOMEM     */
    conv_fft_effort fft_effort;
    const char *fft_wisdom; /* FFTW wisdom cache file, NULL = none       */
    char *why;              /* plan() writes a reason here on failure    */
    size_t why_len;
} conv_ctx;

typedef struct conv_plan conv_plan; /* each algorithm defines its own */

typedef struct conv_algo {
    const char *name; /* CSV key */
    /* Pure: may this algorithm run p? On UNSUPPORTED writes a reason. */
    conv_status (*supports)(const conv_problem *p, char *why, size_t len);
    /* All setup: weight transforms, library plans, workspace. w is
     * OC x IC/G x KH x KW, b is OC floats or NULL. Neither is kept. */
    conv_status (*plan)(const conv_problem *p, const float *w, const float *b,
                        const conv_ctx *ctx, conv_plan **out);
    /* x: N x IC x IH x IW, y: N x OC x OH x OW. Allocates nothing. */
    conv_status (*execute)(conv_plan *plan, const float *x, float *y);
    size_t (*workspace_bytes)(const conv_plan *plan);
    void (*destroy)(conv_plan *plan); /* NULL-safe */
    /* Which path ran, for the CSV impl column (e.g. "blas:SkylakeX",
     * "polyphase+f2x3"); may be NULL, then the name is used. */
    const char *(*impl)(const conv_plan *plan);
    /* Bound on DESIGN §4's relative error under real fill. */
    double tolerance;
    /* Every product and sum is done in fp32 as the reference does up to
     * rounding of exact integers: under int fill the result must match the
     * reference bit for bit. False for transform methods (FFT, Winograd). */
    bool exact;
    /* Optional; when set, the harness calls load_input before timing and
     * store_output after, and execute() works on the plan's native buffers
     * (it ignores x and y). Lets a layout-native path be timed alone. */
    conv_status (*load_input)(conv_plan *plan, const float *x);
    conv_status (*store_output)(conv_plan *plan, float *y);
} conv_algo;

/* Registry (algorithms/registry.c). */
typedef struct conv_algo_entry {
    const char *name;
    const conv_algo *algo; /* NULL when compiled out (weak symbol) */
    const char *missing;   /* why, when algo is NULL */
} conv_algo_entry;

extern const conv_algo_entry conv_algos[];
extern const int conv_algo_count;
const conv_algo_entry *conv_algo_find(const char *name);

/* Helpers every algorithm may use (defined in algorithms/registry.c). */
static inline int64_t conv_flops(const conv_problem *p)
{
    return 2LL * p->n * p->oc * p->oh * p->ow * (int64_t)(p->ic / p->g) *
           p->kh * p->kw;
}
/* Formatted reason into why (NULL-safe); returns s for chaining. */
conv_status conv_why(char *why, size_t len, conv_status s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
