/* onednn, onednn_native: oneDNN's direct convolution primitives in every
 * direction (docs/design.md §14), fp32 with strict fpmath.
 *
 * Forward (inference): src/weights/dst formats are left to the library
 * ("any"), so it runs on its preferred blocked layout; the weights are
 * reordered once in plan(). onednn pays what a user holding NCHW tensors
 * pays: execute() reorders x into the library's layout, convolves and
 * reorders the output back into y (a reorder is skipped where the library
 * chose plain NCHW itself). onednn_native times the convolution alone: the
 * harness moves x in with load_input() and y out with store_output()
 * outside the timed region, and execute() runs only the primitive on the
 * plan's own buffers.
 *
 * Backward: bwd_d runs the backward-data primitive, bwd_w and bwd_wb the
 * backward-weights primitive (bwd_wb with the bias gradient), each created
 * with a forward-training primitive descriptor as its hint. onednn again
 * leaves the formats to the library and reorders inside execute(), since
 * training weights change every step: w and dy in, dx out (bwd_d); x and
 * dy in, dw out (bwd_w). The backward has no load_input/store_output, so
 * onednn_native cannot move data outside the timed region there; instead
 * it forces the plain layouts on the backward primitives, so its execute()
 * is again the primitive alone, on the caller's tensors: oneDNN's own
 * kernel for NCHW data, next to onednn's reorders around a blocked kernel.
 * The impl column names the kernel and its layout.
 *
 * Every primitive uses a user scratchpad allocated in plan(), so execute()
 * allocates no tensor memory and the plan's bytes are all counted (oneDNN's
 * dnnl_primitive_execute itself still mallocs ~7 small bookkeeping blocks
 * per call; the C API has no way around that). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "conv.h"

/* --breakdown phases (serial calls into the threaded library: thread 0
 * marks). onednn_native's conversions are outside execute(), and its
 * backward has none. */
enum { DN_REORDER_IN, DN_PRIMITIVE, DN_REORDER_OUT };
static const char *const onednn_phases[] = {"reorder_in", "primitive",
                                            "reorder_out", NULL};
enum { DN_NATIVE_PRIMITIVE };
static const char *const onednn_native_phases[] = {"primitive", NULL};

/* One tensor argument of the primitive: the caller's plain view and, where
 * the primitive wants another layout (or the plan keeps its own buffer
 * anyway), the plan's buffer and the reorder between the two. */
typedef struct dn_port {
    const char *name; /* in the workspace-cap reason */
    int arg;          /* the primitive's DNNL_ARG_* */
    dnnl_query_t q;   /* and its memory descriptor's query, index */
    int idx;          /*   (diff_bias: diff_weights_md 1) */
    bool out;         /* written: reordered own -> user after */
    bool keep;        /* own buffer even when the layouts agree */
    bool at_plan;     /* forward weights: reordered once, in plan() */
    dnnl_memory_desc_t user_md, prim_md;
    dnnl_memory_t user; /* handle set per call; NULL once at_plan is done */
    dnnl_memory_t own;  /* NULL: the primitive works on user */
    dnnl_primitive_desc_t rpd; /* the reorder's, during plan() only */
    dnnl_primitive_t reorder;
} dn_port;

/* Port order per direction: the order of the tensors execute gets. */
enum { FWD_X, FWD_Y, FWD_W };
enum { BWD_D_W, BWD_D_DY, BWD_D_DX };
enum { BWD_W_X, BWD_W_DY, BWD_W_DW, BWD_W_DB };
enum { DN_PORTS = 4 };

struct conv_plan {
    const conv_phase_hook *hook;
    bool native;
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    dnnl_primitive_t prim;
    dn_port port[DN_PORTS];
    int nports;
    dnnl_memory_t bia, scr; /* forward's bias copy, scratchpad; or NULL */
    size_t bytes;
    char impl[96];
};

/* Runs a oneDNN call; on failure names it and its status in why. A
 * configuration oneDNN does not implement is UNSUPPORTED, not an error. */
#define TRY(fn, args)                                                          \
    do {                                                                       \
        dnnl_status_t st_ = fn args;                                           \
        if (st_ != dnnl_success) {                                             \
            s = conv_why(why, len,                                             \
                         st_ == dnnl_unimplemented ? CONV_UNSUPPORTED          \
                                                   : CONV_BACKEND,             \
                         "%s: dnnl_status %d (%s)", #fn, (int)st_,             \
                         dnnl_status2str(st_));                                \
            goto cleanup;                                                      \
        }                                                                      \
    } while (0)

