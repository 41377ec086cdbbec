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
    /* backward (docs/design.md §14): the direction, and the pieces the
     * backward faults replace (all false in the base) */
    conv_dir dir;
    bool unread_unwritten, gap_filled, flipped, untransposed;
    bool one_image, group0, pad_off, no_db;
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
    if (pl->dir != CONV_DIR_FWD) return sizeof *pl + pl->extra_bytes;
    return sizeof *pl + w_elems(&pl->p) * sizeof(float) +
           (pl->p.bias ? (size_t)pl->p.oc * sizeof(float) : 0) +
           pl->extra_bytes;
}

/* ---- the backward base: direct loops, plane by plane ------------------ */

static conv_status base_supports_bwd(const conv_problem *p, conv_dir dir,
                                     char *why, size_t len)
{
    (void)p, (void)dir, (void)why, (void)len;
    return CONV_OK;
}

static conv_status base_plan_bwd(const conv_problem *p, conv_dir dir,
                                 const conv_ctx *ctx, conv_plan **out)
{
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                        "allocating the plan failed");
    pl->p = pl->q = *p;
    pl->dir = dir;
    pl->threads = ctx->threads > 0 ? ctx->threads : omp_get_max_threads();
    *out = pl;
    return CONV_OK;
}

/* Whether some output reads position at of an axis: t*s - pad + i*d ==
 * at for an output t < out and a tap i < k. */
static bool read_at(int at, int k, int d, int s, int pad, int out)
{
    for (int i = 0; i < k; i++) {
        const int v = at + pad - i * d;
        if (v >= 0 && v % s == 0 && v / s < out) return true;
    }
    return false;
}

/* One dx plane (image n, input channel ci): zeroed where read, then every
 * (output channel of the group, tap, output) scattered into it. */
static void bwd_d_plane(const conv_plan *pl, const float *w, const float *dy,
                        float *dx, int n, int ci)
{
    const conv_problem *p = &pl->p, *q = &pl->q;
    const int icg = p->ic / p->g, ocg = p->oc / p->g, g = ci / icg,
              c = ci % icg;
    float *xs = dx + ((size_t)n * p->ic + ci) * p->ih * p->iw;
    for (int h = 0; h < p->ih; h++)
        for (int v = 0; v < p->iw; v++) {
            const bool read = read_at(h, p->kh, p->dh, p->sh, p->pt, p->oh) &&
                              read_at(v, p->kw, p->dw, p->sw, p->pl, p->ow);
            if (read || !pl->unread_unwritten)
                xs[(size_t)h * p->iw + v] = read || !pl->gap_filled ? 0 : 1;
        }
    for (int oo = 0; oo < ocg; oo++) {
        const int o = g * ocg + oo;
        /* untransposed: the weights of (output c, input oo) */
        const size_t wi = pl->untransposed
                              ? ((size_t)(g * ocg + c % ocg) * icg + oo % icg)
                              : ((size_t)o * icg + c);
        const float *wk = w + wi * p->kh * p->kw;
        const float *ys = dy + ((size_t)n * p->oc + o) * p->oh * p->ow;
        for (int i = 0; i < p->kh; i++)
            for (int j = 0; j < p->kw; j++) {
                const float wv =
                    pl->flipped ? wk[(p->kh - 1 - i) * p->kw + p->kw - 1 - j]
                                : wk[i * p->kw + j];
                for (int r = 0; r < p->oh; r++) {
                    const int h = r * q->sh - q->pt + i * q->dh;
                    if (h < 0 || h >= p->ih) continue;
                    for (int t = 0; t < p->ow; t++) {
                        const int v = t * q->sw - q->pl + j * q->dw;
                        if (v < 0 || v >= p->iw) continue;
                        xs[(size_t)h * p->iw + v] +=
                            ys[(size_t)r * p->ow + t] * wv;
                    }
                }
            }
    }
}

