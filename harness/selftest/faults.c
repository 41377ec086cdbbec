/* The fault catalogue (docs/design.md §10): deliberately wrong algorithms that
 * `convbench selftest` must see caught. All are one correct base, a direct
 * convolution over 2x2 output tiles written for the catalogue (it shares
 * nothing with reference/ or algorithms/), with one piece replaced: a plan
 * that edits one field of the base's plan, or an execute that runs the base
 * and then does the one wrong thing. The selftest runs the base itself as
 * well, so the fault is the only difference from an algorithm that passes.
 * None of this is in the registry: it never shows in `list` or a run. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "selftest/selftest.h"

/* ---- the base: direct convolution, 2x2 output tiles, static split ---- */

#define TILE 2

struct conv_plan {
    conv_problem p; /* the tensors: layout of x and y */
    conv_problem q; /* the geometry the loops use (= p in the base): pads,
                     * strides, dilations, bias, rows and columns written */
    float *w, *b;   /* copies of the weights and bias */
    int threads;
    int gstep;  /* input channels from one group's input to the next */
    long tiles; /* tiles per output channel image */
    /* Work items per thread out of items: ceil(items / nthr). */
    long (*share)(long items, int nthr);
    float *extra; /* a fault's own state, extra_bytes long */
    size_t extra_bytes;
    long runs;
};

static long share_ceil(long items, int nthr)
{
    return (items + nthr - 1) / nthr;
}

static conv_status base_supports(const conv_problem *p, char *why, size_t len)
{
    (void)p, (void)why, (void)len;
    return CONV_OK;
}

static void base_destroy(conv_plan *pl)
{
    if (!pl) return;
    free(pl->w), free(pl->b), free(pl->extra), free(pl);
}

static size_t w_elems(const conv_problem *p)
{
    return (size_t)p->oc * (p->ic / p->g) * p->kh * p->kw;
}

static conv_status base_plan(const conv_problem *p, const float *w,
                             const float *b, const conv_ctx *ctx,
                             conv_plan **out)
{
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl) return CONV_NOMEM;
    pl->p = pl->q = *p;
    pl->w = malloc(w_elems(p) * sizeof(float));
    pl->b = p->bias ? malloc((size_t)p->oc * sizeof(float)) : NULL;
    if (!pl->w || (p->bias && !pl->b)) {
        base_destroy(pl);
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                        "allocating weights failed");
    }
    memcpy(pl->w, w, w_elems(p) * sizeof(float));
    if (p->bias) memcpy(pl->b, b, (size_t)p->oc * sizeof(float));
    pl->threads = ctx->threads > 0 ? ctx->threads : omp_get_max_threads();
    pl->gstep = p->ic / p->g;
    pl->tiles = (long)((p->oh + TILE - 1) / TILE) * ((p->ow + TILE - 1) / TILE);
    pl->share = share_ceil;
    *out = pl;
    return CONV_OK;
}

static float base_elem(const conv_plan *pl, const float *xg, const float *wo,
                       int r, int c)
{
    const conv_problem *p = &pl->p, *q = &pl->q;
    float acc = 0;
    for (int ci = 0; ci < p->ic / p->g; ci++)
        for (int i = 0; i < p->kh; i++) {
            const int ih = r * q->sh - q->pt + i * q->dh;
            if (ih < 0 || ih >= p->ih) continue;
            for (int j = 0; j < p->kw; j++) {
                const int iw = c * q->sw - q->pl + j * q->dw;
                if (iw < 0 || iw >= p->iw) continue;
                acc += xg[((size_t)ci * p->ih + ih) * p->iw + iw] *
                       wo[((size_t)ci * p->kh + i) * p->kw + j];
            }
        }
    return acc;
}

/* Work item: one 2x2 tile of one (image, output channel). */
static void base_tile(const conv_plan *pl, const float *x, float *y, long it)
{
    const conv_problem *p = &pl->p, *q = &pl->q;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const int tw = (p->ow + TILE - 1) / TILE;
    const long t = it % pl->tiles, img = it / pl->tiles;
    const int n = (int)(img / p->oc), o = (int)(img % p->oc), g = o / ocg;
    const float *xg =
        x + ((size_t)n * p->ic + (size_t)g * pl->gstep) * p->ih * p->iw;
    const float *wo = pl->w + (size_t)o * icg * p->kh * p->kw;
    float *yo = y + (size_t)img * p->oh * p->ow;
    const int r0 = (int)(t / tw) * TILE, c0 = (int)(t % tw) * TILE;
    for (int r = r0; r < r0 + TILE && r < q->oh; r++)
        for (int c = c0; c < c0 + TILE && c < q->ow; c++)
            yo[(size_t)r * p->ow + c] =
                (q->bias ? pl->b[o] : 0.0f) + base_elem(pl, xg, wo, r, c);
}

