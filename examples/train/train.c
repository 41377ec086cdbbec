/* The textbook "learning a kernel" example, end to end, with every
 * algorithm that implements the directions a training step needs
 * (docs/design.md §14, docs/training.md):
 *
 *   part 1: a 6x8 image of ones with a black vertical stripe (columns
 *           2-5), target Y = corr(X, [1, -1]); a 1x2 kernel learned by 10
 *           steps of gradient descent on L = sum (Yhat - Y)^2, lr 3e-2:
 *           forward, dY = 2 (Yhat - Y), bwd_w -> dW, W -= lr dW;
 *   part 2: two layers, conv1 (1 -> 2 channels, 3x3, pad 1) and conv2
 *           (2 -> 1, 3x3, pad 1), no activation, learning the output of a
 *           fixed teacher pair of kernels: bwd_w of conv2, bwd_d through
 *           conv2 (dY1), bwd_w of conv1, SGD on both.
 *
 * Every pass goes through the harness's row driver (conv_row_apply), one
 * algorithm for all passes of a run. The check is the example's own: the
 * same training in double with plain loops, carrying beside each value a
 * bound on how far an algorithm's may be from it. Each pass may err by its
 * declared tolerance (conv_tolerance, per direction) times the sum of
 * |terms| of each element it writes (docs/design.md §4), each float
 * rounding the example itself does by FLT_EPSILON of its value; these
 * errors travel through the later passes, the loss and the updates as
 * affine forms (one unknown per error, signs kept, so the contraction of
 * gradient descent is kept too). The loss of every algorithm must lie
 * within that bound of the reference's at every step; exit 1 otherwise.
 *
 *   train [--plugin F.so]...   also trains a plugin's algorithms */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

#define STEPS 10
#define MAXE 128 /* elements of the largest tensor below (96) */
#define MAXL 2   /* layers */
#define MAXA (CONV_MAX_ALGOS + 8)
#define REPORT 4 /* the steps of the summary table */
static const int report_steps[REPORT] = {0, 1, 5, STEPS};

/* A chain of convolutions without bias: h[l+1] = corr(h[l], w[l]). */
typedef struct task {
    const char *title;
    int nl;
    conv_problem p[MAXL];
    double lr;
    double x[MAXE], y[MAXE]; /* input and target (floats' values) */
    double w0[MAXL][MAXE];   /* initial weights (floats' values) */
} task;

/* One training run: the loss after 0..STEPS updates, its bound, the
 * final weights. */
typedef struct curve {
    double loss[STEPS + 1], bound[STEPS + 1];
    double w[MAXL][MAXE];
} curve;

static size_t elems(const conv_problem *p, conv_tensor t)
{
    return conv_tensor_elems(p, t);
}

/* Deterministic values in [-1, 1) with 24 significant bits: exact in
 * float, so the algorithms and the reference start from the same ones. */
static double draw(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 40) / (double)(1 << 23) - 1.0;
}

/* ---- the reference: plain loops in double ------------------------------ */

/* The inputs and the output of direction dir, by role (conv_dirs): fwd
 * (x, w) -> y, bwd_d (w, dy) -> dx, bwd_w (x, dy) -> dw. */
static void dir_shapes(conv_dir dir, conv_tensor *a, conv_tensor *b,
                       conv_tensor *out)
{
    const conv_dir_info *di = &conv_dirs[dir];
    int nin = 0;
    for (int k = 0; k < di->ntensors; k++) {
        if (di->t[k].bias) continue;
        if (di->t[k].output)
            *out = di->t[k].shape;
        else
            *(nin++ ? b : a) = di->t[k].shape;
    }
}

/* The offset of [a, b, c, d] in a tensor of dims [., B, C, D]. */
static size_t at4(int a, int b, int c, int d, int nb, int nc, int nd)
{
    return (((size_t)a * nb + b) * nc + c) * nd + d;
}

/* out = direction dir of p on inputs a, b: every tap of docs/design.md
 * §1's relation adds one product to the output of its role. */