static conv_status onednn_supports(const conv_problem *p, char *why, size_t len)
{
    (void)p, (void)why, (void)len;
    return CONV_OK;
}

/* oneDNN has every direction for every configuration (its reference
 * kernels included); what it refuses, plan_bwd reports as UNSUPPORTED. */
static conv_status onednn_supports_bwd(const conv_problem *p, conv_dir dir,
                                       char *why, size_t len)
{
    (void)p, (void)dir, (void)why, (void)len;
    return CONV_OK;
}

static void onednn_destroy(conv_plan *pl)
{
    if (!pl) return;
    for (int k = 0; k < DN_PORTS; k++) {
        dn_port *pt = &pl->port[k];
        if (pt->reorder) dnnl_primitive_destroy(pt->reorder);
        if (pt->rpd) dnnl_primitive_desc_destroy(pt->rpd);
        if (pt->user) dnnl_memory_destroy(pt->user);
        if (pt->own) dnnl_memory_destroy(pt->own);
    }
    if (pl->prim) dnnl_primitive_destroy(pl->prim);
    if (pl->bia) dnnl_memory_destroy(pl->bia);
    if (pl->scr) dnnl_memory_destroy(pl->scr);
    if (pl->strm) dnnl_stream_destroy(pl->strm);
    if (pl->eng) dnnl_engine_destroy(pl->eng);
    free(pl);
}

/* ---- the problem in oneDNN's terms -------------------------------------- */

typedef struct dn_shape {
    int nd, wn; /* ranks of the activations and of the weights */
    dnnl_dims_t xd, yd, wd, bd, strides, dil, pad_l, pad_r;
    dnnl_format_tag_t act_tag, w_tag; /* the caller's plain layouts */
} dn_shape;

/* x, w, y as tagged (plain or "any"); b is always plain. */
typedef struct dn_mds {
    dnnl_memory_desc_t x, w, y, b;
} dn_mds;

static void shape_init(const conv_problem *p, dn_shape *sh)
{
    /* 1D problems use 3-D tensors (ncw) and one spatial dimension. */
    const int sp = p->is_1d ? 1 : 2;
    const bool grouped = p->g > 1;
    const int is[] = {p->ih, p->iw}, os[] = {p->oh, p->ow},
              ks[] = {p->kh, p->kw}, ss[] = {p->sh, p->sw},
              ds[] = {p->dh, p->dw}, pls[] = {p->pt, p->pl},
              prs[] = {p->pb, p->pr};
    memset(sh, 0, sizeof *sh);
    sh->nd = 2 + sp;
    sh->xd[0] = p->n, sh->xd[1] = p->ic;
    sh->yd[0] = p->n, sh->yd[1] = p->oc;
    sh->bd[0] = p->oc;
    int wn = 0;
    if (grouped) sh->wd[wn++] = p->g;
    sh->wd[wn++] = p->oc / p->g;
    sh->wd[wn++] = p->ic / p->g;
    for (int i = 0; i < sp; i++) {
        const int k = p->is_1d ? 1 : i; /* 1D: the w entries */
        sh->xd[2 + i] = is[k];
        sh->yd[2 + i] = os[k];
        sh->wd[wn++] = ks[k];
        sh->strides[i] = ss[k];
        sh->dil[i] = ds[k] - 1; /* oneDNN counts dilation from 0 */
        sh->pad_l[i] = pls[k];
        sh->pad_r[i] = prs[k];
    }
    sh->wn = wn;
    /* The caller's w (OC x IC/G x KH x KW) is already goihw when grouped. */
    sh->act_tag = p->is_1d ? dnnl_ncw : dnnl_nchw;
    sh->w_tag = p->is_1d ? (grouped ? dnnl_goiw : dnnl_oiw)
                         : (grouped ? dnnl_goihw : dnnl_oihw);
}

static dnnl_status_t make_mds(const dn_shape *sh, bool any, dn_mds *m)
{
    const dnnl_format_tag_t at = any ? dnnl_format_tag_any : sh->act_tag,
                            wt = any ? dnnl_format_tag_any : sh->w_tag;
    dnnl_status_t st =
        dnnl_memory_desc_init_by_tag(&m->x, sh->nd, sh->xd, dnnl_f32, at);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&m->w, sh->wn, sh->wd, dnnl_f32, wt);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&m->y, sh->nd, sh->yd, dnnl_f32, at);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&m->b, 1, sh->bd, dnnl_f32, dnnl_a);
    return st;
}

/* ---- plan pieces shared by every direction ------------------------------ */