static conv_status base_bwd_d(conv_plan *pl, const float *w, const float *dy,
                              float *dx)
{
    const conv_problem *p = &pl->p;
#pragma omp parallel for collapse(2) num_threads(pl->threads)
    for (int n = 0; n < p->n; n++)
        for (int ci = 0; ci < p->ic; ci++) bwd_d_plane(pl, w, dy, dx, n, ci);
    return CONV_OK;
}

/* dw[o, c, i, j] over the images (one_image: the first), x of the group
 * (group0: of group 0), the padding offset (pad_off: one row off). */
static float bwd_w_elem(const conv_plan *pl, const float *x, const float *dy,
                        int o, int c, int i, int j)
{
    const conv_problem *p = &pl->p, *q = &pl->q;
    const int icg = p->ic / p->g, g = pl->group0 ? 0 : o / (p->oc / p->g);
    const int pt = q->pt + (pl->pad_off ? 1 : 0);
    float acc = 0;
    for (int n = 0; n < (pl->one_image ? 1 : p->n); n++) {
        const float *xs =
            x + ((size_t)n * p->ic + (size_t)g * icg + c) * p->ih * p->iw;
        const float *ys = dy + ((size_t)n * p->oc + o) * p->oh * p->ow;
        for (int r = 0; r < p->oh; r++) {
            const int h = r * q->sh - pt + i * q->dh;
            if (h < 0 || h >= p->ih) continue;
            for (int t = 0; t < p->ow; t++) {
                const int v = t * q->sw - q->pl + j * q->dw;
                if (v < 0 || v >= p->iw) continue;
                acc += ys[(size_t)r * p->ow + t] * xs[(size_t)h * p->iw + v];
            }
        }
    }
    return acc;
}

static conv_status base_bwd_w(conv_plan *pl, const float *x, const float *dy,
                              float *dw, float *db)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g;
    const size_t oplane = (size_t)p->oh * p->ow;
#pragma omp parallel for collapse(2) num_threads(pl->threads)
    for (int o = 0; o < p->oc; o++)
        for (int c = 0; c < icg; c++)
            for (int i = 0; i < p->kh; i++)
                for (int j = 0; j < p->kw; j++)
                    dw[(((size_t)o * icg + c) * p->kh + i) * p->kw + j] =
                        bwd_w_elem(pl, x, dy, o, c, i, j);
    for (int o = 0; db && !pl->no_db && o < p->oc; o++) {
        float acc = 0;
        for (int n = 0; n < p->n; n++)
            for (size_t k = 0; k < oplane; k++)
                acc += dy[((size_t)n * p->oc + o) * oplane + k];
        db[o] = acc;
    }
    return CONV_OK;
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
/* FAULT_PLAN_BWD(name, field): the backward base's plan with one piece
 * (a field of the plan) replaced. */
#define FAULT_PLAN_BWD(name, field)                                            \
    static conv_status name##_plan_bwd(const conv_problem *p, conv_dir dir,    \
                                       const conv_ctx *ctx, conv_plan **out)   \
    {                                                                          \
        conv_status st = base_plan_bwd(p, dir, ctx, out);                      \
        if (st == CONV_OK) (*out)->field = true;                               \
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

FAULT_PLAN_BWD(unread, unread_unwritten)
FAULT_PLAN_BWD(gap_filled, gap_filled)
FAULT_PLAN_BWD(not_rotated, flipped)
FAULT_PLAN_BWD(untransposed, untransposed)
FAULT_PLAN_BWD(one_image, one_image)
FAULT_PLAN_BWD(one_group, group0)
FAULT_PLAN_BWD(pad_off, pad_off)
FAULT_PLAN_BWD(no_db, no_db)

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
    /* stride 3 over a 2-tall (1-wide) kernel: rows and columns of x no
     * output reads, where bwd_d must write 0 */
    {"gap", "mb2ic3ih11iw10oc4kh2kw1sh3sw3ph1n\"gap\"", true},
    /* IC/G = OC/G, so weights indexed with the channels untransposed stay
     * in bounds and are wrong */
    {"square", "g2mb2ic6ih7iw8oc6kh3kw2ph1pw1n\"square\"", false},
};
const int conv_selftest_problem_count =
    (int)(sizeof conv_selftest_problems / sizeof conv_selftest_problems[0]);