static void ref_pass(const conv_problem *p, conv_dir dir, const double *a,
                     const double *b, double *out)
{
    conv_tensor ta = CONV_X, tb = CONV_W, to = CONV_Y;
    dir_shapes(dir, &ta, &tb, &to);
    memset(out, 0, elems(p, to) * sizeof *out);
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    size_t at[4] = {0};
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++)
            for (int c = 0; c < icg; c++)
                for (int i = 0; i < p->kh; i++)
                    for (int j = 0; j < p->kw; j++)
                        for (int r = 0; r < p->oh; r++)
                            for (int q = 0; q < p->ow; q++) {
                                const int h = r * p->sh - p->pt + i * p->dh;
                                const int v = q * p->sw - p->pl + j * p->dw;
                                if (h < 0 || h >= p->ih || v < 0 || v >= p->iw)
                                    continue;
                                at[CONV_X] = at4(n, o / ocg * icg + c, h, v,
                                                 p->ic, p->ih, p->iw);
                                at[CONV_W] = at4(o, c, i, j, icg, p->kh, p->kw);
                                at[CONV_Y] =
                                    at4(n, o, r, q, p->oc, p->oh, p->ow);
                                out[at[to]] += a[at[ta]] * b[at[tb]];
                            }
}

/* ---- the bound: affine forms ------------------------------------------- */

/* A reference tensor and how far an algorithm's may be from it: the
 * algorithm's element k lies within
 *     v[k] + sum over symbols s of c[s * n + k] * e_s,   each |e_s| <= 1,
 * a symbol being one unknown error: of one element a pass wrote, or of one
 * float rounding the example does. Gradient descent contracts errors
 * through signs (W - lr dW takes back part of an error of W); the signed
 * coefficients keep that, where bounding each pass by absolute values
 * would grow the bound about threefold per step. */
typedef struct aff {
    size_t n;  /* elements */
    int ns;    /* symbols with a column here; the later ones are 0 */
    double *v; /* values */
    double *c; /* coefficients, a column of n per symbol */
} aff;

typedef struct affine {
    bool on;  /* false: values only (the plain reference) */
    int nsym; /* symbols made so far */
} affine;

static void aff_alloc(aff *t, size_t n)
{
    *t = (aff){.n = n, .v = calloc(n, sizeof(double))};
    if (!t->v) abort();
}

static void aff_free(aff *t)
{
    free(t->v);
    free(t->c);
}

/* Columns for ns symbols; those past the kept ones are zeroed. */
static void aff_columns(aff *t, int keep, int ns)
{
    double *c = realloc(t->c, ((size_t)ns * t->n + 1) * sizeof *c);
    if (!c) abort();
    memset(c + (size_t)keep * t->n, 0, (size_t)(ns - keep) * t->n * sizeof *c);
    t->c = c, t->ns = ns;
}

/* rad[k]: the bound on |error| of element k. */
static void aff_rad(const aff *t, double *rad)
{
    for (size_t k = 0; k < t->n; k++) rad[k] = 0;
    for (int s = 0; s < t->ns; s++)
        for (size_t k = 0; k < t->n; k++) rad[k] += fabs(t->c[s * t->n + k]);
}

/* A new symbol for each element k with a nonzero size[k]. */
static void aff_fresh(affine *x, aff *t, const double *size)
{
    int add = 0;
    for (size_t k = 0; k < t->n; k++) add += size[k] != 0;
    aff_columns(t, t->ns, x->nsym + add);
    for (size_t k = 0; k < t->n; k++)
        if (size[k] != 0) t->c[(size_t)x->nsym++ * t->n + k] = size[k];
}

static bool zero_column(const double *c, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (c[k] != 0) return false;
    return true;
}

/* out = direction dir on a, b, by an algorithm of tolerance tol: each
 * symbol's column carried through (the pass is bilinear), and for each
 * element a new one of tol times the sum of its terms' magnitudes (the
 * algorithm's claim, on its inputs a~, b~) plus the second-order term of
 * the inputs' errors. */