static size_t scratch_bytes(const_dnnl_primitive_desc_t pd)
{
    const dnnl_memory_desc_t *md =
        pd ? dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)
           : NULL;
    return md ? dnnl_memory_desc_get_size(md) : 0;
}

/* The plan with its engine and stream, and the attributes every primitive
 * shares: a user scratchpad, and strict fpmath, which forbids implicit
 * bf16/f16 down-conversion even if the environment
 * (ONEDNN_DEFAULT_FPMATH_MODE) says otherwise. The caller destroys attr. */
static conv_status plan_begin(const conv_ctx *ctx, bool native, conv_plan **out,
                              dnnl_primitive_attr_t *attr)
{
    char *why = ctx->why;
    size_t len = ctx->why_len;
    conv_status s = CONV_OK;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl) return conv_why(why, len, CONV_NOMEM, "plan: out of memory");
    pl->hook = ctx->phase_hook;
    pl->native = native;
    TRY(dnnl_primitive_attr_create, (attr));
    TRY(dnnl_primitive_attr_set_scratchpad_mode,
        (*attr, dnnl_scratchpad_mode_user));
    TRY(dnnl_primitive_attr_set_fpmath_mode, (*attr, dnnl_fpmath_mode_strict));
    TRY(dnnl_engine_create, (&pl->eng, dnnl_cpu, 0));
    TRY(dnnl_stream_create, (&pl->strm, pl->eng, dnnl_stream_default_flags));
cleanup:
    if (s != CONV_OK) {
        onednn_destroy(pl);
        pl = NULL;
    }
    *out = pl;
    return s;
}

/* The ports spec[0..n) of the primitive pd: each learns the primitive's
 * layout and, where it needs a buffer of its own, its reorder's
 * descriptor. */
static conv_status add_ports(conv_plan *pl, const dn_port *spec, int n,
                             const_dnnl_primitive_desc_t pd,
                             const_dnnl_primitive_attr_t attr, char *why,
                             size_t len)
{
    conv_status s = CONV_OK;
    for (int k = 0; k < n; k++) {
        dn_port *pt = &pl->port[k];
        *pt = spec[k];
        const dnnl_memory_desc_t *md =
            dnnl_primitive_desc_query_md(pd, pt->q, pt->idx);
        if (!md) {
            s = conv_why(why, len, CONV_BACKEND,
                         "dnnl_primitive_desc_query_md: no %s md", pt->name);
            goto cleanup;
        }
        pt->prim_md = *md;
        pl->nports = k + 1;
        if (!pt->keep && dnnl_memory_desc_equal(md, &pt->user_md)) continue;
        const dnnl_memory_desc_t *from = pt->out ? md : &pt->user_md,
                                 *to = pt->out ? &pt->user_md : md;
        TRY(dnnl_reorder_primitive_desc_create,
            (&pt->rpd, from, pl->eng, to, pl->eng, attr));
    }
cleanup:
    return s;
}

/* The plan's bytes: the ports' own buffers, the forward's bias copy and one
 * scratchpad (*scr bytes; the primitives run one at a time on one stream).
 * Over the cap: NOMEM. */
static conv_status plan_size(conv_plan *pl, const_dnnl_primitive_desc_t pd,
                             size_t bias_b, const conv_ctx *ctx, size_t *scr)
{
    char list[256] = "";
    size_t at = 0;
    *scr = scratch_bytes(pd);
    pl->bytes = bias_b;
    for (int k = 0; k < pl->nports; k++) {
        const dn_port *pt = &pl->port[k];
        if (!pt->rpd) continue;
        const size_t r = scratch_bytes(pt->rpd),
                     b = dnnl_memory_desc_get_size(&pt->prim_md);
        *scr = r > *scr ? r : *scr;
        pl->bytes += b;
        const int n =
            snprintf(list + at, sizeof list - at, "%s %zu, ", pt->name, b);
        if (n > 0 && (size_t)n < sizeof list - at) at += (size_t)n;
    }
    pl->bytes += *scr;
    if (pl->bytes <= ctx->workspace_cap) return CONV_OK;
    return conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                    "needs %zu bytes (%sscratchpad %zu), cap %zu", pl->bytes,
                    list, *scr, ctx->workspace_cap);
}

/* The memories (the caller's views get their handles per call; setting a
 * handle on an unpadded memory is a pointer store), the primitive and the
 * ports' reorders. b_md: the forward's bias copy, or NULL. */
