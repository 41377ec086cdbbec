/* The verification stage (DESIGN §4): data and reference once per problem,
 * then per algorithm supports, plan, two poisoned runs with every check
 * (and, for bench, the timing stage).
 *
 * What a verified run checks, in this order; the first failure FAILS the
 * row and the reason names it:
 *   guard   CONV_GUARD floats of a known pattern before and after y and x,
 *           inside the same allocation (so a stray write lands in memory we
 *           own and are watching, and AddressSanitizer stays quiet), must
 *           come back untouched;
 *   input   x (const for every algorithm) must hash as it was filled;
 *   output  no NaN, bit for bit under int fill for exact algorithms,
 *           otherwise max_rel_err within the declared tolerance.
 * The second run re-poisons y and runs the same plan again: state left
 * over from the first run (a buffer not re-zeroed, a result cached) shows.
 * For load_input/store_output algorithms (onednn_native) the guards watch
 * the x and y handed to those calls; the plan's native buffers are the
 * library's and out of our sight.
 *
 * Then the plan's memory: the bytes malloc holds after plan() minus before
 * (every library in the process allocates through it), against the
 * algorithm's workspace_bytes. Memory a library maps itself (mmap) is not
 * seen. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "reference.h"

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
static size_t held_bytes(void)
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
static bool workspace_agrees(size_t declared, size_t measured)
{
    const size_t big = declared > measured ? declared : measured;
    const size_t diff =
        declared > measured ? declared - measured : measured - declared;
    return diff <= big / 10 + ((size_t)64 << 10);
}

void conv_data_free(conv_data *d)
{
    free(d->xbuf), free(d->w), free(d->b), free(d->ybuf);
    free(d->yref), free(d->mag);
    d->x = d->w = d->b = d->y = d->xbuf = d->ybuf = NULL;
    d->yref = d->mag = NULL;
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

static void fill_data(conv_data *d)
{
    const conv_problem *p = &d->p;
    conv_fill_tensors(p, d->fill, d->seed, d->x, d->w, d->b);
    d->xsum = checksum(d->x, conv_x_elems(p));
    set_guards(d->xbuf, conv_x_elems(p));
}

conv_status conv_data_alloc(conv_data *d, const conv_problem *p, conv_fill fill,
                            unsigned long long seed)
{
    conv_data_free(d);
    d->p = *p;
    d->fill = fill;
    d->seed = seed;
    size_t xe = conv_x_elems(p), we = conv_w_elems(p), ye = conv_y_elems(p);
    d->xbuf = malloc((xe + 2 * CONV_GUARD) * sizeof(float));
    d->w = malloc(we * sizeof(float));
    d->b = malloc((size_t)p->oc * sizeof(float));
    d->ybuf = malloc((ye + 2 * CONV_GUARD) * sizeof(float));
    d->yref = malloc(ye * sizeof(double));
    d->mag = malloc(ye * sizeof(double));
    if (!d->xbuf || !d->w || !d->b || !d->ybuf || !d->yref || !d->mag) {
        conv_data_free(d);
        return CONV_NOMEM;
    }
    d->x = d->xbuf + CONV_GUARD;
    d->y = d->ybuf + CONV_GUARD;
    fill_data(d);
    conv_reference(p, d->x, d->w, p->bias ? d->b : NULL, d->yref, d->mag);
    return CONV_OK;
}

/* DESIGN §4: |y - ref| / (sum of |x*w| over the taps + |b|); where that sum
 * is 0 the output must equal the reference exactly. NaN never passes: it
 * is counted in r->nans. r->worst is the first NaN, else the largest
 * error. */
void conv_check_output(const conv_data *d, bool bit_exact, conv_row *r)
{
    const size_t ye = conv_y_elems(&d->p);
    double max_abs = 0, max_rel = 0;
    size_t nans = 0, worst = 0;
    for (size_t i = 0; i < ye; i++) {
        double y = d->y[i], ref = d->yref[i], e = fabs(y - ref);
        if (isnan(y)) {
            if (!nans++) worst = i;
            e = INFINITY;
        }
        if (bit_exact && d->y[i] != (float)ref) e = e > 0 ? e : INFINITY;
        double rel = d->mag[i] > 0 ? e / d->mag[i] : (e > 0 ? INFINITY : 0);
        if (bit_exact && e > 0) rel = INFINITY;
        if (e > max_abs) max_abs = e;
        if (rel > max_rel) {
            max_rel = rel;
            if (!nans) worst = i;
        }
    }
    r->max_abs = max_abs;
    r->max_rel = max_rel;
    r->nans = nans;
    r->worst = worst;
}

const char *conv_status_name(conv_status s)
{
    static const char *names[] = {"OK", "INVALID", "UNSUPPORTED", "NOMEM",
                                  "BACKEND"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s]
                                                        : "UNKNOWN STATUS";
}

/* "y[n,c,h,w]" (or "y[n,c,w]" for 1D) of flat index i. */
static void y_index(const conv_problem *p, size_t i, char *buf, size_t len)
{
    const size_t ow = (size_t)p->ow, oh = (size_t)p->oh, oc = (size_t)p->oc;
    const size_t w = i % ow, h = i / ow % oh, c = i / ow / oh % oc,
                 n = i / ow / oh / oc;
    if (p->is_1d)
        snprintf(buf, len, "y[%zu,%zu,%zu]", n, c, w);
    else
        snprintf(buf, len, "y[%zu,%zu,%zu,%zu]", n, c, h, w);
}

