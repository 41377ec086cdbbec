/* The checks of a verified run (docs/design.md §4), over every tensor of
 * the direction by role (problem/tensors.c), and the tensors they watch:
 * made once per problem, with the reference, for all its algorithms.
 *
 * What the row driver (row.c) checks after each run, in this order; the
 * first failure FAILS the row and the reason names it:
 *   guard   CONV_GUARD floats of a known pattern before and after every
 *           tensor, inside the same allocation (so a stray write lands in
 *           memory we own and are watching, and AddressSanitizer stays
 *           quiet), must come back untouched: outputs first, then inputs;
 *   input   every input (const for every algorithm) must hash as filled;
 *   output  no NaN, bit for bit under int fill for exact algorithms,
 *           otherwise max_rel_err within the declared tolerance.
 * For load_input/store_output algorithms (onednn_native) the guards watch
 * the tensors handed to those calls; the plan's native buffers are the
 * library's and out of our sight.
 *
 * The plan's memory: the bytes malloc holds after plan() minus before
 * (every library in the process allocates through it), against the
 * algorithm's workspace_bytes. Memory a library maps itself (mmap) is not
 * seen. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "run/run.h"

#if defined(__SANITIZE_ADDRESS__)
#define CONV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONV_ASAN 1
#endif
#endif
#ifdef CONV_ASAN
/* From the sanitizer runtime (sanitizer/allocator_interface.h, which GCC
 * does not install). */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif

/* Bytes currently held by the allocator, from every thread's arena: the
 * in-use heap (uordblks) plus the mmap'ed chunks (hblkhd). Under ASan its
 * own allocator replaces glibc's and keeps the same count exactly. */
size_t conv_held_bytes(void)
{
#ifdef CONV_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
#endif
}

/* Declared and measured plan memory must agree within this: 10% of the
 * larger, plus 64 KiB for what the allocator and runtimes add (chunk
 * headers, page rounding of large blocks, OpenMP's first-use buffers). */
bool conv_workspace_agrees(size_t declared, size_t measured)
{
    const size_t big = declared > measured ? declared : measured;
    const size_t diff =
        declared > measured ? declared - measured : measured - declared;
    return diff <= big / 10 + ((size_t)64 << 10);
}

static unsigned long long checksum(const float *v, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], sizeof u);
        h = (h ^ u) * 0x100000001b3ULL;
    }
    return h;
}

/* The guard pattern: a different word at every position, not a float an
 * algorithm would plausibly write (a NaN with a payload). */
static uint32_t guard_word(size_t i)
{
    return 0x7fa5c3f0u ^ (uint32_t)(i * 0x9e3779b1u & 0x000fffffu);
}

static void set_guards(float *buf, size_t elems)
{
    for (size_t i = 0; i < CONV_GUARD; i++) {
        uint32_t a = guard_word(i), b = guard_word(i + CONV_GUARD);
        memcpy(&buf[i], &a, sizeof a);
        memcpy(&buf[CONV_GUARD + elems + i], &b, sizeof b);
    }
}

/* Index (relative to the tensor's first element) of the first guard word
 * changed, in *at; false when both guards are intact. */
static bool guard_broken(const float *buf, size_t elems, long long *at)
{
    for (size_t i = 0; i < CONV_GUARD; i++) {
        uint32_t u;
        memcpy(&u, &buf[CONV_GUARD - 1 - i], sizeof u);
        if (u != guard_word(CONV_GUARD - 1 - i)) {
            *at = -(long long)i - 1;
            return true;
        }
        memcpy(&u, &buf[CONV_GUARD + elems + i], sizeof u);
        if (u != guard_word(i + CONV_GUARD)) {
            *at = (long long)(elems + i);
            return true;
        }
    }
    return false;
}

/* The reference of each direction: one plain function each (reference/),
 * bound to the roles of conv_dirs. */
typedef void (*reference_fn)(const conv_problem *p, float *const t[],
                             double *const ref[], double *const mag[]);
static void ref_fwd(const conv_problem *p, float *const t[],
                    double *const ref[], double *const mag[])
{
    conv_reference(p, t[0], t[1], t[2], ref[3], mag[3]);
}
static void ref_bwd_d(const conv_problem *p, float *const t[],
                      double *const ref[], double *const mag[])
{
    conv_reference_bwd_d(p, t[0], t[1], ref[2], mag[2]);
}
static void ref_bwd_w(const conv_problem *p, float *const t[],
                      double *const ref[], double *const mag[])
{
    conv_reference_bwd_w(p, t[0], t[1], ref[2], mag[2], NULL, NULL);
}
static void ref_bwd_wb(const conv_problem *p, float *const t[],
                       double *const ref[], double *const mag[])
{
    conv_reference_bwd_w(p, t[0], t[1], ref[2], mag[2], ref[3], mag[3]);
}
static const reference_fn references[CONV_NDIRS] = {
    [CONV_DIR_FWD] = ref_fwd,
    [CONV_DIR_BWD_D] = ref_bwd_d,
    [CONV_DIR_BWD_W] = ref_bwd_w,
    [CONV_DIR_BWD_WB] = ref_bwd_wb,
};

void conv_reference_dir(const conv_problem *p, conv_dir dir, float *const t[],
                        double *const ref[], double *const mag[])
{
    references[dir](p, t, ref, mag);
}

static const conv_role *role(const conv_data *d, int k)
{
    return &conv_dirs[d->dir].t[k];
}