static conv_status plan_memory(conv_plan *pl, const_dnnl_primitive_desc_t pd,
                               size_t scr, const dnnl_memory_desc_t *b_md,
                               char *why, size_t len)
{
    conv_status s = CONV_OK;
    for (int k = 0; k < pl->nports; k++) {
        dn_port *pt = &pl->port[k];
        TRY(dnnl_memory_create,
            (&pt->user, &pt->user_md, pl->eng, DNNL_MEMORY_NONE));
        if (!pt->rpd) continue;
        TRY(dnnl_memory_create,
            (&pt->own, &pt->prim_md, pl->eng, DNNL_MEMORY_ALLOCATE));
        TRY(dnnl_primitive_create, (&pt->reorder, pt->rpd));
        dnnl_primitive_desc_destroy(pt->rpd);
        pt->rpd = NULL;
    }
    if (scr) {
        const dnnl_dims_t sd = {(dnnl_dim_t)scr};
        dnnl_memory_desc_t scr_md;
        TRY(dnnl_memory_desc_init_by_tag, (&scr_md, 1, sd, dnnl_u8, dnnl_a));
        TRY(dnnl_memory_create,
            (&pl->scr, &scr_md, pl->eng, DNNL_MEMORY_ALLOCATE));
    }
    if (b_md)
        TRY(dnnl_memory_create,
            (&pl->bia, b_md, pl->eng, DNNL_MEMORY_ALLOCATE));
    TRY(dnnl_primitive_create, (&pl->prim, pd));
cleanup:
    return s;
}

/* The layout as oneDNN spells its tags, e.g. "aBcd16b", for the impl
 * string: outer dimensions by falling stride (blocked ones in capitals),
 * then the inner blocks. */
static void layout_tag(const dnnl_memory_desc_t *md, char *buf, size_t len)
{
    const dnnl_blocking_desc_t *bd = &md->format_desc.blocking;
    const int nd = md->ndims;
    int order[DNNL_MAX_NDIMS];
    size_t at = 0;
    buf[0] = '\0';
    if (md->format_kind != dnnl_blocked || nd > DNNL_MAX_NDIMS) return;
    for (int i = 0; i < nd; i++) order[i] = i;
    for (int i = 1; i < nd; i++)
        for (int j = i;
             j > 0 && bd->strides[order[j]] > bd->strides[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < nd && at + 1 < len; i++) {
        bool blocked = false;
        for (int k = 0; k < bd->inner_nblks; k++)
            blocked |= bd->inner_idxs[k] == order[i];
        buf[at++] = (char)((blocked ? 'A' : 'a') + order[i]);
        buf[at] = '\0';
    }
    for (int k = 0; k < bd->inner_nblks && at < len; k++) {
        int n = snprintf(buf + at, len - at, "%d%c", (int)bd->inner_blks[k],
                         (char)('a' + bd->inner_idxs[k]));
        if (n < 0) break;
        at += (size_t)n;
    }
}

/* impl: the kernel's name and the layout of port xport, the x side of the
 * direction (src or diff_src). Direct only: a Winograd pick would not be
 * exact under int fill. */
static conv_status plan_impl(conv_plan *pl, const_dnnl_primitive_desc_t pd,
                             int xport, char *why, size_t len)
{
    conv_status s = CONV_OK;
    const char *info = NULL;
    TRY(dnnl_primitive_desc_query, (pd, dnnl_query_impl_info_str, 0, &info));
    if (info && strstr(info, "wino"))
        return conv_why(why, len, CONV_BACKEND,
                        "dnnl_primitive_desc_create: picked %s for a direct "
                        "convolution",
                        info);
    char tag[48];
    layout_tag(&pl->port[xport].prim_md, tag, sizeof tag);
    snprintf(pl->impl, sizeof pl->impl, "%s/%s", info ? info : "?", tag);
cleanup:
    return s;
}

/* Size, memory, primitives and impl, once the ports are added. */
static conv_status plan_finish(conv_plan *pl, const_dnnl_primitive_desc_t pd,
                               const dnnl_memory_desc_t *b_md, int xport,
                               const conv_ctx *ctx)
{
    size_t scr = 0;
    const size_t bias_b = b_md ? dnnl_memory_desc_get_size(b_md) : 0;
    conv_status s = plan_size(pl, pd, bias_b, ctx, &scr);
    if (s == CONV_OK)
        s = plan_memory(pl, pd, scr, b_md, ctx->why, ctx->why_len);
    if (s == CONV_OK) s = plan_impl(pl, pd, xport, ctx->why, ctx->why_len);
    return s;
}

/* ---- execution ---------------------------------------------------------- */

static dnnl_status_t run_reorder(conv_plan *pl, dnnl_primitive_t r,
                                 dnnl_memory_t from, dnnl_memory_t to)
{
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from},
                              {DNNL_ARG_TO, to},
                              {DNNL_ARG_SCRATCHPAD, pl->scr}};
    int nargs = pl->scr ? 3 : 2;
    dnnl_status_t st = dnnl_primitive_execute(r, pl->strm, nargs, args);
    return st == dnnl_success ? dnnl_stream_wait(pl->strm) : st;
}

