/* --breakdown (docs/design.md §13): where execute()'s time goes. A separate
 * pass after a PASSED row's timing re-plans the algorithm with a phase hook
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

#include "run/run.h"

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

struct conv_breakdown {
    bd_state s;
    conv_phase_hook hook;
    const char *const *names;
    int col[BD_MAX_PHASES];
    double *ms[BD_MAX_PHASES]; /* ms[k][i]: phase k's time in run i */
    int reps, cap;
    double total; /* execute time of the measured runs */
    double t0;
};

conv_breakdown *conv_breakdown_new(const conv_algo *a, int threads, char *why,
                                   size_t len)
{
    conv_breakdown *bd = calloc(1, sizeof *bd);
    if (!bd) {
        snprintf(why, len, "out of memory");
        return NULL;
    }
    bd->names = a->phases;
    bd->s.nthreads = threads;
    bd->hook = (conv_phase_hook){bd_mark, &bd->s};
    bd->reps = -1; /* the first collected run is the checked one */
    if (!bd_columns(a, bd->col, &bd->s.nphases, why, len)) goto fail;
    bd->s.t =
        aligned_alloc(_Alignof(bd_thread), (size_t)threads * sizeof(bd_thread));
    if (!bd->s.t) {
        snprintf(why, len, "out of memory");
        goto fail;
    }
    return bd;
fail:
    conv_breakdown_free(bd);
    return NULL;
}

const conv_phase_hook *conv_breakdown_hook(conv_breakdown *bd)
{
    return &bd->hook;
}

void conv_breakdown_reset(conv_breakdown *bd)
{
    bd_reset(&bd->s);
    bd->t0 = conv_now_ms();
}

bool conv_breakdown_collect(conv_breakdown *bd, char *why, size_t len)
{
    double ph[BD_MAX_PHASES];
    const double t = conv_now_ms() - bd->t0;
    if (!bd_collect(&bd->s, bd->names, ph, why, len)) return false;
    if (bd->reps++ < 0) return true; /* the checked run is not counted */
    bd->total += t;
    if (bd->reps > bd->cap) {
        bd->cap = bd->cap ? 2 * bd->cap : 64;
        for (int k = 0; k < bd->s.nphases; k++) {
            double *m = realloc(bd->ms[k], (size_t)bd->cap * sizeof *m);
            if (!m) {
                snprintf(why, len, "out of memory");
                return false;
            }
            bd->ms[k] = m;
        }
    }
    for (int k = 0; k < bd->s.nphases; k++) bd->ms[k][bd->reps - 1] = ph[k];
    return true;
}

/* --min-ms is "not given" (< 0) unless set: then --min-reps runs. */
bool conv_breakdown_more(const conv_breakdown *bd, const conv_opts *o)
{
    const double min_ms = o->min_ms > 0 ? o->min_ms : 0;
    const int reps = bd->reps < 0 ? 0 : bd->reps;
    return reps < 100000 && (reps < o->min_reps || bd->total < min_ms);
}

void conv_breakdown_finish(conv_breakdown *bd, conv_row *r)
{
    for (int k = 0; k < bd->s.nphases; k++)
        r->phase_ms[bd->col[k]] = conv_sort_median(bd->ms[k], bd->reps);
}

void conv_breakdown_free(conv_breakdown *bd)
{
    if (!bd) return;
    free(bd->s.t);
    for (int k = 0; k < BD_MAX_PHASES; k++) free(bd->ms[k]);
    free(bd);
}