static void aff_pass(affine *x, const conv_problem *p, conv_dir dir, double tol,
                     const aff *a, const aff *b, aff *out)
{
    ref_pass(p, dir, a->v, b->v, out->v);
    if (!x->on) return;
    const size_t no = out->n;
    double *ra = malloc(a->n * sizeof *ra), *rb = malloc(b->n * sizeof *rb),
           *u = malloc(no * sizeof *u), *m = malloc(no * sizeof *m);
    if (!ra || !rb || !u || !m) abort();
    aff_columns(out, 0, a->ns > b->ns ? a->ns : b->ns);
    for (int s = 0; s < out->ns; s++) {
        double *col = out->c + (size_t)s * no;
        if (s < a->ns && !zero_column(a->c + s * a->n, a->n))
            ref_pass(p, dir, a->c + s * a->n, b->v, col);
        if (s < b->ns && !zero_column(b->c + s * b->n, b->n)) {
            ref_pass(p, dir, a->v, b->c + s * b->n, u);
            for (size_t k = 0; k < no; k++) col[k] += u[k];
        }
    }
    aff_rad(a, ra), aff_rad(b, rb);
    ref_pass(p, dir, ra, rb, m); /* second order */
    for (size_t k = 0; k < a->n; k++) ra[k] += fabs(a->v[k]);
    for (size_t k = 0; k < b->n; k++) rb[k] += fabs(b->v[k]);
    ref_pass(p, dir, ra, rb, u);
    for (size_t k = 0; k < no; k++) m[k] += tol * u[k];
    aff_fresh(x, out, m);
    free(ra), free(rb), free(u), free(m);
}

/* The loss of yhat against y, *bound on its error, and g = dY = 2 (yhat -
 * y) as the algorithms' runs round it to float. */
static double aff_loss(affine *x, const aff *yhat, const double *y, aff *g,
                       double *bound)
{
    const size_t n = yhat->n;
    double l = 0;
    for (size_t k = 0; k < n; k++) {
        const double r = yhat->v[k] - y[k];
        l += r * r;
        g->v[k] = 2 * r;
    }
    *bound = 0;
    if (!x->on) return l;
    double *rad = malloc(n * sizeof *rad);
    if (!rad) abort();
    aff_columns(g, 0, yhat->ns);
    for (int s = 0; s < yhat->ns; s++) {
        double d = 0;
        for (size_t k = 0; k < n; k++) {
            d += g->v[k] * yhat->c[s * n + k];
            g->c[s * n + k] = 2 * yhat->c[s * n + k];
        }
        *bound += fabs(d);
    }
    aff_rad(yhat, rad);
    for (size_t k = 0; k < n; k++) {
        *bound += rad[k] * rad[k];
        rad[k] = FLT_EPSILON * (fabs(g->v[k]) + 2 * rad[k]);
    }
    aff_fresh(x, g, rad);
    free(rad);
    return l;
}

/* w -= lr dw, which the algorithms' runs round to float. */
static void aff_update(affine *x, double lr, aff *w, const aff *dw)
{
    const size_t n = w->n;
    for (size_t k = 0; k < n; k++) w->v[k] -= lr * dw->v[k];
    if (!x->on) return;
    double *rad = malloc(n * sizeof *rad);
    if (!rad) abort();
    if (dw->ns > w->ns) aff_columns(w, w->ns, dw->ns);
    for (size_t k = 0; k < (size_t)dw->ns * n; k++) w->c[k] -= lr * dw->c[k];
    aff_rad(w, rad);
    for (size_t k = 0; k < n; k++)
        rad[k] = FLT_EPSILON * (fabs(w->v[k]) + rad[k]);
    aff_fresh(x, w, rad);
    free(rad);
}

/* The task trained in double; with tol (an algorithm's tolerance per
 * direction) also the bound on that algorithm's loss at each step. */