static conv_status base_execute(conv_plan *pl, const float *x, float *y)
{
    const conv_problem *p = &pl->p;
    const long items = (long)p->n * p->oc * pl->tiles;
#pragma omp parallel num_threads(pl->threads)
    {
        const long per = pl->share(items, omp_get_num_threads());
        const long first = omp_get_thread_num() * per;
        for (long it = first; it < first + per && it < items; it++)
            base_tile(pl, x, y, it);
    }
    return CONV_OK;
}

static size_t base_workspace(const conv_plan *pl)
{
    return sizeof *pl + w_elems(&pl->p) * sizeof(float) +
           (pl->p.bias ? (size_t)pl->p.oc * sizeof(float) : 0) +
           pl->extra_bytes;
}

/* ---- the faults: one replaced piece each --------------------------------
 * FAULT_PLAN(name) defines name_plan: the base's plan, then `edit` on it. */
#define FAULT_PLAN(name, edit)                                                 \
    static conv_status name##_plan(const conv_problem *p, const float *w,      \
                                   const float *b, const conv_ctx *ctx,        \
                                   conv_plan **out)                            \
    {                                                                          \
        conv_status st = base_plan(p, w, b, ctx, out);                         \
        conv_plan *pl = st == CONV_OK ? *out : NULL;                           \
        if (pl) edit;                                                          \
        return st;                                                             \
    }
/* FAULT_EXEC(name) defines name_exec: the base's execute, then `after`. */
#define FAULT_EXEC(name, after)                                                \
    static conv_status name##_exec(conv_plan *pl, const float *x, float *y)    \
    {                                                                          \
        const size_t ye = conv_y_elems(&pl->p);                                \
        (void)ye, (void)x;                                                     \
        conv_status st = base_execute(pl, x, y);                               \
        after;                                                                 \
        return st;                                                             \
    }

static void swap_int(int *a, int *b)
{
    int t = *a;
    *a = *b;
    *b = t;
}

FAULT_PLAN(pad_tb, swap_int(&pl->q.pt, &pl->q.pb))
FAULT_PLAN(pad_lr, swap_int(&pl->q.pl, &pl->q.pr))
FAULT_PLAN(stride_axis, swap_int(&pl->q.sh, &pl->q.sw))
FAULT_PLAN(dil_w, pl->q.dw = 1)
FAULT_PLAN(last_row, pl->q.oh = pl->p.oh - 1)
FAULT_PLAN(last_col, pl->q.ow = pl->p.ow - 1)
FAULT_PLAN(last_tile, pl->tiles--)
FAULT_PLAN(no_bias, pl->q.bias = false)
FAULT_PLAN(group0, pl->gstep = 0)

/* True convolution: each kernel reversed in both axes, i.e. the flat
 * KH*KW block reversed. */
static void flip_kernels(conv_plan *pl)
{
    const size_t k = (size_t)pl->p.kh * pl->p.kw;
    for (size_t at = 0; at < w_elems(&pl->p); at += k)
        for (size_t i = 0; i < k / 2; i++) {
            float t = pl->w[at + i];
            pl->w[at + i] = pl->w[at + k - 1 - i];
            pl->w[at + k - 1 - i] = t;
        }
}
FAULT_PLAN(flipped, flip_kernels(pl))

/* Every weight and bias off by 10x the base's tolerance (1e-5): a wrong
 * constant, an error spread over all outputs. */
static void scale_weights(conv_plan *pl)
{
    const float s = 1 + 10 * 1e-5f;
    for (size_t i = 0; i < w_elems(&pl->p); i++) pl->w[i] *= s;
    for (int o = 0; pl->p.bias && o < pl->p.oc; o++) pl->b[o] *= s;
}
FAULT_PLAN(err10x, scale_weights(pl))

