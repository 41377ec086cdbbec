/* convbench: the one interface every convolution algorithm implements.
 * Semantics (docs/design.md §1): forward fp32 NCHW cross-correlation, PyTorch's
 * convention; dilation is a factor (1 = dense), padding is per side. The
 * backward directions of a training step (§14) are optional members. */
#ifndef CONV_H
#define CONV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum conv_status {
    CONV_OK = 0,
    CONV_INVALID,     /* the problem itself is wrong (caller's mistake)       */
    CONV_UNSUPPORTED, /* a valid problem this algorithm cannot do; has reason */
    CONV_NOMEM,       /* workspace over the cap, or allocation failed         */
    CONV_BACKEND      /* FFTW / OpenBLAS / oneDNN refused                     */
} conv_status;

/* The directions of a training step (docs/design.md §14), benchdnn's
 * names: fwd y = x * w + b; bwd_d dx from w and dy; bwd_w dw from x and
 * dy; bwd_wb dw and db. */
typedef enum conv_dir {
    CONV_DIR_FWD,
    CONV_DIR_BWD_D,
    CONV_DIR_BWD_W,
    CONV_DIR_BWD_WB,
    CONV_NDIRS
} conv_dir;

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

/* Phase marks for --breakdown (docs/design.md §13). A thread calls mark(arg,
 * thread, k) when it starts phase k of its algorithm (an index into
 * conv_algo.phases) and mark(arg, thread, CONV_PHASE_END) when it stops
 * working on phases. Time from one mark of a thread to its next counts to
 * the phase the first one named, so marking only where a thread changes
 * phase is enough, and per-block phases inside a parallel loop (a thread
 * doing transform, product, inverse per block, marking each) just work.
 * A thread's time between CONV_PHASE_END and its next mark counts nowhere.
 * Rules for execute() and the backward executes:
 *   - thread is omp_get_thread_num() inside a parallel region, 0 outside
 *     (where omp_get_thread_num() is 0 too); never a library's own threads;
 *   - every thread that marked ends with CONV_PHASE_END before execute()
 *     returns, inside the parallel region it marked in: waiting at the
 *     region's join is no phase's time, while waiting at a barrier inside
 *     it counts to the phase before the barrier (its load imbalance);
 *   - mark through conv_phase_mark(), which is one predicted-not-taken
 *     branch when the hook is NULL: the timed runs carry no hook, so
 *     marks cost them nothing measurable. A mark in an inner loop of
 *     microsecond-sized pieces is still too fine: mark per block.
 * plan() keeps the pointer ctx->phase_hook in its plan (the harness keeps
 * the hook alive as long as the plan) and execute() passes it to every
 * mark. What the harness reports per phase: docs/timing.md, "Breakdown".
 * Per-block phases, e.g. (under a combined "parallel for", where nothing
 * can follow the loop, end each iteration with CONV_PHASE_END instead):
 *     #pragma omp parallel
 *     {
 *         const int t = omp_get_thread_num();
 *     #pragma omp for schedule(dynamic) nowait
 *         for (int b = 0; b < nblocks; b++) {
 *             conv_phase_mark(pl->hook, t, W_INPUT);   transform block b
 *             conv_phase_mark(pl->hook, t, W_PRODUCT); its products
 *             conv_phase_mark(pl->hook, t, W_OUTPUT);  back into y
 *         }
 *         conv_phase_mark(pl->hook, t, CONV_PHASE_END);
 *     }
 */
enum { CONV_PHASE_END = -1 };
typedef struct conv_phase_hook {
    void (*mark)(void *arg, int thread, int phase);
    void *arg;
} conv_phase_hook;

static inline void conv_phase_mark(const conv_phase_hook *h, int thread,
                                   int phase)
{
    if (__builtin_expect(h != NULL, 0)) h->mark(h->arg, thread, phase);
}

