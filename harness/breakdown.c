/* --breakdown (DESIGN §13): where execute()'s time goes. A separate pass
 * after a PASSED row's timing re-plans the algorithm with a phase hook
 * (conv.h), checks one run against the reference, then runs execute()
 * under the timing loop's rule (--min-reps and --min-ms) and reports each
 * phase's median. The timed runs before it carry no hook.
 *
 * Per run, a phase's time is the sum over threads of their time in it
 * (from a thread's mark entering it to the thread's next mark) divided by
 * the number of threads that marked at all in that run: the phase's share
 * of the mean working thread's time. Serial code (thread 0 alone, even
 * calling a threaded library) so reports wall times, and when the working
 * threads are busy throughout, the phases add up to about the execute
 * time; threads idle outside any phase (an uneven dynamic schedule) make
 * the sum smaller. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

const char *const conv_phase_names[CONV_NPHASES] = {
    [CONV_PH_LOWER] = "lower",         [CONV_PH_GEMM] = "gemm",
    [CONV_PH_PRODUCT] = "product",     [CONV_PH_FORWARD] = "forward",
    [CONV_PH_INVERSE] = "inverse",     [CONV_PH_INPUT] = "input",
    [CONV_PH_OUTPUT] = "output",       [CONV_PH_REORDER_IN] = "reorder_in",
    [CONV_PH_PRIMITIVE] = "primitive", [CONV_PH_REORDER_OUT] = "reorder_out",
};

enum { BD_MAX_PHASES = 8 };

/* One thread's marks, on its own cache lines: threads mark concurrently. */
typedef struct bd_thread {
    _Alignas(64) double last; /* time of its last mark, ms */
    int cur;                  /* phase it is in, CONV_PHASE_END: none */
    bool worked;              /* marked at least once this run */
    double ms[BD_MAX_PHASES];
} bd_thread;

typedef struct bd_state {
    bd_thread *t;
    int nthreads, nphases;
    int bad_thread, bad_phase; /* first mark against the rules, else -2 */
} bd_state;

static void bd_mark(void *arg, int thread, int phase)
{
    bd_state *s = arg;
    const double now = conv_now_ms();
    if (thread < 0 || thread >= s->nthreads || phase < CONV_PHASE_END ||
        phase >= s->nphases) {
        /* Racy only between threads that both break the rules. */
        __atomic_store_n(&s->bad_thread, thread, __ATOMIC_RELAXED);
        __atomic_store_n(&s->bad_phase, phase, __ATOMIC_RELAXED);
        return;
    }
    bd_thread *t = &s->t[thread];
    if (t->cur != CONV_PHASE_END) t->ms[t->cur] += now - t->last;
    t->cur = phase;
    t->last = now;
    t->worked = true;
}

static void bd_reset(bd_state *s)
{
    memset(s->t, 0, (size_t)s->nthreads * sizeof *s->t);
    for (int i = 0; i < s->nthreads; i++) s->t[i].cur = CONV_PHASE_END;
    s->bad_thread = s->bad_phase = -2;
}

/* After a run: the marks broke a rule (why says which), or out[k] = phase
 * k's time per working thread. */
static bool bd_collect(const bd_state *s, const char *const *names, double *out,
                       char *why, size_t len)
{
    if (s->bad_phase != -2) {
        snprintf(why, len, "mark(thread %d, phase %d) out of range",
                 s->bad_thread, s->bad_phase);
        return false;
    }
    int workers = 0;
    for (int i = 0; i < s->nthreads; i++) {
        if (s->t[i].cur != CONV_PHASE_END) {
            snprintf(why, len, "thread %d left phase %s open", i,
                     names[s->t[i].cur]);
            return false;
        }
        workers += s->t[i].worked;
    }
    for (int k = 0; k < s->nphases; k++) {
        double sum = 0;
        for (int i = 0; i < s->nthreads; i++) sum += s->t[i].ms[k];
        out[k] = workers ? sum / workers : 0;
    }
    if (!workers) snprintf(why, len, "no thread marked a phase");
    return workers > 0;
}

/* The columns of a's phases into col[]; false (why) on a name with none. */
static bool bd_columns(const conv_algo *a, int *col, int *n, char *why,
                       size_t len)
{
    for (*n = 0; a->phases[*n]; (*n)++) {
        if (*n == BD_MAX_PHASES) {
            snprintf(why, len, "more than %d phases", BD_MAX_PHASES);
            return false;
        }
        int c = 0;
        while (c < CONV_NPHASES && strcmp(conv_phase_names[c], a->phases[*n]))
            c++;
        if (c == CONV_NPHASES) {
            snprintf(why, len, "phase '%s' has no phase_%s_ms column",
                     a->phases[*n], a->phases[*n]);
            return false;
        }
        col[*n] = c;
    }
    return true;
}