/* The per-thread share rounded down: the remainder is nobody's when the
 * items do not divide by the thread count (always with one thread). */
static long share_floor(long items, int nthr)
{
    return items / nthr;
}
FAULT_PLAN(threads, pl->share = share_floor)

/* An output accumulator zeroed in plan() only: right once, then doubled. */
static void add_accumulator(conv_plan *pl)
{
    pl->extra_bytes = conv_y_elems(&pl->p) * sizeof(float);
    pl->extra = calloc(1, pl->extra_bytes);
    if (!pl->extra) pl->extra_bytes = 0; /* then stale_exec does nothing */
}
FAULT_PLAN(stale, add_accumulator(pl))
FAULT_EXEC(
    stale, for (size_t i = 0; pl->extra && i < ye; i++) {
        pl->extra[i] += y[i];
        y[i] = pl->extra[i];
    })

/* A result "cache": the second call with the same plan returns at once. */
static conv_status cached_exec(conv_plan *pl, const float *x, float *y)
{
    return pl->runs++ ? CONV_OK : base_execute(pl, x, y);
}

FAULT_EXEC(bias2, for (size_t i = 0; pl->p.bias && i < ye; i++) y[i] +=
                  pl->b[i / ((size_t)pl->p.oh * pl->p.ow) % pl->p.oc])
FAULT_EXEC(ulp, y[ye / 2] = nextafterf(y[ye / 2], INFINITY))
FAULT_EXEC(nan1, y[ye / 2] = NAN)
FAULT_EXEC(past_end, y[ye] = y[ye - 1])
FAULT_EXEC(before_start, y[-1] = y[0])
/* Input used as scratch: const cast away, x[0] bumped. */
FAULT_EXEC(writes_x, ((float *)x)[0] += 1.0f)
/* The caller's weights written by plan() after it took its copy: the
 * output stays right, only the checksum of every input sees it. */
FAULT_PLAN(writes_w, ((float *)w)[0] += 1.0f)

static size_t ws_half(const conv_plan *pl)
{
    return base_workspace(pl) / 2;
}
static size_t ws_double(const conv_plan *pl)
{
    return base_workspace(pl) * 2;
}

/* ---- the tables ---------------------------------------------------------
 * asym: pt 1 pb 2, pl 1 pr 3, sh 1 sw 2, dh 1 dw 2, odd sizes, two images.
 * groups: two groups, odd sizes. 1d: 45 work items (odd). wide: 256 KiB
 * of weights, so half or double of them is far beyond the slack. layer: a
 * real 3x3 layer, where the algorithms' plans (Winograd's per-thread
 * scratch, im2col's column buffer) are large enough that their workspace
 * accounting shows. */
const conv_selftest_problem conv_selftest_problems[] = {
    {"asym", "mb2ic3ih11iw13oc4oh12ow7kh3kw3sh1sw2ph1pw1dh0dw1n\"asym\"", true},
    {"groups", "g2mb1ic4ih7iw7oc6oh7ow7kh3kw3ph1pw1n\"groups\"", true},
    {"1d", "mb1ic3iw17oc5ow17kw5pw2n\"1d\"", true},
    {"wide", "mb1ic256ih2iw2oc256oh2ow2kh1kw1n\"wide\"", false},
    {"layer", "mb1ic64ih28iw28oc64oh28ow28kh3kw3ph1pw1n\"layer\"", true},
};
const int conv_selftest_problem_count =
    (int)(sizeof conv_selftest_problems / sizeof conv_selftest_problems[0]);

#define BASE_ALGO(fault_name)                                                  \
    .name = fault_name, .supports = base_supports, .plan = base_plan,          \
    .execute = base_execute, .workspace_bytes = base_workspace,                \
    .destroy = base_destroy, .tolerance = 1e-5, .exact = true

const conv_algo conv_fault_base = {BASE_ALGO("fault_base")};

