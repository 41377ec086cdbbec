/* The row driver: the only code that calls an algorithm's plan, execute
 * and destroy (and load_input, store_output). verify, bench, the
 * breakdown pass, selftest, isolated rows, exec and gbench all come here.
 *
 * A row, once its problem's tensors and reference exist (check.c):
 *   supports -> plan (timed, its memory measured) -> poison and guard ->
 *   execute -> check -> the same again (state left over from the first
 *   run shows) -> plan memory against workspace_bytes -> PASSED ->
 *   timed runs -> the breakdown pass.
 * The tensors an algorithm gets are bound by direction (binds[]): the
 * roles of conv_dirs to the arguments of conv.h's calls. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

/* ---- binding roles to conv.h's calls ------------------------------------ */

/* Each direction's calls, with the roles of conv_dirs as arguments. */
static conv_status plan_fwd(conv_bound *b, const conv_ctx *ctx)
{
    return b->a->plan(b->p, b->t[1], b->t[2], ctx, &b->pl);
}
static conv_status plan_bwd(conv_bound *b, const conv_ctx *ctx)
{
    return b->a->plan_bwd(b->p, b->dir, ctx, &b->pl);
}
static conv_status exec_fwd(conv_bound *b)
{
    return b->a->execute(b->pl, b->t[0], b->t[3]);
}
static conv_status exec_bwd_d(conv_bound *b)
{
    return b->a->execute_bwd_d(b->pl, b->t[0], b->t[1], b->t[2]);
}
static conv_status exec_bwd_w(conv_bound *b)
{
    return b->a->execute_bwd_w(b->pl, b->t[0], b->t[1], b->t[2], b->t[3]);
}
static const struct bind {
    conv_status (*plan)(conv_bound *b, const conv_ctx *ctx);
    conv_status (*execute)(conv_bound *b);
    int in, out; /* load_input's and store_output's roles (forward only) */
} binds[CONV_NDIRS] = {
    [CONV_DIR_FWD] = {plan_fwd, exec_fwd, 0, 3},
    [CONV_DIR_BWD_D] = {plan_bwd, exec_bwd_d, -1, -1},
    [CONV_DIR_BWD_W] = {plan_bwd, exec_bwd_w, -1, -1},
    [CONV_DIR_BWD_WB] = {plan_bwd, exec_bwd_w, -1, -1},
};

conv_status conv_supports(const conv_algo *a, const conv_problem *p,
                          conv_dir dir, char *why, size_t len)
{
    if (dir == CONV_DIR_FWD) return a->supports(p, why, len);
    /* the algorithm's own reason first, then whether it has the call */
    const conv_status st =
        a->supports_bwd ? a->supports_bwd(p, dir, why, len) : CONV_UNSUPPORTED;
    const bool has = dir == CONV_DIR_BWD_D ? a->execute_bwd_d != NULL
                                           : a->execute_bwd_w != NULL;
    if (st == CONV_OK && has) return CONV_OK;
    if (st != CONV_OK && a->supports_bwd) return st;
    return conv_why(why, len, CONV_UNSUPPORTED, "no %s implementation",
                    conv_dirs[dir].name);
}

double conv_tolerance(const conv_algo *a, conv_dir dir)
{
    return dir == CONV_DIR_FWD     ? a->tolerance
           : dir == CONV_DIR_BWD_D ? a->tolerance_bwd_d
                                   : a->tolerance_bwd_w;
}

conv_status conv_bound_plan(conv_bound *b, const conv_algo *a, conv_dir dir,
                            const conv_problem *p, float *const t[],
                            const conv_ctx *ctx)
{
    *b = (conv_bound){.a = a, .dir = dir, .p = p};
    memcpy(b->t, t, sizeof b->t);
    return binds[dir].plan(b, ctx);
}

conv_status conv_bound_execute(conv_bound *b)
{
    return binds[b->dir].execute(b);
}

conv_status conv_bound_run(conv_bound *b, const char **step)
{
    const conv_algo *a = b->a;
    const struct bind *k = &binds[b->dir];
    const bool io = k->in >= 0 && a->load_input;
    conv_status st = CONV_OK;
    *step = "load_input";
    if (io && (st = a->load_input(b->pl, b->t[k->in])) != CONV_OK) return st;
    *step = "execute";
    if ((st = conv_bound_execute(b)) != CONV_OK) return st;
    *step = "store_output";
    return io ? a->store_output(b->pl, b->t[k->out]) : CONV_OK;
}

const char *conv_bound_impl(const conv_bound *b)
{
    const char *s = b->a->impl && b->pl ? b->a->impl(b->pl) : NULL;
    return s ? s : b->a->name;
}

void conv_bound_destroy(conv_bound *b)
{
    if (b->a) b->a->destroy(b->pl);
    b->pl = NULL;
}

/* ---- the row ------------------------------------------------------------ */