/* The reorder of port k, in its direction. */
static dnnl_status_t reorder_port(conv_plan *pl, int k)
{
    dn_port *pt = &pl->port[k];
    return pt->out ? run_reorder(pl, pt->reorder, pt->own, pt->user)
                   : run_reorder(pl, pt->reorder, pt->user, pt->own);
}

/* Every port's reorder of the given direction (at_plan ones are done). */
static dnnl_status_t reorder_ports(conv_plan *pl, bool out)
{
    dnnl_status_t st = dnnl_success;
    for (int k = 0; k < pl->nports && st == dnnl_success; k++)
        if (pl->port[k].reorder && !pl->port[k].at_plan &&
            pl->port[k].out == out)
            st = reorder_port(pl, k);
    return st;
}

static dnnl_status_t run_primitive(conv_plan *pl)
{
    dnnl_exec_arg_t args[DN_PORTS + 2];
    int nargs = 0;
    for (int k = 0; k < pl->nports; k++) {
        const dn_port *pt = &pl->port[k];
        args[nargs++] =
            (dnnl_exec_arg_t){pt->arg, pt->own ? pt->own : pt->user};
    }
    if (pl->bia) args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, pl->bia};
    if (pl->scr)
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, pl->scr};
    dnnl_status_t st = dnnl_primitive_execute(pl->prim, pl->strm, nargs, args);
    return st == dnnl_success ? dnnl_stream_wait(pl->strm) : st;
}

/* The caller's tensors t[k], one per port in port order, through reorders
 * in, the primitive and reorders out. oneDNN only reads the inputs; its
 * handle type is not const. */
static conv_status run_ports(conv_plan *pl, void *const t[])
{
    conv_status s = CONV_BACKEND;
    /* native has no reorders here (bwd_plan checks): all is primitive. */
    const int ph_in = pl->native ? DN_NATIVE_PRIMITIVE : DN_REORDER_IN,
              ph_prim = pl->native ? DN_NATIVE_PRIMITIVE : DN_PRIMITIVE,
              ph_out = pl->native ? DN_NATIVE_PRIMITIVE : DN_REORDER_OUT;
    conv_phase_mark(pl->hook, 0, ph_in);
    for (int k = 0; k < pl->nports; k++)
        if (pl->port[k].user &&
            dnnl_memory_set_data_handle(pl->port[k].user, t[k]) != dnnl_success)
            goto cleanup;
    if (reorder_ports(pl, false) != dnnl_success) goto cleanup;
    conv_phase_mark(pl->hook, 0, ph_prim);
    if (run_primitive(pl) != dnnl_success) goto cleanup;
    conv_phase_mark(pl->hook, 0, ph_out);
    if (reorder_ports(pl, true) != dnnl_success) goto cleanup;
    s = CONV_OK;
cleanup:
    conv_phase_mark(pl->hook, 0, CONV_PHASE_END);
    return s;
}

/* ---- forward (inference) ------------------------------------------------ */

/* The weights reordered once into the plan's buffer, then the caller's
 * view of them and the reorder released; the bias copied. */
static conv_status fwd_constants(conv_plan *pl, const float *w, const float *b,
                                 const dnnl_memory_desc_t *b_md, char *why,
                                 size_t len)
{
    conv_status s = CONV_OK;
    dn_port *pt = &pl->port[FWD_W];
    /* The reorder only reads w; oneDNN's handle is not const. */
    TRY(dnnl_memory_set_data_handle, (pt->user, (void *)w));
    TRY(reorder_port, (pl, FWD_W));
    if (pl->bia) {
        void *h = NULL;
        TRY(dnnl_memory_get_data_handle, (pl->bia, &h));
        memcpy(h, b, dnnl_memory_desc_get_size(b_md));
    }
cleanup:
    if (pt->reorder) dnnl_primitive_destroy(pt->reorder);
    if (pt->user) dnnl_memory_destroy(pt->user);
    pt->reorder = NULL;
    pt->user = NULL;
    return s;
}