static void ref_train(const task *t, const double *tol, curve *c)
{
    affine x = {.on = tol != NULL};
    aff w[MAXL], dw[MAXL], h[MAXL + 1], g[MAXL + 1];
    const int nl = t->nl;
    aff_alloc(&h[0], elems(&t->p[0], CONV_X));
    memcpy(h[0].v, t->x, h[0].n * sizeof(double));
    for (int l = 0; l < nl; l++) {
        aff_alloc(&w[l], elems(&t->p[l], CONV_W));
        aff_alloc(&dw[l], w[l].n);
        aff_alloc(&h[l + 1], elems(&t->p[l], CONV_Y));
        aff_alloc(&g[l + 1], h[l + 1].n);
        memcpy(w[l].v, t->w0[l], w[l].n * sizeof(double));
    }
#define TOL(d) (tol ? tol[d] : 0)
    for (int s = 0; s <= STEPS; s++) {
        for (int l = 0; l < nl; l++)
            aff_pass(&x, &t->p[l], CONV_DIR_FWD, TOL(CONV_DIR_FWD), &h[l],
                     &w[l], &h[l + 1]);
        c->loss[s] = aff_loss(&x, &h[nl], t->y, &g[nl], &c->bound[s]);
        if (s == STEPS) break;
        for (int l = nl - 1; l >= 0; l--) {
            aff_pass(&x, &t->p[l], CONV_DIR_BWD_W, TOL(CONV_DIR_BWD_W), &h[l],
                     &g[l + 1], &dw[l]);
            if (l > 0)
                aff_pass(&x, &t->p[l], CONV_DIR_BWD_D, TOL(CONV_DIR_BWD_D),
                         &w[l], &g[l + 1], &g[l]);
        }
        for (int l = 0; l < nl; l++) aff_update(&x, t->lr, &w[l], &dw[l]);
    }
#undef TOL
    for (int l = 0; l < nl; l++) {
        memcpy(c->w[l], w[l].v, w[l].n * sizeof(double));
        aff_free(&w[l]), aff_free(&dw[l]), aff_free(&h[l + 1]);
        aff_free(&g[l + 1]);
    }
    aff_free(&h[0]);
}

/* ---- an algorithm, through the row driver ------------------------------ */

/* One pass of a on layer l of t at step s: the inputs and the output
 * bound to the roles of conv_dirs[dir] (a bias role, absent here, stays
 * NULL). On failure why names the step, the pass and the reason. */
static bool pass(const conv_algo *a, const task *t, int l, conv_dir dir, int s,
                 float *in0, float *in1, float *out, char *why, size_t len)
{
    const conv_problem p = conv_dir_problem(&t->p[l], dir);
    const conv_dir_info *di = &conv_dirs[dir];
    float *ts[CONV_MAX_TENSORS] = {0};
    int nin = 0;
    for (int k = 0; k < di->ntensors; k++)
        if (!di->t[k].bias) ts[k] = di->t[k].output ? out : nin++ ? in1 : in0;
    const conv_ctx ctx = {.threads = 1, .workspace_cap = (size_t)1 << 30};
    char r[256] = "";
    const conv_status st = conv_row_apply(a, dir, &p, ts, &ctx, r, sizeof r);
    if (st == CONV_OK) return true;
    snprintf(why, len, "step %d, %s of %s: %s: %s", s, di->name, p.name,
             conv_status_name(st), r[0] ? r : "no reason given");
    return false;
}

static void to_float(float *f, const double *d, size_t n)
{
    for (size_t k = 0; k < n; k++) f[k] = (float)d[k];
}

/* The loss of yhat and dY = 2 (yhat - y), as aff_loss. */
static double loss(size_t n, const float *yhat, const double *y, float *g)
{
    double l = 0;
    for (size_t k = 0; k < n; k++) {
        const double r = (double)yhat[k] - y[k];
        l += r * r;
        g[k] = (float)(2 * r);
    }
    return l;
}

/* The task trained by algorithm a, as ref_train; false (why) when a pass
 * failed. */