#define I CONV_FILL_INT
#define R CONV_FILL_REAL
/* Each row: what is wrong; the base with the one replaced piece; the runs
 * that must catch it (and, for two faults, the run that must not). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const conv_fault conv_faults[] = {
    {"top and bottom padding swapped",
     {BASE_ALGO("pad_tb_swapped"), .plan = pad_tb_plan},
     {{"asym", I, 2, "not bit-exact"}}},
    {"left and right padding swapped",
     {BASE_ALGO("pad_lr_swapped"), .plan = pad_lr_plan},
     {{"asym", I, 2, "not bit-exact"}}},
    {"stride of H used on W and of W on H",
     {BASE_ALGO("stride_wrong_axis"), .plan = stride_axis_plan},
     {{"asym", I, 2, "not bit-exact"}}},
    {"dilation of W ignored",
     {BASE_ALGO("dilation_w_ignored"), .plan = dil_w_plan},
     {{"asym", I, 2, "not bit-exact"}}},
    {"last output row left unwritten",
     {BASE_ALGO("last_row_unwritten"), .plan = last_row_plan},
     {{"asym", I, 2, "NaN"}}},
    {"last output column left unwritten",
     {BASE_ALGO("last_col_unwritten"), .plan = last_col_plan},
     {{"asym", I, 2, "NaN"}}},
    {"last 2x2 tile (bottom-right corner) left unwritten",
     {BASE_ALGO("last_tile_unwritten"), .plan = last_tile_plan},
     {{"groups", I, 2, "NaN"}}},
    {"bias dropped",
     {BASE_ALGO("bias_dropped"), .plan = no_bias_plan},
     {{"asym", I, 2, "not bit-exact"}}},
    {"bias added twice",
     {BASE_ALGO("bias_twice"), .execute = bias2_exec},
     {{"asym", I, 2, "not bit-exact"}}},
    {"every group reads group 0's input",
     {BASE_ALGO("groups_read_group0"), .plan = group0_plan},
     {{"groups", I, 2, "not bit-exact"}}},
    {"kernel flipped (true convolution, not cross-correlation)",
     {BASE_ALGO("kernel_flipped"), .plan = flipped_plan},
     {{"asym", I, 2, "not bit-exact"}}},
    {"one output one ulp off: wrong under int fill, within tolerance real",
     {BASE_ALGO("one_ulp_off"), .execute = ulp_exec},
     {{"asym", I, 2, "not bit-exact"}, {"asym", R, 2, NULL}}},
    {"relative error 10x the tolerance on every output",
     {BASE_ALGO("error_10x_tolerance"), .plan = err10x_plan},
     {{"asym", R, 2, "over tolerance"}}},
    {"a single NaN output",
     {BASE_ALGO("single_nan"), .execute = nan1_exec},
     {{"1d", I, 2, "NaN"}}},
    {"accumulator zeroed in plan() only: right once, wrong after",
     {BASE_ALGO("stale_accumulator"), .plan = stale_plan,
      .execute = stale_exec},
     {{"asym", I, 2, "second run"}}},
    {"result cached: a second execute returns without writing y",
     {BASE_ALGO("cached_result"), .execute = cached_exec},
     {{"asym", I, 2, "second run"}}},
    {"writes one element past the end of y",
     {BASE_ALGO("write_past_end"), .execute = past_end_exec},
     {{"1d", I, 2, "guard after y"}}},
    {"writes one element before the start of y",
     {BASE_ALGO("write_before_start"), .execute = before_start_exec},
     {{"1d", I, 2, "guard before y"}}},
    {"modifies its (const) input",
     {BASE_ALGO("input_modified"), .execute = writes_x_exec},
     {{"1d", I, 2, "input modified: x"}}},
    {"plan() modifies its (const) weights",
     {BASE_ALGO("weights_modified"), .plan = writes_w_plan},
     {{"groups", I, 2, "input modified: w"}}},
    {"work split rounds down: wrong only with more than one thread",
     {BASE_ALGO("multithread_only"), .plan = threads_plan},
     {{"1d", I, 2, "NaN"}, {"1d", I, 1, NULL}}},
    {"workspace_bytes declares half of what plan() holds",
     {BASE_ALGO("workspace_half"), .workspace_bytes = ws_half},
     {{"wide", I, 2, "workspace"}}},
    {"workspace_bytes declares twice what plan() holds",
     {BASE_ALGO("workspace_double"), .workspace_bytes = ws_double},
     {{"wide", I, 2, "workspace"}}},
};
#pragma GCC diagnostic pop
const int conv_fault_count = (int)(sizeof conv_faults / sizeof conv_faults[0]);