static conv_status fwd_plan(const conv_problem *p, const float *w,
                            const float *b, const conv_ctx *ctx, bool native,
                            conv_plan **out)
{
    char *why = ctx->why;
    size_t len = ctx->why_len;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    conv_plan *pl = NULL;
    dn_shape sh;
    dn_mds plain, any;
    dnnl_convolution_desc_t cd;
    shape_init(p, &sh);
    conv_status s = plan_begin(ctx, native, &pl, &attr);
    if (s != CONV_OK) goto cleanup;
    TRY(make_mds, (&sh, false, &plain));
    TRY(make_mds, (&sh, true, &any));
    const dnnl_memory_desc_t *b_md = p->bias ? &plain.b : NULL;
    TRY(dnnl_dilated_convolution_forward_desc_init,
        (&cd, dnnl_forward_inference, dnnl_convolution_direct, &any.x, &any.w,
         b_md, &any.y, sh.strides, sh.dil, sh.pad_l, sh.pad_r));
    TRY(dnnl_primitive_desc_create, (&pd, &cd, attr, pl->eng, NULL));
    /* native keeps its own buffers even when the layout is plain NCHW. */
    const dn_port ports[] = {
        [FWD_X] = {.name = "src",
                   .arg = DNNL_ARG_SRC,
                   .q = dnnl_query_src_md,
                   .keep = native,
                   .user_md = plain.x},
        [FWD_Y] = {.name = "dst",
                   .arg = DNNL_ARG_DST,
                   .q = dnnl_query_dst_md,
                   .out = true,
                   .keep = native,
                   .user_md = plain.y},
        [FWD_W] = {.name = "weights",
                   .arg = DNNL_ARG_WEIGHTS,
                   .q = dnnl_query_weights_md,
                   .keep = true,
                   .at_plan = true,
                   .user_md = plain.w},
    };
    s = add_ports(pl, ports, 3, pd, attr, why, len);
    if (s == CONV_OK) s = plan_finish(pl, pd, b_md, FWD_X, ctx);
    if (s == CONV_OK) s = fwd_constants(pl, w, b, b_md, why, len);
cleanup:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (s != CONV_OK) {
        onednn_destroy(pl);
        return s;
    }
    *out = pl;
    return CONV_OK;
}

static conv_status onednn_plan(const conv_problem *p, const float *w,
                               const float *b, const conv_ctx *ctx,
                               conv_plan **out)
{
    return fwd_plan(p, w, b, ctx, false, out);
}

static conv_status onednn_native_plan(const conv_problem *p, const float *w,
                                      const float *b, const conv_ctx *ctx,
                                      conv_plan **out)
{
    return fwd_plan(p, w, b, ctx, true, out);
}

static conv_status onednn_execute(conv_plan *pl, const float *x, float *y)
{
    void *const t[] = {[FWD_X] = (void *)x, [FWD_Y] = y, [FWD_W] = NULL};
    return run_ports(pl, t);
}

static conv_status onednn_native_load_input(conv_plan *pl, const float *x)
{
    if (dnnl_memory_set_data_handle(pl->port[FWD_X].user, (void *)x) !=
        dnnl_success)
        return CONV_BACKEND;
    return reorder_port(pl, FWD_X) == dnnl_success ? CONV_OK : CONV_BACKEND;
}

static conv_status onednn_native_execute(conv_plan *pl, const float *x,
                                         float *y)
{
    (void)x, (void)y;
    conv_phase_mark(pl->hook, 0, DN_NATIVE_PRIMITIVE);
    const dnnl_status_t st = run_primitive(pl);
    conv_phase_mark(pl->hook, 0, CONV_PHASE_END);
    return st == dnnl_success ? CONV_OK : CONV_BACKEND;
}

static conv_status onednn_native_store_output(conv_plan *pl, float *y)
{
    if (dnnl_memory_set_data_handle(pl->port[FWD_Y].user, y) != dnnl_success)
        return CONV_BACKEND;
    return reorder_port(pl, FWD_Y) == dnnl_success ? CONV_OK : CONV_BACKEND;
}

/* ---- backward ----------------------------------------------------------- */

/* The backward primitive descriptor of dir on the memory descriptors m,
 * hinted by a forward-training one on the same. */