#define BASE_ALGO(fault_name)                                                  \
    .name = fault_name, .supports = base_supports, .plan = base_plan,          \
    .execute = base_execute, .workspace_bytes = base_workspace,                \
    .destroy = base_destroy, .tolerance = 1e-5, .exact = true,                 \
    .supports_bwd = base_supports_bwd, .plan_bwd = base_plan_bwd,              \
    .execute_bwd_d = base_bwd_d, .execute_bwd_w = base_bwd_w,                  \
    .tolerance_bwd_d = 1e-5, .tolerance_bwd_w = 1e-4

const conv_algo conv_fault_base = {BASE_ALGO("fault_base")};

#define I CONV_FILL_INT
#define R CONV_FILL_REAL
#define FWD CONV_DIR_FWD
#define BD CONV_DIR_BWD_D
#define BW CONV_DIR_BWD_W
#define BWB CONV_DIR_BWD_WB
/* Each row: what is wrong; the base with the one replaced piece; the runs
 * that must catch it (and, for two faults, the run that must not). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const conv_fault conv_faults[] = {
    {"top and bottom padding swapped",
     {BASE_ALGO("pad_tb_swapped"), .plan = pad_tb_plan},
     {{"asym", I, 2, "not bit-exact", FWD}}},
    {"left and right padding swapped",
     {BASE_ALGO("pad_lr_swapped"), .plan = pad_lr_plan},
     {{"asym", I, 2, "not bit-exact", FWD}}},
    {"stride of H used on W and of W on H",
     {BASE_ALGO("stride_wrong_axis"), .plan = stride_axis_plan},
     {{"asym", I, 2, "not bit-exact", FWD}}},
    {"dilation of W ignored",
     {BASE_ALGO("dilation_w_ignored"), .plan = dil_w_plan},
     {{"asym", I, 2, "not bit-exact", FWD}}},
    {"last output row left unwritten",
     {BASE_ALGO("last_row_unwritten"), .plan = last_row_plan},
     {{"asym", I, 2, "NaN", FWD}}},
    {"last output column left unwritten",
     {BASE_ALGO("last_col_unwritten"), .plan = last_col_plan},
     {{"asym", I, 2, "NaN", FWD}}},
    {"last 2x2 tile (bottom-right corner) left unwritten",
     {BASE_ALGO("last_tile_unwritten"), .plan = last_tile_plan},
     {{"groups", I, 2, "NaN", FWD}}},
    {"bias dropped",
     {BASE_ALGO("bias_dropped"), .plan = no_bias_plan},
     {{"asym", I, 2, "not bit-exact", FWD}}},
    {"bias added twice",
     {BASE_ALGO("bias_twice"), .execute = bias2_exec},
     {{"asym", I, 2, "not bit-exact", FWD}}},
    {"every group reads group 0's input",
     {BASE_ALGO("groups_read_group0"), .plan = group0_plan},
     {{"groups", I, 2, "not bit-exact", FWD}}},
    {"kernel flipped (true convolution, not cross-correlation)",
     {BASE_ALGO("kernel_flipped"), .plan = flipped_plan},
     {{"asym", I, 2, "not bit-exact", FWD}}},
    {"one output one ulp off: wrong under int fill, within tolerance real",
     {BASE_ALGO("one_ulp_off"), .execute = ulp_exec},
     {{"asym", I, 2, "not bit-exact", FWD}, {"asym", R, 2, NULL, FWD}}},
    {"relative error 10x the tolerance on every output",
     {BASE_ALGO("error_10x_tolerance"), .plan = err10x_plan},
     {{"asym", R, 2, "over tolerance", FWD}}},
    {"a single NaN output",
     {BASE_ALGO("single_nan"), .execute = nan1_exec},
     {{"1d", I, 2, "NaN", FWD}}},
    {"accumulator zeroed in plan() only: right once, wrong after",
     {BASE_ALGO("stale_accumulator"), .plan = stale_plan,
      .execute = stale_exec},
     {{"asym", I, 2, "second run", FWD}}},
    {"result cached: a second execute returns without writing y",
     {BASE_ALGO("cached_result"), .execute = cached_exec},
     {{"asym", I, 2, "second run", FWD}}},
    {"writes one element past the end of y",
     {BASE_ALGO("write_past_end"), .execute = past_end_exec},
     {{"1d", I, 2, "guard after y", FWD}}},
    {"writes one element before the start of y",
     {BASE_ALGO("write_before_start"), .execute = before_start_exec},
     {{"1d", I, 2, "guard before y", FWD}}},
    {"modifies its (const) input",
     {BASE_ALGO("input_modified"), .execute = writes_x_exec},
     {{"1d", I, 2, "input modified: x", FWD}}},
    {"plan() modifies its (const) weights",
     {BASE_ALGO("weights_modified"), .plan = writes_w_plan},
     {{"groups", I, 2, "input modified: w", FWD}}},
    {"work split rounds down: wrong only with more than one thread",
     {BASE_ALGO("multithread_only"), .plan = threads_plan},
     {{"1d", I, 2, "NaN", FWD}, {"1d", I, 1, NULL, FWD}}},
    {"workspace_bytes declares half of what plan() holds",
     {BASE_ALGO("workspace_half"), .workspace_bytes = ws_half},
     {{"wide", I, 2, "workspace", FWD}}},
    {"workspace_bytes declares twice what plan() holds",
     {BASE_ALGO("workspace_double"), .workspace_bytes = ws_double},
     {{"wide", I, 2, "workspace", FWD}}},
    /* backward (docs/design.md §14) */
    {"bwd_d leaves the positions of x no output reads unwritten",
     {BASE_ALGO("bwd_d_unread_unwritten"), .plan_bwd = unread_plan_bwd},
     {{"gap", I, 2, "NaN", BD}, {"groups", I, 2, NULL, BD}}},
    {"bwd_d fills the stride gaps (positions no output reads) with 1",
     {BASE_ALGO("bwd_d_gap_filled"), .plan_bwd = gap_filled_plan_bwd},
     {{"gap", I, 2, "not bit-exact", BD}, {"groups", I, 2, NULL, BD}}},
    {"bwd_d with the kernel not rotated",
     {BASE_ALGO("bwd_d_kernel_not_rotated"), .plan_bwd = not_rotated_plan_bwd},
     {{"asym", I, 2, "not bit-exact", BD}}},
    {"bwd_d with input and output channels not transposed per group",
     {BASE_ALGO("bwd_d_untransposed"), .plan_bwd = untransposed_plan_bwd},
     {{"square", I, 2, "not bit-exact", BD}}},
    {"bwd_w sums over the first image only",
     {BASE_ALGO("bwd_w_one_image"), .plan_bwd = one_image_plan_bwd},
     {{"asym", I, 2, "not bit-exact", BW}}},
    {"bwd_w reads group 0's input for every group",
     {BASE_ALGO("bwd_w_one_group"), .plan_bwd = one_group_plan_bwd},
     {{"groups", I, 2, "not bit-exact", BW}}},
    {"bwd_w with the top padding offset off by one",
     {BASE_ALGO("bwd_w_pad_off_by_one"), .plan_bwd = pad_off_plan_bwd},
     {{"asym", I, 2, "not bit-exact", BWB}}},
    {"bwd_wb leaves db unwritten",
     {BASE_ALGO("bwd_wb_db_missing"), .plan_bwd = no_db_plan_bwd},
     {{"groups", I, 2, "NaN output(s) (unwritten or invalid), first at db",
       BWB}}},
};
#pragma GCC diagnostic pop
const int conv_fault_count = (int)(sizeof conv_faults / sizeof conv_faults[0]);