static void fill_inputs(conv_data *d)
{
    conv_fill_inputs(&d->p, d->dir, d->fill, d->seed, d->t);
    for (int k = 0; k < conv_dirs[d->dir].ntensors; k++)
        if (d->t[k] && !role(d, k)->output) {
            d->sum[k] = checksum(d->t[k], d->elems[k]);
            set_guards(d->buf[k], d->elems[k]);
        }
}

void conv_data_free(conv_data *d)
{
    for (int k = 0; k < CONV_MAX_TENSORS; k++) {
        free(d->buf[k]), free(d->ref[k]), free(d->mag[k]);
        d->buf[k] = d->t[k] = NULL;
        d->ref[k] = d->mag[k] = NULL;
    }
}

conv_status conv_data_alloc(conv_data *d, const conv_problem *p, conv_dir dir,
                            conv_fill fill, unsigned long long seed)
{
    conv_data_free(d);
    d->p = *p;
    d->dir = dir;
    d->fill = fill;
    d->seed = seed;
    for (int k = 0; k < conv_dirs[dir].ntensors; k++) {
        if (!conv_role_present(p, dir, k)) continue;
        const size_t e = conv_tensor_elems(p, role(d, k)->shape);
        d->elems[k] = e;
        d->buf[k] = malloc((e + 2 * CONV_GUARD) * sizeof(float));
        if (!d->buf[k]) goto nomem;
        d->t[k] = d->buf[k] + CONV_GUARD;
        if (!role(d, k)->output) continue;
        d->ref[k] = malloc(e * sizeof(double));
        d->mag[k] = malloc(e * sizeof(double));
        if (!d->ref[k] || !d->mag[k]) goto nomem;
    }
    fill_inputs(d);
    conv_reference_dir(p, dir, d->t, d->ref, d->mag);
    return CONV_OK;
nomem:
    conv_data_free(d);
    return CONV_NOMEM;
}

void conv_data_poison(conv_data *d)
{
    for (int k = 0; k < conv_dirs[d->dir].ntensors; k++)
        if (d->t[k] && role(d, k)->output) {
            for (size_t i = 0; i < d->elems[k]; i++) d->t[k][i] = NAN;
            set_guards(d->buf[k], d->elems[k]);
        }
}

bool conv_data_intact(conv_data *d, char *why, size_t len)
{
    const int nt = conv_dirs[d->dir].ntensors;
    long long at;
    for (int pass = 0; pass < 2; pass++) /* outputs, then inputs */
        for (int k = 0; k < nt; k++) {
            const conv_role *r = role(d, k);
            if (!d->t[k] || r->output != !pass) continue;
            if (guard_broken(d->buf[k], d->elems[k], &at)) {
                snprintf(why, len, "guard %s %s overwritten (at %s[%lld])",
                         at < 0 ? "before" : "after", r->name, r->name, at);
                if (!r->output) fill_inputs(d); /* clean for the next */
                return false;
            }
        }
    for (int k = 0; k < nt; k++)
        if (d->t[k] && !role(d, k)->output &&
            checksum(d->t[k], d->elems[k]) != d->sum[k]) {
            snprintf(why, len, "input modified: %s differs after execute",
                     role(d, k)->name);
            fill_inputs(d);
            return false;
        }
    return true;
}

/* docs/design.md §4: |got - ref| / (sum of |terms| of its sum); where that
 * sum is 0 the output must equal the reference exactly. NaN never passes:
 * it is counted in r->nans. r->worst is the first NaN, else the largest
 * error. */
void conv_check_outputs(const conv_data *d, bool bit_exact, conv_row *r)
{
    double max_abs = 0, max_rel = 0;
    size_t nans = 0, worst = 0;
    int worst_k = -1;
    for (int k = 0; k < conv_dirs[d->dir].ntensors; k++) {
        if (!d->t[k] || !role(d, k)->output) continue;
        const float *y = d->t[k];
        const double *ref = d->ref[k], *mag = d->mag[k];
        if (worst_k < 0) worst_k = k;
        for (size_t i = 0; i < d->elems[k]; i++) {
            double e = fabs(y[i] - ref[i]);
            if (isnan(y[i])) {
                if (!nans++) worst = i, worst_k = k;
                e = INFINITY;
            }
            if (bit_exact && y[i] != (float)ref[i]) e = e > 0 ? e : INFINITY;
            double rel = mag[i] > 0 ? e / mag[i] : (e > 0 ? INFINITY : 0);
            if (bit_exact && e > 0) rel = INFINITY;
            if (e > max_abs) max_abs = e;
            if (rel > max_rel) {
                max_rel = rel;
                if (!nans) worst = i, worst_k = k;
            }
        }
    }
    r->max_abs = max_abs;
    r->max_rel = max_rel;
    r->nans = nans;
    r->worst = worst;
    r->worst_tensor = worst_k;
}

/* "y[n,c,h,w]" (or "y[n,c,w]" for 1D; "b[o]") of the worst element. */
void conv_worst_name(const conv_data *d, const conv_row *r, char *buf,
                     size_t len)
{
    const int k = r->worst_tensor < 0 ? 0 : r->worst_tensor;
    size_t dims[4], idx[4], i = r->worst;
    const int nd = conv_tensor_dims(&d->p, role(d, k)->shape, dims);
    for (int j = nd - 1; j >= 0; j--) idx[j] = i % dims[j], i /= dims[j];
    int n = snprintf(buf, len, "%s[", role(d, k)->name);
    for (int j = 0; j < nd && n >= 0 && (size_t)n < len; j++)
        n += snprintf(buf + n, len - (size_t)n, "%zu%s", idx[j],
                      j + 1 < nd ? "," : "]");
}