static conv_status bwd_pd(const conv_problem *p, conv_dir dir,
                          const dn_shape *sh, const dn_mds *m, conv_plan *pl,
                          const_dnnl_primitive_attr_t attr,
                          dnnl_primitive_desc_t *pd, char *why, size_t len)
{
    conv_status s = CONV_OK;
    dnnl_primitive_desc_t hint = NULL;
    dnnl_convolution_desc_t fd, bd;
    const dnnl_memory_desc_t *b_md = p->bias ? &m->b : NULL;
    TRY(dnnl_dilated_convolution_forward_desc_init,
        (&fd, dnnl_forward_training, dnnl_convolution_direct, &m->x, &m->w,
         b_md, &m->y, sh->strides, sh->dil, sh->pad_l, sh->pad_r));
    TRY(dnnl_primitive_desc_create, (&hint, &fd, attr, pl->eng, NULL));
    if (dir == CONV_DIR_BWD_D)
        TRY(dnnl_dilated_convolution_backward_data_desc_init,
            (&bd, dnnl_convolution_direct, &m->x, &m->w, &m->y, sh->strides,
             sh->dil, sh->pad_l, sh->pad_r));
    else
        TRY(dnnl_dilated_convolution_backward_weights_desc_init,
            (&bd, dnnl_convolution_direct, &m->x, &m->w, b_md, &m->y,
             sh->strides, sh->dil, sh->pad_l, sh->pad_r));
    TRY(dnnl_primitive_desc_create, (pd, &bd, attr, pl->eng, hint));
cleanup:
    if (hint) dnnl_primitive_desc_destroy(hint);
    return s;
}

/* The ports of dir, in the order execute gets the tensors. native forced
 * the plain layouts, so none of its ports may need a reorder. */
static conv_status bwd_ports(conv_plan *pl, const conv_problem *p, conv_dir dir,
                             const dn_mds *plain,
                             const_dnnl_primitive_desc_t pd,
                             const_dnnl_primitive_attr_t attr, char *why,
                             size_t len)
{
    const dn_port data[] = {
        [BWD_D_W] = {.name = "weights",
                     .arg = DNNL_ARG_WEIGHTS,
                     .q = dnnl_query_weights_md,
                     .user_md = plain->w},
        [BWD_D_DY] = {.name = "diff_dst",
                      .arg = DNNL_ARG_DIFF_DST,
                      .q = dnnl_query_diff_dst_md,
                      .user_md = plain->y},
        [BWD_D_DX] = {.name = "diff_src",
                      .arg = DNNL_ARG_DIFF_SRC,
                      .q = dnnl_query_diff_src_md,
                      .out = true,
                      .user_md = plain->x},
    };
    const dn_port weights[] = {
        [BWD_W_X] = {.name = "src",
                     .arg = DNNL_ARG_SRC,
                     .q = dnnl_query_src_md,
                     .user_md = plain->x},
        [BWD_W_DY] = {.name = "diff_dst",
                      .arg = DNNL_ARG_DIFF_DST,
                      .q = dnnl_query_diff_dst_md,
                      .user_md = plain->y},
        [BWD_W_DW] = {.name = "diff_weights",
                      .arg = DNNL_ARG_DIFF_WEIGHTS,
                      .q = dnnl_query_diff_weights_md,
                      .out = true,
                      .user_md = plain->w},
        [BWD_W_DB] = {.name = "diff_bias",
                      .arg = DNNL_ARG_DIFF_BIAS,
                      .q = dnnl_query_diff_weights_md,
                      .idx = 1,
                      .out = true,
                      .user_md = plain->b},
    };
    const bool d = dir == CONV_DIR_BWD_D;
    conv_status s = add_ports(pl, d ? data : weights, d ? 3 : 3 + p->bias, pd,
                              attr, why, len);
    for (int k = 0; s == CONV_OK && pl->native && k < pl->nports; k++)
        if (pl->port[k].rpd)
            s = conv_why(why, len, CONV_BACKEND,
                         "the plain %s layout forced on the primitive came "
                         "back as another",
                         pl->port[k].name);
    return s;
}

/* onednn: formats "any", reorders from and to the caller's plain tensors
 * in execute(). native: the plain formats forced, no reorders. */
static conv_status bwd_plan(const conv_problem *p, conv_dir dir,
                            const conv_ctx *ctx, bool native, conv_plan **out)
{
    char *why = ctx->why;
    size_t len = ctx->why_len;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    conv_plan *pl = NULL;
    dn_shape sh;
    dn_mds plain, prim;
    shape_init(p, &sh);
    conv_status s = plan_begin(ctx, native, &pl, &attr);
    if (s != CONV_OK) goto cleanup;
    TRY(make_mds, (&sh, false, &plain));
    TRY(make_mds, (&sh, !native, &prim));
    s = bwd_pd(p, dir, &sh, &prim, pl, attr, &pd, why, len);
    if (s == CONV_OK) s = bwd_ports(pl, p, dir, &plain, pd, attr, why, len);
    if (s == CONV_OK)
        s = plan_finish(pl, pd, NULL,
                        dir == CONV_DIR_BWD_D ? BWD_D_DX : BWD_W_X, ctx);
cleanup:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (s != CONV_OK) {
        onednn_destroy(pl);
        return s;
    }
    *out = pl;
    return CONV_OK;
}