static bool algo_train(const task *t, const conv_algo *a, curve *c, char *why,
                       size_t len)
{
    float w[MAXL][MAXE], dw[MAXL][MAXE], h[MAXL + 1][MAXE], g[MAXL + 1][MAXE];
    const int nl = t->nl;
    for (int l = 0; l < nl; l++)
        to_float(w[l], t->w0[l], elems(&t->p[l], CONV_W));
    to_float(h[0], t->x, elems(&t->p[0], CONV_X));
    for (int s = 0; s <= STEPS; s++) {
        for (int l = 0; l < nl; l++)
            if (!pass(a, t, l, CONV_DIR_FWD, s, h[l], w[l], h[l + 1], why, len))
                return false;
        c->loss[s] = loss(elems(&t->p[nl - 1], CONV_Y), h[nl], t->y, g[nl]);
        if (s == STEPS) break;
        for (int l = nl - 1; l >= 0; l--) {
            if (!pass(a, t, l, CONV_DIR_BWD_W, s, h[l], g[l + 1], dw[l], why,
                      len) ||
                (l > 0 && !pass(a, t, l, CONV_DIR_BWD_D, s, w[l], g[l + 1],
                                g[l], why, len)))
                return false;
        }
        for (int l = 0; l < nl; l++)
            for (size_t k = 0; k < elems(&t->p[l], CONV_W); k++)
                w[l][k] = (float)((double)w[l][k] - t->lr * (double)dw[l][k]);
    }
    for (int l = 0; l < nl; l++)
        for (size_t k = 0; k < elems(&t->p[l], CONV_W); k++)
            c->w[l][k] = w[l][k];
    return true;
}

/* ---- the runs and their check ------------------------------------------ */

/* The algorithms to train with: every built-in one compiled in, then the
 * plugins'. */
static int algo_list(const conv_algo **v)
{
    int n = 0;
    for (int i = 0; i < conv_algo_count && n < MAXA; i++)
        if (conv_algos[i].algo) v[n++] = conv_algos[i].algo;
    for (int i = 0; i < conv_plugin_count() && n < MAXA; i++)
        v[n++] = conv_plugin_algo(i);
    return n;
}

/* Whether a runs every pass of t: the forward and bwd_w of each layer,
 * bwd_d of each but the first; why says which one it does not. */
static bool task_supported(const task *t, const conv_algo *a, char *why,
                           size_t len)
{
    for (int l = 0; l < t->nl; l++)
        for (int d = CONV_DIR_FWD; d <= CONV_DIR_BWD_W; d++) {
            if (d == CONV_DIR_BWD_D && l == 0) continue;
            const conv_problem p = conv_dir_problem(&t->p[l], (conv_dir)d);
            char r[256] = "";
            if (conv_supports(a, &p, (conv_dir)d, r, sizeof r) != CONV_OK) {
                snprintf(why, len, "%s of %s: %s", conv_dirs[d].name, p.name,
                         r[0] ? r : "no reason given");
                return false;
            }
        }
    return true;
}

/* One algorithm's result on a task. */
typedef struct result {
    const conv_algo *a;
    curve c;
    curve ref;    /* the reference with the bounds of a's tolerances */
    double worst; /* largest |loss - reference| / bound over the steps */
    int worst_step, first_bad; /* first_bad: -1 when none */
} result;

/* a's run against the reference trained with a's tolerances: every
 * step's loss within the bound. The reference's own rounding (double,
 * about 1e-16 of the loss) gets 1e-12 of it. */
static bool check_run(const task *t, result *r)
{
    double tol[CONV_NDIRS];
    for (int d = 0; d < CONV_NDIRS; d++)
        tol[d] = conv_tolerance(r->a, (conv_dir)d);
    ref_train(t, tol, &r->ref);
    r->worst = 0, r->worst_step = 0, r->first_bad = -1;
    for (int s = 0; s <= STEPS; s++) {
        r->ref.bound[s] += 1e-12 * r->ref.loss[s];
        const double q = fabs(r->c.loss[s] - r->ref.loss[s]) / r->ref.bound[s];
        if (!(q <= 1) && r->first_bad < 0) r->first_bad = s;
        if (!(q <= r->worst)) r->worst = q, r->worst_step = s;
    }
    return r->first_bad < 0;
}