/* One poisoned run of the plan and its checks; run names it in the reason
 * ("" for the first, "second run: "). False when the row is decided. */
static bool verified_run(const conv_algo *a, conv_plan *pl, conv_data *d,
                         bool bit_exact, const char *run, conv_row *r)
{
    const conv_problem *p = &d->p;
    const size_t ye = conv_y_elems(p), xe = conv_x_elems(p);
    for (size_t i = 0; i < ye; i++) d->y[i] = NAN;
    set_guards(d->ybuf, ye);
    const char *step;
    conv_status st = conv_run_once(a, pl, d->x, d->y, &step);
    if (st != CONV_OK) {
        r->status = "ERROR";
        snprintf(r->reason, sizeof r->reason, "%s%s: %s", run, step,
                 conv_status_name(st));
        return false;
    }
    long long at;
    const bool ybad = guard_broken(d->ybuf, ye, &at);
    if (ybad || guard_broken(d->xbuf, xe, &at)) {
        r->status = "FAILED";
        snprintf(r->reason, sizeof r->reason,
                 "%sguard %s %s overwritten (at %s[%lld])", run,
                 at < 0 ? "before" : "after", ybad ? "y" : "x",
                 ybad ? "y" : "x", at);
        if (!ybad) fill_data(d); /* the next algorithm gets clean x */
        return false;
    }
    if (checksum(d->x, xe) != d->xsum) {
        r->status = "FAILED";
        snprintf(r->reason, sizeof r->reason,
                 "%sinput modified: x differs after execute", run);
        fill_data(d);
        return false;
    }
    conv_check_output(d, bit_exact, r);
    char where[128];
    y_index(p, r->worst, where, sizeof where);
    if (r->nans) {
        r->status = "FAILED";
        snprintf(r->reason, sizeof r->reason,
                 "%s%zu NaN output(s) (unwritten or invalid), first at %s", run,
                 r->nans, where);
        return false;
    }
    if (!(r->max_rel <= r->tol)) {
        r->status = "FAILED";
        if (bit_exact)
            snprintf(r->reason, sizeof r->reason,
                     "%snot bit-exact under int fill (max_abs_err %.3g at %s)",
                     run, r->max_abs, where);
        else
            snprintf(r->reason, sizeof r->reason,
                     "%smax_rel_err %.3g over tolerance %.3g (max_abs_err "
                     "%.3g, worst at %s)",
                     run, r->max_rel, r->tol, r->max_abs, where);
        return false;
    }
    return true;
}

void conv_run_row(const conv_opts *o, bool timed, const conv_algo *a,
                  conv_data *d, const conv_ctx *ctx0, conv_row *r)
{
    char why[256] = "";
    conv_ctx ctx = *ctx0;
    ctx.why = why;
    ctx.why_len = sizeof why;
    conv_plan *pl = NULL;
    snprintf(r->impl, sizeof r->impl, "%s", a->name);
    if (a->supports(&d->p, why, sizeof why) != CONV_OK) {
        r->status = "UNSUPPORTED";
        snprintf(r->reason, sizeof r->reason, "%s", why);
        return;
    }
    const size_t held0 = held_bytes();
    double t0 = conv_now_ms();
    conv_status st = a->plan(&d->p, d->w, d->p.bias ? d->b : NULL, &ctx, &pl);
    r->plan_ms = conv_now_ms() - t0;
    const size_t held1 = held_bytes();
    if (st != CONV_OK) {
        /* A plan over the workspace cap is a "can't", not a "wrong". */
        r->status = st == CONV_NOMEM || st == CONV_UNSUPPORTED ? "UNSUPPORTED"
                                                               : "ERROR";
        snprintf(r->reason, sizeof r->reason, "plan: %s: %s",
                 conv_status_name(st), why[0] ? why : "no reason given");
        a->destroy(pl);
        return;
    }
    r->plan_alloc = held1 > held0 ? held1 - held0 : 0;
    if (a->impl && a->impl(pl))
        snprintf(r->impl, sizeof r->impl, "%s", a->impl(pl));
    r->workspace = a->workspace_bytes(pl);
    const bool bit_exact =
        a->exact && o->fill == CONV_FILL_INT && conv_fill_is_exact(&d->p);
    r->tol = bit_exact ? 0 : a->tolerance;
    if (!verified_run(a, pl, d, bit_exact, "", r) ||
        !verified_run(a, pl, d, bit_exact, "second run: ", r))
        goto cleanup;
    if (!a->library_memory && !workspace_agrees(r->workspace, r->plan_alloc)) {
        r->status = "FAILED";
        snprintf(r->reason, sizeof r->reason,
                 "workspace: plan() holds %zu bytes (measured), "
                 "workspace_bytes declares %zu",
                 r->plan_alloc, r->workspace);
        goto cleanup;
    }
    r->status = "PASSED";
    if (timed && (st = conv_time_runs(o, a, pl, d, r)) != CONV_OK) {
        r->status = "ERROR";
        snprintf(r->reason, sizeof r->reason, "timed execute: %s",
                 conv_status_name(st));
    }
cleanup:
    a->destroy(pl);
    /* Here rather than in run.c, so an isolated row's child does it too. */
    if (timed && o->breakdown && !strcmp(r->status, "PASSED"))
        conv_breakdown_row(o, a, d, ctx0, r);
}