void conv_breakdown_row(const conv_opts *o, const conv_algo *a, conv_data *d,
                        const conv_ctx *ctx0, conv_row *r)
{
    char why[256] = "", pwhy[256] = "";
    int col[BD_MAX_PHASES], np = 0, reps = 0, cap = 0;
    double *ms[BD_MAX_PHASES] = {0}, total = 0;
    conv_plan *pl = NULL;
    bd_state s = {.nthreads = ctx0->threads > 0 ? ctx0->threads : 1};
    const conv_phase_hook hook = {bd_mark, &s};
    if (!a->phases) return; /* no phases: the columns stay empty */
    if (!bd_columns(a, col, &np, why, sizeof why)) goto cleanup;
    s.nphases = np;
    s.t = aligned_alloc(_Alignof(bd_thread),
                        (size_t)s.nthreads * sizeof(bd_thread));
    if (!s.t) {
        snprintf(why, sizeof why, "out of memory");
        goto cleanup;
    }
    conv_ctx ctx = *ctx0;
    ctx.why = pwhy;
    ctx.why_len = sizeof pwhy;
    ctx.phase_hook = &hook;
    conv_status st = a->plan(&d->p, d->w, d->p.bias ? d->b : NULL, &ctx, &pl);
    if (st != CONV_OK) {
        snprintf(why, sizeof why, "plan: %s: %s", conv_status_name(st), pwhy);
        goto cleanup;
    }
    /* The same path as the timed runs, or the phases describe another. */
    const char *impl = a->impl && a->impl(pl) ? a->impl(pl) : a->name;
    if (strcmp(impl, r->impl)) {
        snprintf(why, sizeof why, "re-plan chose %s, the timed runs %s", impl,
                 r->impl);
        goto cleanup;
    }
    /* The first run, with marks, must still give the verified output. */
    const size_t ye = conv_y_elems(&d->p);
    for (size_t i = 0; i < ye; i++) d->y[i] = NAN;
    bd_reset(&s);
    const char *step;
    if ((st = conv_run_once(a, pl, d->x, d->y, &step)) != CONV_OK) {
        snprintf(why, sizeof why, "%s: %s", step, conv_status_name(st));
        goto cleanup;
    }
    conv_row chk = *r;
    conv_check_output(d, r->tol == 0, &chk);
    if (!(chk.max_rel <= r->tol)) {
        snprintf(why, sizeof why, "output with the hook has max_rel_err %.3g",
                 chk.max_rel);
        goto cleanup;
    }
    double ph[BD_MAX_PHASES];
    if (!bd_collect(&s, a->phases, ph, why, sizeof why)) goto cleanup;
    /* --min-ms is "not given" (< 0) unless set: then --min-reps runs. */
    const double min_ms = o->min_ms > 0 ? o->min_ms : 0;
    while (reps < o->min_reps || total < min_ms) {
        if (reps == cap) { /* ms[k]: phase k's time in each run */
            cap = cap ? 2 * cap : 64;
            for (int k = 0; k < np; k++) {
                double *m = realloc(ms[k], (size_t)cap * sizeof *m);
                if (!m) {
                    snprintf(why, sizeof why, "out of memory");
                    goto cleanup;
                }
                ms[k] = m;
            }
        }
        bd_reset(&s);
        const double t0 = conv_now_ms();
        st = a->execute(pl, d->x, d->y);
        total += conv_now_ms() - t0;
        if (st != CONV_OK) {
            snprintf(why, sizeof why, "execute: %s", conv_status_name(st));
            goto cleanup;
        }
        if (!bd_collect(&s, a->phases, ph, why, sizeof why)) goto cleanup;
        for (int k = 0; k < np; k++) ms[k][reps] = ph[k];
        if (++reps >= 100000) break;
    }
    for (int k = 0; k < np; k++)
        r->phase_ms[col[k]] = conv_sort_median(ms[k], reps);
cleanup:
    if (why[0]) {
        fprintf(stderr, "convbench: --breakdown: %s on %s: %s\n", a->name,
                r->desc, why);
        snprintf(r->reason, sizeof r->reason, "breakdown: %s", why);
    }
    if (pl) a->destroy(pl);
    free(s.t);
    for (int k = 0; k < BD_MAX_PHASES; k++) free(ms[k]);
}