/* The loss curves, one column per algorithm, and each one's verdict. */
static void print_runs(const curve *ref, const result *res, int nr)
{
    printf("  %4s  %14s", "step", "reference");
    for (int i = 0; i < nr; i++) printf("  %14s", res[i].a->name);
    printf("\n");
    for (int s = 0; s <= STEPS; s++) {
        printf("  %4d  %14.8g", s, ref->loss[s]);
        for (int i = 0; i < nr; i++) printf("  %14.8g", res[i].c.loss[s]);
        printf("\n");
    }
    for (int i = 0; i < nr; i++) {
        const result *r = &res[i];
        const int s = r->first_bad;
        if (s < 0)
            printf("  %s: every step within its bound (worst: |loss - "
                   "reference| = %.2g of the bound, step %d; bound at step "
                   "%d: %.2g of the loss)\n",
                   r->a->name, r->worst, r->worst_step, STEPS,
                   r->ref.bound[STEPS] / r->ref.loss[STEPS]);
        else
            printf("  %s: FAILED at step %d: loss %.9g, reference %.9g, "
                   "|difference| %.3g over the bound %.3g\n",
                   r->a->name, s, r->c.loss[s], r->ref.loss[s],
                   fabs(r->c.loss[s] - r->ref.loss[s]), r->ref.bound[s]);
    }
}

static void print_kernel(const char *what, const double *w, size_t n)
{
    printf("  %-28s [", what);
    for (size_t k = 0; k < n; k++) printf("%s%.6f", k ? ", " : "", w[k]);
    printf("]\n");
}

/* The learned weights, when there are few. */
static void print_weights(const task *t, const curve *ref, const result *res,
                          int nr)
{
    const size_t n = elems(&t->p[0], CONV_W);
    char what[64];
    if (t->nl != 1 || n > 4) return;
    print_kernel("kernel at the start", t->w0[0], n);
    for (int i = -1; i < nr; i++) {
        snprintf(what, sizeof what, "after %d steps, %s", STEPS,
                 i < 0 ? "reference" : res[i].a->name);
        print_kernel(what, (i < 0 ? ref : &res[i].c)->w[0], n);
    }
}

/* Trains t with every algorithm of v that supports it, against the
 * reference; *nr results in res. Returns the number of failures. */
static int run_task(const task *t, const conv_algo **v, int nv, curve *ref,
                    result *res, int *nr)
{
    int fails = 0;
    printf("%s (%d steps of gradient descent, lr %g)\n", t->title, STEPS,
           t->lr);
    for (int l = 0; l < t->nl; l++) {
        char d[256];
        conv_desc_format(&t->p[l], d, sizeof d);
        printf("  layer %d: %s\n", l + 1, d);
    }
    ref_train(t, NULL, ref);
    *nr = 0;
    for (int i = 0; i < nv; i++) {
        char why[512];
        result *r = &res[*nr];
        *r = (result){.a = v[i]};
        if (!task_supported(t, v[i], why, sizeof why)) {
            printf("  skip %s: %s\n", v[i]->name, why);
            continue;
        }
        if (!algo_train(t, v[i], &r->c, why, sizeof why)) {
            printf("  %s: ERROR: %s\n", v[i]->name, why);
            fails++;
            continue;
        }
        fails += !check_run(t, r);
        (*nr)++;
    }
    print_runs(ref, res, *nr);
    print_weights(t, ref, res, *nr);
    if (!*nr) {
        printf("  no algorithm runs every pass of this task\n");
        fails++;
    }
    printf("\n");
    return fails;
}

/* ---- the two tasks ----------------------------------------------------- */

static void parse(conv_problem *p, const char *desc)
{
    char err[256];
    if (conv_desc_parse(desc, 0, p, err, sizeof err) != CONV_OK) {
        fprintf(stderr, "train: %s: %s\n", desc, err);
        exit(CONV_EXIT_USAGE);
    }
}