void conv_row_init(conv_row *r, const char *algo, conv_dir dir,
                   const conv_shape *s, int threads)
{
    memset(r, 0, sizeof *r);
    r->algo = algo;
    r->dir = dir;
    r->p = conv_dir_problem(&s->p, dir);
    r->threads = threads;
    r->status = CONV_ROW_UNSUPPORTED;
    r->worst_tensor = -1;
    const char *file = conv_plugin_file(algo);
    snprintf(r->origin, sizeof r->origin, "%s", file ? file : "builtin");
    if (s->st == CONV_OK)
        conv_desc_format(&s->p, r->desc, sizeof r->desc);
    else
        snprintf(r->desc, sizeof r->desc, "%s", s->text);
    double *nan_fields[] = {&r->plan_ms,      &r->min_ms,     &r->median_ms,
                            &r->mean_ms,      &r->stddev_ms,  &r->gflops,
                            &r->max_abs,      &r->max_rel,    &r->tol,
                            &r->sgemm_gflops, &r->sgemm_frac, &r->median_ci};
    for (size_t i = 0; i < sizeof nan_fields / sizeof *nan_fields; i++)
        *nan_fields[i] = NAN;
    for (int i = 0; i < CONV_NPHASES; i++) r->phase_ms[i] = NAN;
}