static conv_status onednn_plan_bwd(const conv_problem *p, conv_dir dir,
                                   const conv_ctx *ctx, conv_plan **out)
{
    return bwd_plan(p, dir, ctx, false, out);
}

static conv_status onednn_native_plan_bwd(const conv_problem *p, conv_dir dir,
                                          const conv_ctx *ctx, conv_plan **out)
{
    return bwd_plan(p, dir, ctx, true, out);
}

static conv_status onednn_bwd_d(conv_plan *pl, const float *w, const float *dy,
                                float *dx)
{
    void *const t[] = {
        [BWD_D_W] = (void *)w, [BWD_D_DY] = (void *)dy, [BWD_D_DX] = dx};
    return run_ports(pl, t);
}

/* db is NULL for bwd_w, whose plan has no diff_bias port. */
static conv_status onednn_bwd_w(conv_plan *pl, const float *x, const float *dy,
                                float *dw, float *db)
{
    void *const t[] = {[BWD_W_X] = (void *)x,
                       [BWD_W_DY] = (void *)dy,
                       [BWD_W_DW] = dw,
                       [BWD_W_DB] = db};
    return run_ports(pl, t);
}

static size_t onednn_workspace(const conv_plan *pl)
{
    return pl->bytes;
}

static const char *onednn_impl(const conv_plan *pl)
{
    return pl->impl;
}

/* Tolerance, forward: the largest docs/design.md §4 error measured under
 * real fill was 3.6e-7 (about 6 units of fp32 roundoff), over sweeps of
 * seeds 1-5, 7, 11 (300 problems each), every benchdnn shape set at --mb 1,
 * ResNet-50 at --mb 8 (K up to 4608) and the golden cases; 2e-6 leaves a 5x
 * margin for kernels (and summation orders) other CPUs select. Backward,
 * both variants: largest 3.3e-7 (bwd_d) and 3.5e-7 (bwd_w, bwd_wb) over
 * sweeps of seeds 1-3 (300 problems each, every build), the ResNet-50,
 * MobileNet-v1, AlexNet, dilated, 1d and default sets at --mb 1 and four
 * ResNet-50 layers at --mb 8 (bwd_w sums up to 100352 products), also with
 * oneDNN held to AVX2 and to SSE4.1 kernels (ONEDNN_MAX_CPU_ISA); the same
 * 2e-6 leaves a 5x margin. Exact: the kernels sum fp32 products in fp32
 * (direct only, strict fpmath), so integer fill with exact partial sums is
 * bit-exact whatever the order; measured so in every direction, with those
 * ISA limits too. */
#define ONEDNN_TOL 2e-6

const conv_algo conv_algo_onednn = {
    .name = "onednn",
    .supports = onednn_supports,
    .plan = onednn_plan,
    .execute = onednn_execute,
    .workspace_bytes = onednn_workspace,
    .destroy = onednn_destroy,
    .impl = onednn_impl,
    .tolerance = ONEDNN_TOL,
    .exact = true,
    /* The primitives and their JIT code are not in workspace_bytes. */
    .library_memory = true,
    .phases = onednn_phases,
    .supports_bwd = onednn_supports_bwd,
    .plan_bwd = onednn_plan_bwd,
    .execute_bwd_d = onednn_bwd_d,
    .execute_bwd_w = onednn_bwd_w,
    .tolerance_bwd_d = ONEDNN_TOL,
    .tolerance_bwd_w = ONEDNN_TOL,
};

const conv_algo conv_algo_onednn_native = {
    .name = "onednn_native",
    .supports = onednn_supports,
    .plan = onednn_native_plan,
    .execute = onednn_native_execute,
    .workspace_bytes = onednn_workspace,
    .destroy = onednn_destroy,
    .impl = onednn_impl,
    .tolerance = ONEDNN_TOL,
    .exact = true,
    .load_input = onednn_native_load_input,
    .store_output = onednn_native_store_output,
    .library_memory = true,
    .phases = onednn_native_phases,
    .supports_bwd = onednn_supports_bwd,
    .plan_bwd = onednn_native_plan_bwd,
    .execute_bwd_d = onednn_bwd_d,
    .execute_bwd_w = onednn_bwd_w,
    .tolerance_bwd_d = ONEDNN_TOL,
    .tolerance_bwd_w = ONEDNN_TOL,
};