/* 6x8, ones with a black vertical stripe in columns 2-5. */
static void edge_image(double *x)
{
    for (int h = 0; h < 6; h++)
        for (int v = 0; v < 8; v++) x[h * 8 + v] = v >= 2 && v < 6 ? 0 : 1;
}

static void draw_weights(const conv_problem *p, unsigned long long seed,
                         double *w)
{
    for (size_t k = 0; k < elems(p, CONV_W); k++) w[k] = draw(&seed);
}

/* Part 1: Y = corr(X, [1, -1]), the 1x2 kernel learned from a fixed
 * pseudo-random pair. */
static void make_edge(task *t)
{
    const double k[2] = {1, -1};
    *t = (task){.title = "part 1: learning the 1x2 edge kernel [1, -1] from "
                         "a 6x8 image",
                .nl = 1,
                .lr = 3e-2};
    parse(&t->p[0], "mb1ic1ih6iw8oc1oh6ow7kh1kw2n\"edge\"");
    edge_image(t->x);
    ref_pass(&t->p[0], CONV_DIR_FWD, t->x, k, t->y);
    draw_weights(&t->p[0], 1, t->w0[0]);
}

/* Part 2: two layers learning what a fixed teacher pair computes. */
static void make_two_layer(task *t)
{
    double t1[MAXE], t2[MAXE], h[MAXE];
    *t = (task){.title = "part 2: two layers (1 -> 2 -> 1 channels, 3x3, pad "
                         "1) learning what a teacher pair computes",
                .nl = 2,
                .lr = 3e-3};
    parse(&t->p[0], "mb1ic1ih6iw8oc2oh6ow8kh3kw3ph1pw1n\"conv1\"");
    parse(&t->p[1], "mb1ic2ih6iw8oc1oh6ow8kh3kw3ph1pw1n\"conv2\"");
    edge_image(t->x);
    draw_weights(&t->p[0], 2, t1);
    draw_weights(&t->p[1], 3, t2);
    ref_pass(&t->p[0], CONV_DIR_FWD, t->x, t1, h);
    ref_pass(&t->p[1], CONV_DIR_FWD, h, t2, t->y);
    draw_weights(&t->p[0], 4, t->w0[0]);
    draw_weights(&t->p[1], 5, t->w0[1]);
}

/* Loss at the report steps, per task and algorithm. */
static void print_summary(const curve *ref, result res[][MAXA], const int *nr,
                          int nt)
{
    printf("loss after 0, 1, 5 and %d steps\n  %-4s  %-14s", STEPS, "part",
           "algorithm");
    for (int k = 0; k < REPORT; k++)
        printf("  %12s%-2d", "step ", report_steps[k]);
    printf("\n");
    for (int i = 0; i < nt; i++)
        for (int j = -1; j < nr[i]; j++) {
            const curve *c = j < 0 ? &ref[i] : &res[i][j].c;
            printf("  %-4d  %-14s", i + 1,
                   j < 0 ? "reference" : res[i][j].a->name);
            for (int k = 0; k < REPORT; k++)
                printf("  %14.6g", c->loss[report_steps[k]]);
            printf("\n");
        }
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--plugin") || ++i == argc) {
            fprintf(stderr, "usage: train [--plugin F.so]...\n");
            return CONV_EXIT_USAGE;
        }
    const int rc = conv_plugins_load_args(argc, argv);
    if (rc) return rc;
    conv_set_threads(1);
    static task tasks[2];
    static curve ref[2];
    static result res[2][MAXA];
    int nr[2], fails = 0;
    const conv_algo *v[MAXA];
    const int nv = algo_list(v);
    make_edge(&tasks[0]);
    make_two_layer(&tasks[1]);
    for (int i = 0; i < 2; i++)
        fails += run_task(&tasks[i], v, nv, &ref[i], res[i], &nr[i]);
    print_summary(ref, res, nr, 2);
    printf("train: %s\n", fails ? "FAILED"
                                : "every algorithm's loss curve "
                                  "matches the reference's");
    return fails ? CONV_EXIT_FAIL : CONV_EXIT_OK;
}