/* Run settings handed to plan(). */
typedef struct conv_ctx {
    int threads;          /* drives OpenMP, OpenBLAS and oneDNN alike  */
    size_t workspace_cap; /* bytes a plan may hold; over it: NOMEM     */
    conv_fft_effort fft_effort;
    const char *fft_wisdom; /* FFTW wisdom cache file, NULL = none       */
    char *why;              /* plan() writes a reason here on failure    */
    size_t why_len;
    const conv_phase_hook *phase_hook; /* NULL: no marks (timed runs) */
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
    /* Bound on docs/design.md §4's relative error under real fill. */
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
    /* The plan also holds memory a library allocates for itself (FFTW's
     * plans, oneDNN's primitives and JIT code) that workspace_bytes does
     * not count. The harness measures what plan() holds either way; only
     * when this is false must the two agree (harness/verify.c). */
    bool library_memory;
    /* Names of execute()'s phases, NULL-terminated, the index being what
     * conv_phase_mark() takes; NULL: no phases. One list for every
     * direction: the backward executes mark from it too (a direction
     * reports 0 for the phases it never enters). Each name must be one of
     * the harness's phase_<name>_ms CSV columns (harness/breakdown.c). */
    const char *const *phases;

    /* ---- backward directions (docs/design.md §14); all NULL/0 when the
     * algorithm has none: its rows are then UNSUPPORTED. A plan is made
     * for one direction of a problem and takes no tensors: weights change
     * every training step, so weight-side transforms (and, for bwd_w, the
     * transforms of x and dy) belong in execute. workspace_bytes, destroy
     * and impl serve these plans too. p->bias is true exactly for bwd_wb. */
    /* Pure: may this algorithm run direction dir (not CONV_DIR_FWD) of p? */
    conv_status (*supports_bwd)(const conv_problem *p, conv_dir dir, char *why,
                                size_t len);
    conv_status (*plan_bwd)(const conv_problem *p, conv_dir dir,
                            const conv_ctx *ctx, conv_plan **out);
    /* bwd_d: dx (N x IC x IH x IW) from w and dy (N x OC x OH x OW); every
     * element of dx written, positions no output reads with 0. */
    conv_status (*execute_bwd_d)(conv_plan *plan, const float *w,
                                 const float *dy, float *dx);
    /* bwd_w: dw (OC x IC/G x KH x KW) from x and dy; bwd_wb also db (OC),
     * which is NULL for bwd_w. */
    conv_status (*execute_bwd_w)(conv_plan *plan, const float *x,
                                 const float *dy, float *dw, float *db);
    /* Bounds on docs/design.md §4's error per direction (exact, above,
     * applies to every direction). */
    double tolerance_bwd_d, tolerance_bwd_w;
} conv_algo;

/* Plugins (docs/design.md §12): a shared library built against this header
 * alone exports `const conv_plugin conv_plugin_entry = {CONV_ABI_VERSION, n,
 * algos};` and is loaded with `convbench --plugin FILE.so`. The version
 * changes whenever a struct above changes layout. */
#define CONV_ABI_VERSION 2
typedef struct conv_plugin {
    int abi_version;               /* CONV_ABI_VERSION built against */
    int count;                     /* entries in algos, at least 1    */
    const conv_algo *const *algos; /* names unique across all algos   */
} conv_plugin;

/* Registry (algorithms/registry.c). */
typedef struct conv_algo_entry {
    const char *name;
    const conv_algo *algo; /* NULL when compiled out (weak symbol) */
    const char *missing;   /* why, when algo is NULL */
} conv_algo_entry;

extern const conv_algo_entry conv_algos[];
extern const int conv_algo_count;
const conv_algo_entry *conv_algo_find(const char *name);

/* Helpers every algorithm may use; inline, so a plugin needs nothing from
 * the harness. */
static inline int64_t conv_flops(const conv_problem *p)
{
    return 2LL * p->n * p->oc * p->oh * p->ow * (int64_t)(p->ic / p->g) *
           p->kh * p->kw;
}
/* Formatted reason into why (NULL-safe); returns s for chaining. */
static inline conv_status conv_why(char *why, size_t len, conv_status s,
                                   const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline conv_status conv_why(char *why, size_t len, conv_status s,
                                   const char *fmt, ...)
{
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return s;
}

#endif