static bool decide(conv_row *r, conv_row_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool decide(conv_row *r, conv_row_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    r->status = st;
    return false;
}

/* The output check's verdict; run names the run in the reason. */
static bool outputs_ok(conv_data *d, bool bit_exact, const char *run,
                       conv_row *r)
{
    char where[128];
    conv_check_outputs(d, bit_exact, r);
    conv_worst_name(d, r, where, sizeof where);
    if (r->nans)
        return decide(r, CONV_ROW_FAILED,
                      "%s%zu NaN output(s) (unwritten or invalid), first at %s",
                      run, r->nans, where);
    if (r->max_rel <= r->tol) return true;
    if (bit_exact)
        return decide(r, CONV_ROW_FAILED,
                      "%snot bit-exact under int fill (max_abs_err %.3g at %s)",
                      run, r->max_abs, where);
    return decide(r, CONV_ROW_FAILED,
                  "%smax_rel_err %.3g over tolerance %.3g (max_abs_err %.3g, "
                  "worst at %s)",
                  run, r->max_rel, r->tol, r->max_abs, where);
}

/* One poisoned run of the plan and its checks; run names it in the reason
 * ("" for the first, "second run: "). False when the row is decided. */
static bool verified_run(conv_bound *b, conv_data *d, bool bit_exact,
                         const char *run, conv_row *r)
{
    char why[200];
    const char *step;
    conv_data_poison(d);
    const conv_status st = conv_bound_run(b, &step);
    if (st != CONV_OK)
        return decide(r, CONV_ROW_ERROR, "%s%s: %s", run, step,
                      conv_status_name(st));
    if (!conv_data_intact(d, why, sizeof why))
        return decide(r, CONV_ROW_FAILED, "%s%s", run, why);
    return outputs_ok(d, bit_exact, run, r);
}

/* supports and plan, the plan's time and memory; false: row decided. */
static bool plan_row(conv_bound *b, const conv_algo *a, conv_data *d,
                     const conv_ctx *ctx, conv_row *r)
{
    char *why = ctx->why;
    if (conv_supports(a, &d->p, d->dir, why, ctx->why_len) != CONV_OK)
        return decide(r, CONV_ROW_UNSUPPORTED, "%s", why);
    const size_t held0 = conv_held_bytes();
    const double t0 = conv_now_ms();
    const conv_status st = conv_bound_plan(b, a, d->dir, &d->p, d->t, ctx);
    r->plan_ms = conv_now_ms() - t0;
    const size_t held1 = conv_held_bytes();
    if (st != CONV_OK) /* over the workspace cap is a "can't", not "wrong" */
        return decide(r,
                      st == CONV_NOMEM || st == CONV_UNSUPPORTED
                          ? CONV_ROW_UNSUPPORTED
                          : CONV_ROW_ERROR,
                      "plan: %s: %s", conv_status_name(st),
                      why[0] ? why : "no reason given");
    r->plan_alloc = held1 > held0 ? held1 - held0 : 0;
    snprintf(r->impl, sizeof r->impl, "%s", conv_bound_impl(b));
    r->workspace = a->workspace_bytes(b->pl);
    return true;
}

/* The timing loop (timing.c's rule): a warm-up, then measured runs. */
static bool time_row(const conv_opts *o, conv_bound *b, conv_data *d,
                     conv_row *r)
{
    conv_timer tm;
    conv_status st = conv_bound_execute(b); /* warm-up */
    if (st == CONV_OK) st = conv_timer_start(&tm, o, d);
    for (bool more = st == CONV_OK; more;) {
        if (o->cold_cache) conv_evict_caches();
        const double t0 = conv_now_ms();
        st = conv_bound_execute(b);
        const double t = conv_now_ms() - t0;
        more = st == CONV_OK && conv_timer_add(&tm, t, &st);
    }
    if (st != CONV_OK)
        return decide(r, CONV_ROW_ERROR, "timed execute: %s",
                      conv_status_name(st));
    conv_timer_finish(&tm, r);
    return true;
}

/* The breakdown pass: re-planned with the phase hook, one run checked
 * against the reference, then runs under --min-reps/--min-ms. A problem
 * leaves the phases NaN and says why; the row stays PASSED. */
static void breakdown_row(const conv_opts *o, const conv_algo *a, conv_data *d,
                          const conv_ctx *ctx0, conv_row *r)
{
    char why[256] = "", pwhy[256] = "";
    conv_bound b = {0};
    conv_ctx ctx = *ctx0;
    const char *step;
    if (!a->phases) return; /* no phases: the columns stay empty */
    conv_breakdown *bd = conv_breakdown_new(
        a, ctx0->threads > 0 ? ctx0->threads : 1, why, sizeof why);
    if (!bd) goto cleanup;
    ctx.why = pwhy, ctx.why_len = sizeof pwhy;
    ctx.phase_hook = conv_breakdown_hook(bd);
    conv_status st = conv_bound_plan(&b, a, d->dir, &d->p, d->t, &ctx);
    if (st != CONV_OK) {
        snprintf(why, sizeof why, "plan: %s: %s", conv_status_name(st), pwhy);
        goto cleanup;
    }
    /* The same path as the timed runs, or the phases describe another. */
    if (strcmp(conv_bound_impl(&b), r->impl)) {
        snprintf(why, sizeof why, "re-plan chose %s, the timed runs %s",
                 conv_bound_impl(&b), r->impl);
        goto cleanup;
    }
    /* The first run, with marks, must still give the verified output. */
    conv_data_poison(d);
    conv_breakdown_reset(bd);
    if ((st = conv_bound_run(&b, &step)) != CONV_OK) {
        snprintf(why, sizeof why, "%s: %s", step, conv_status_name(st));
        goto cleanup;
    }
    conv_row chk = *r;
    conv_check_outputs(d, r->tol == 0, &chk);
    if (!(chk.max_rel <= r->tol)) {
        snprintf(why, sizeof why, "output with the hook has max_rel_err %.3g",
                 chk.max_rel);
        goto cleanup;
    }
    if (!conv_breakdown_collect(bd, why, sizeof why)) goto cleanup;
    while (conv_breakdown_more(bd, o)) {
        conv_breakdown_reset(bd);
        if ((st = conv_bound_execute(&b)) != CONV_OK) {
            snprintf(why, sizeof why, "execute: %s", conv_status_name(st));
            goto cleanup;
        }
        if (!conv_breakdown_collect(bd, why, sizeof why)) goto cleanup;
    }
    conv_breakdown_finish(bd, r);
cleanup:
    if (why[0]) {
        fprintf(stderr, "convbench: --breakdown: %s on %s: %s\n", a->name,
                r->desc, why);
        snprintf(r->reason, sizeof r->reason, "breakdown: %s", why);
    }
    conv_bound_destroy(&b);
    conv_breakdown_free(bd);
}

void conv_row_run(const conv_opts *o, bool timed, const conv_algo *a,
                  conv_data *d, const conv_ctx *ctx0, conv_row *r)
{
    char why[256] = "";
    conv_ctx ctx = *ctx0;
    ctx.why = why, ctx.why_len = sizeof why;
    conv_bound b = {0};
    snprintf(r->impl, sizeof r->impl, "%s", a->name);
    if (!plan_row(&b, a, d, &ctx, r)) goto cleanup;
    const bool bit_exact = a->exact && d->fill == CONV_FILL_INT &&
                           conv_fill_is_exact(&d->p, d->dir);
    r->tol = bit_exact ? 0 : conv_tolerance(a, d->dir);
    if (!verified_run(&b, d, bit_exact, "", r) ||
        !verified_run(&b, d, bit_exact, "second run: ", r))
        goto cleanup;
    if (!a->library_memory &&
        !conv_workspace_agrees(r->workspace, r->plan_alloc)) {
        decide(r, CONV_ROW_FAILED,
               "workspace: plan() holds %zu bytes (measured), "
               "workspace_bytes declares %zu",
               r->plan_alloc, r->workspace);
        goto cleanup;
    }
    r->status = CONV_ROW_PASSED;
    if (timed) time_row(o, &b, d, r);
cleanup:
    conv_bound_destroy(&b);
    /* Every direction's execute marks the algorithm's one list of phases
     * (conv.h); those it never enters report 0. */
    if (timed && o->breakdown && r->status == CONV_ROW_PASSED)
        breakdown_row(o, a, d, ctx0, r);
}

conv_status conv_row_apply(const conv_algo *a, conv_dir dir,
                           const conv_problem *p, float *const t[],
                           const conv_ctx *ctx0, char *why, size_t len)
{
    conv_ctx ctx = *ctx0;
    ctx.why = why, ctx.why_len = len;
    conv_bound b = {0};
    const char *step;
    conv_status st = conv_supports(a, p, dir, why, len);
    if (st == CONV_OK &&
        (st = conv_bound_plan(&b, a, dir, p, t, &ctx)) != CONV_OK && !why[0])
        snprintf(why, len, "plan: no reason given");
    if (st == CONV_OK && (st = conv_bound_run(&b, &step)) != CONV_OK)
        snprintf(why, len, "%s: %s", step, conv_status_name(st));
    conv_bound_destroy(&b);
    return st;
}
