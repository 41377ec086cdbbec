/* A plain, correct loop nest shared by the test plugins, so that their rows
 * pass except where a plugin misbehaves on purpose. */
#include <stdlib.h>
#include <string.h>

#include "conv.h"

struct conv_plan {
    conv_problem p;
    float *w, *b;
    const conv_phase_hook *hook; /* for a plugin that marks phases */
};

static conv_status plain_supports(const conv_problem *p, char *why, size_t n)
{
    (void)p, (void)why, (void)n;
    return CONV_OK;
}

static void plain_destroy(conv_plan *pl)
{
    if (pl) free(pl->w), free(pl->b), free(pl);
}

static conv_status plain_plan(const conv_problem *p, const float *w,
                              const float *b, const conv_ctx *ctx,
                              conv_plan **out)
{
    const size_t wn = (size_t)p->oc * (p->ic / p->g) * p->kh * p->kw;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (pl) pl->w = malloc(wn * sizeof(float));
    if (pl) pl->b = calloc((size_t)p->oc, sizeof(float));
    if (!pl || !pl->w || !pl->b) {
        plain_destroy(pl);
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM, "out of memory");
    }
    pl->p = *p;
    pl->hook = ctx->phase_hook;
    memcpy(pl->w, w, wn * sizeof(float));
    if (b) memcpy(pl->b, b, (size_t)p->oc * sizeof(float));
    *out = pl;
    return CONV_OK;
}

static conv_status plain_execute(conv_plan *pl, const float *x, float *y)
{
    const conv_problem *p = &pl->p;
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++)
            for (int oy = 0; oy < p->oh; oy++)
                for (int ox = 0; ox < p->ow; ox++) {
                    float acc = pl->b[o];
                    for (int c = 0; c < icg; c++)
                        for (int i = 0; i < p->kh; i++)
                            for (int j = 0; j < p->kw; j++) {
                                int iy = oy * p->sh - p->pt + i * p->dh;
                                int ix = ox * p->sw - p->pl + j * p->dw;
                                if (iy < 0 || iy >= p->ih || ix < 0 ||
                                    ix >= p->iw)
                                    continue;
                                acc +=
                                    x[(((size_t)n * p->ic + o / ocg * icg + c) *
                                           p->ih +
                                       iy) *
                                          p->iw +
                                      ix] *
                                    pl->w[((size_t)(o * icg + c) * p->kh + i) *
                                              p->kw +
                                          j];
                            }
                    y[(((size_t)n * p->oc + o) * p->oh + oy) * p->ow + ox] =
                        acc;
                }
    return CONV_OK;
}

/* What plan() holds: the copies of w and b. */
static size_t plain_workspace(const conv_plan *pl)
{
    const conv_problem *p = &pl->p;
    return sizeof *pl +
           ((size_t)p->oc * (p->ic / p->g) * p->kh * p->kw + (size_t)p->oc) *
               sizeof(float);
}

#define PLAIN_ALGO(nm, exec)                                                   \
    {                                                                          \
        .name = nm, .supports = plain_supports, .plan = plain_plan,            \
        .execute = exec, .workspace_bytes = plain_workspace,                   \
        .destroy = plain_destroy, .tolerance = 1e-5, .exact = true             \
    }

/* Backward plans hold only the problem (and the hook); inline, so that a
 * plugin without backward directions does not warn of them unused. */
static inline conv_status
plain_supports_bwd(const conv_problem *p, conv_dir dir, char *why, size_t len)
{
    (void)p, (void)dir, (void)why, (void)len;
    return CONV_OK;
}

static inline conv_status plain_plan_bwd(const conv_problem *p, conv_dir dir,
                                         const conv_ctx *ctx, conv_plan **out)
{
    (void)dir;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return conv_why(ctx->why, ctx->why_len, CONV_NOMEM, "out of memory");
    pl->p = *p;
    pl->hook = ctx->phase_hook;
    *out = pl;
    return CONV_OK;
}
