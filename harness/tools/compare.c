/* convbench compare BASELINE.csv CURRENT.csv: correctness and speed
 * regressions between two result files (docs/design.md §7).
 *
 * Rows match by (algo, dir, desc), a file without a dir column being all
 * forward (docs/design.md §14); a key repeated in a file pairs its k-th
 * occurrence with the other file's k-th. Times are normalised by each run's
 * sgemm rate from <csv>.meta.json, so a baseline taken on another machine
 * still means something, and a change counts only when it exceeds both
 * --threshold and the rows' own noise: --noise K (default 2) times the
 * combined relative spread sqrt((sd/med)_base^2 + (sd/med)_cur^2) of the
 * two timings, and the best (min_ms) run must be slower beyond
 * --threshold as well. Internal helpers return CONV_INVALID on bad input and
 * CONV_NOMEM on allocation failure, with the message in err. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tools.h"

/* The columns compare reads; the first five must be in the header. */
static const conv_col required[] = {CONV_COL_ALGO, CONV_COL_DESC,
                                    CONV_COL_STATUS, CONV_COL_MEDIAN_MS,
                                    CONV_COL_STDDEV_MS};
#define NREQ (int)(sizeof required / sizeof required[0])

typedef struct row {
    const conv_csv_rec *r;
    double med; /* median_ms, < 0 when the row has no timing */
    double sd;
    double min; /* min_ms, 0 when absent */
    int match;  /* index of the matching row in the other file, -1 none */
} row;

typedef struct csv {
    conv_csv_file f;
    row *rows;
    int nrows;
} csv;

typedef struct opts {
    double threshold, noise_k;
    bool normalise, all;
} opts;

static const char *fld(const csv *c, const row *rw, conv_col k)
{
    return rw ? conv_csv_get(&c->f, rw->r, k) : "";
}

/* The row's direction; files from before directions are forward. */
static const char *dir_of(const csv *c, const row *rw)
{
    const char *d = fld(c, rw, CONV_COL_DIR);
    return d[0] ? d : "fwd";
}

/* "algo", or "algo bwd_d" off the forward: what the lists print. */
static const char *who(const csv *c, const row *rw, char *buf, size_t len)
{
    const char *d = dir_of(c, rw);
    if (!strcmp(d, "fwd")) return fld(c, rw, CONV_COL_ALGO);
    snprintf(buf, len, "%s %s", fld(c, rw, CONV_COL_ALGO), d);
    return buf;
}

static conv_status parse_num(const csv *c, const row *rw, conv_col k, double *v,
                             char *err, size_t len)
{
    const char *s = fld(c, rw, k);
    char *end;
    *v = strtod(s, &end);
    while (*end == ' ') end++;
    if (end == s || *end || !isfinite(*v) || *v < 0)
        return conv_why(err, len, CONV_INVALID,
                        "%s:%d: column %d (%s): \"%s\" is not a non-negative "
                        "number",
                        c->f.path, rw->r->line, c->f.col[k] + 1,
                        conv_col_names[k], s);
    return CONV_OK;
}

/* A PASSED row's timings; rows without (verify runs) leave them empty. */
static conv_status row_times(const csv *c, row *rw, char *err, size_t len)
{
    conv_status st;
    if (strcmp(fld(c, rw, CONV_COL_STATUS), "PASSED") ||
        !fld(c, rw, CONV_COL_MEDIAN_MS)[0])
        return CONV_OK;
    if ((st = parse_num(c, rw, CONV_COL_MEDIAN_MS, &rw->med, err, len)))
        return st;
    if (fld(c, rw, CONV_COL_STDDEV_MS)[0] &&
        (st = parse_num(c, rw, CONV_COL_STDDEV_MS, &rw->sd, err, len)))
        return st;
    if (fld(c, rw, CONV_COL_MIN_MS)[0] &&
        (st = parse_num(c, rw, CONV_COL_MIN_MS, &rw->min, err, len)))
        return st;
    if (rw->med == 0) rw->med = -1; /* below the clock: not comparable */
    return CONV_OK;
}

static void csv_free(csv *c)
{
    conv_csv_free(&c->f);
    free(c->rows);
    memset(c, 0, sizeof *c);
}

/* On failure c may hold partial data: csv_free() it either way. */
static conv_status csv_load(csv *c, const char *path, char *err, size_t len)
{
    conv_status st = conv_csv_read(path, required, NREQ, &c->f, err, len);
    if (st) return st;
    c->rows = calloc((size_t)c->f.nrows + 1, sizeof *c->rows);
    if (!c->rows)
        return conv_why(err, len, CONV_NOMEM, "%s: out of memory", path);
    c->nrows = c->f.nrows;
    for (int i = 0; i < c->nrows; i++) {
        row *rw = &c->rows[i];
        *rw = (row){.r = &c->f.rows[i], .med = -1, .match = -1};
        for (int k = 0; k < 3; k++) /* algo, desc, status */
            if (!fld(c, rw, required[k])[0])
                return conv_why(err, len, CONV_INVALID,
                                "%s:%d: column %d (%s) is empty", path,
                                rw->r->line, c->f.col[required[k]] + 1,
                                conv_col_names[required[k]]);
        if ((st = row_times(c, rw, err, len))) return st;
    }
    return CONV_OK;
}

/* ---- matching ---------------------------------------------------------- */

typedef struct key_ref {
    const csv *c;
    int i;
} key_ref;

static int cmp_key(const csv *x, const row *rx, const csv *y, const row *ry)
{
    int r = strcmp(fld(x, rx, CONV_COL_ALGO), fld(y, ry, CONV_COL_ALGO));
    if (!r) r = strcmp(dir_of(x, rx), dir_of(y, ry));
    return r ? r : strcmp(fld(x, rx, CONV_COL_DESC), fld(y, ry, CONV_COL_DESC));
}

static int key_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int r = cmp_key(x->c, &x->c->rows[x->i], y->c, &y->c->rows[y->i]);
    return r ? r : (x->i > y->i) - (x->i < y->i); /* k-th with k-th */
}

/* Sets each row's match: both files sorted by key, then merged. */
static conv_status match_rows(csv *b, csv *c)
{
    key_ref *kb = malloc((size_t)(b->nrows + 1) * sizeof *kb);
    key_ref *kc = malloc((size_t)(c->nrows + 1) * sizeof *kc);
    conv_status st = CONV_NOMEM;
    if (!kb || !kc) goto cleanup;
    for (int i = 0; i < b->nrows; i++) kb[i] = (key_ref){b, i};
    for (int i = 0; i < c->nrows; i++) kc[i] = (key_ref){c, i};
    qsort(kb, (size_t)b->nrows, sizeof *kb, key_cmp);
    qsort(kc, (size_t)c->nrows, sizeof *kc, key_cmp);
    for (int i = 0, j = 0; i < b->nrows && j < c->nrows;) {
        int r = cmp_key(b, &b->rows[kb[i].i], c, &c->rows[kc[j].i]);
        if (r < 0) {
            i++;
        } else if (r > 0) {
            j++;
        } else {
            b->rows[kb[i].i].match = kc[j].i;
            c->rows[kc[j].i].match = kb[i].i;
            i++, j++;
        }
    }
    st = CONV_OK;
cleanup:
    free(kb);
    free(kc);
    return st;
}

/* ---- report ------------------------------------------------------------ */

typedef struct item {
    const row *b, *c; /* either may be NULL */
    const char *what;
    double ratio, noise; /* speed items: normalised cur/base, noise bound */
} item;

typedef struct list {
    item *v;
    int n;
} list;

/* The layer name when there is one, else the descriptor. */
static const char *problem(const csv *c, const row *rw)
{
    const char *n = fld(c, rw, CONV_COL_NAME);
    return n[0] ? n : fld(c, rw, CONV_COL_DESC);
}

static int width(const char *s, int w)
{
    int n = (int)strlen(s);
    return n > w ? n : w;
}

static void print_status_list(const char *title, const list *l, const csv *b,
                              const csv *c)
{
    if (!l->n) return;
    int wa = 4, wp = 7, wb = 8, wc = 7;
    for (int i = 0; i < l->n; i++) {
        const item *it = &l->v[i];
        const csv *src = it->b ? b : c;
        const row *rw = it->b ? it->b : it->c;
        char buf[96];
        wa = width(who(src, rw, buf, sizeof buf), wa);
        wp = width(problem(src, rw), wp);
        wb = width(it->b ? fld(b, it->b, CONV_COL_STATUS) : "-", wb);
        wc = width(it->c ? fld(c, it->c, CONV_COL_STATUS) : "-", wc);
    }
    printf("\n%s: %d\n", title, l->n);
    printf("  %-*s  %-*s  %-*s  %-*s  %s\n", wa, "algo", wp, "problem", wb,
           "baseline", wc, "current", "detail");
    for (int i = 0; i < l->n; i++) {
        const item *it = &l->v[i];
        const csv *src = it->b ? b : c;
        const row *rw = it->b ? it->b : it->c;
        const char *reason = it->c ? fld(c, it->c, CONV_COL_REASON) : "";
        char buf[96];
        printf("  %-*s  %-*s  %-*s  %-*s  %s", wa,
               who(src, rw, buf, sizeof buf), wp, problem(src, rw), wb,
               it->b ? fld(b, it->b, CONV_COL_STATUS) : "-", wc,
               it->c ? fld(c, it->c, CONV_COL_STATUS) : "-", it->what);
        if (reason[0]) printf(": %s", reason);
        if (it->c && fld(c, it->c, CONV_COL_MAX_REL_ERR)[0])
            printf(" (max_rel_err %s, tolerance %s)",
                   fld(c, it->c, CONV_COL_MAX_REL_ERR),
                   fld(c, it->c, CONV_COL_TOLERANCE));
        printf("\n");
    }
}

static void print_speed_list(const char *title, const list *l, const csv *b)
{
    if (!l->n) return;
    int wa = 4, wp = 7;
    for (int i = 0; i < l->n; i++) {
        char buf[96];
        wa = width(who(b, l->v[i].b, buf, sizeof buf), wa);
        wp = width(problem(b, l->v[i].b), wp);
    }
    printf("\n%s: %d\n", title, l->n);
    printf("  %-*s  %-*s  %11s  %11s  %9s  %8s\n", wa, "algo", wp, "problem",
           "base ms", "cur ms", "change", "noise");
    for (int i = 0; i < l->n; i++) {
        const item *it = &l->v[i];
        char buf[96];
        printf("  %-*s  %-*s  %11.4g  %11.4g  %+8.1f%%  %7.1f%%%s\n", wa,
               who(b, it->b, buf, sizeof buf), wp, problem(b, it->b),
               it->b->med, it->c->med, 100 * (it->ratio - 1), 100 * it->noise,
               it->what[0] ? "  " : "");
        if (it->what[0]) printf("    %s\n", it->what);
    }
}

/* The machine-speed yardstick of a run, 0 when its meta lacks it. */
static double sgemm_of(const conv_meta *m)
{
    double v;
    conv_meta_get(m, "sgemm_gflops", &v);
    return v > 0 ? v : 0;
}

static void print_meta(const char *label, const char *path, const conv_meta *m,
                       int nrows)
{
    const char *cpu = conv_meta_get(m, "cpu_model", NULL),
               *threads = conv_meta_get(m, "threads", NULL),
               *blas = conv_meta_get(m, "blas_core", NULL),
               *date = conv_meta_get(m, "date", NULL);
    printf("  %-8s %s (%d rows)", label, path, nrows);
    if (!m->found) {
        printf(", no %s.meta.json\n", path);
        return;
    }
    printf(": %s", cpu && cpu[0] ? cpu : "unknown CPU");
    if (threads && threads[0]) printf(", %s threads", threads);
    if (blas && blas[0]) printf(", BLAS %s", blas);
    if (sgemm_of(m) > 0) printf(", sgemm %.1f GFLOP/s", sgemm_of(m));
    if (date && date[0]) printf(", %s", date);
    printf("\n");
}

static void list_push(list *l, const row *b, const row *c, const char *what,
                      double ratio, double noise)
{
    l->v[l->n++] = (item){b, c, what, ratio, noise};
}

static void usage(FILE *f)
{
    fprintf(f, "usage: convbench compare BASELINE.csv CURRENT.csv [options]\n"
               "  --threshold FRAC  slowdown that counts, default 0.25 (25%%)\n"
               "  --noise K         also require K x the runs' combined "
               "stddev/median, default 2\n"
               "  --no-normalize    compare raw times (ignore sgemm_gflops in "
               "<csv>.meta.json)\n"
               "  --all             list every timed row, not only changes\n"
               "exit: 0 no regression, 1 regression, 2 bad input\n");
}

/* CONV_INVALID after a message on stderr; *help: --help was printed. */
static conv_status parse_opts(int argc, char **argv, opts *o,
                              const char **files, bool *help)
{
    int nfiles = 0;
    /* Two runs of the same build of the default set on this 2-core VM
     * differed by up to 22% (median) and 17% (min) on 1% of the rows. */
    *o = (opts){.threshold = 0.25, .noise_k = 2, .normalise = true};
    *help = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double *dst = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            *help = true;
            return CONV_OK;
        } else if (!strcmp(a, "--threshold")) {
            dst = &o->threshold;
        } else if (!strcmp(a, "--noise")) {
            dst = &o->noise_k;
        } else if (!strcmp(a, "--no-normalize")) {
            o->normalise = false;
        } else if (!strcmp(a, "--all")) {
            o->all = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "convbench compare: unknown option %s\n", a);
            usage(stderr);
            return CONV_INVALID;
        } else if (nfiles < 2) {
            files[nfiles++] = a;
        } else {
            fprintf(stderr, "convbench compare: more than two files (%s)\n", a);
            usage(stderr);
            return CONV_INVALID;
        }
        if (dst) {
            char *end;
            if (i + 1 >= argc) {
                fprintf(stderr, "convbench compare: %s needs a value\n", a);
                return CONV_INVALID;
            }
            *dst = strtod(argv[++i], &end);
            if (end == argv[i] || *end || !isfinite(*dst) || *dst < 0) {
                fprintf(stderr,
                        "convbench compare: %s: \"%s\" is not a non-negative "
                        "number\n",
                        a, argv[i]);
                return CONV_INVALID;
            }
        }
    }
    if (nfiles != 2) {
        fprintf(stderr, "convbench compare: needs BASELINE.csv and "
                        "CURRENT.csv\n");
        usage(stderr);
        return CONV_INVALID;
    }
    return CONV_OK;
}

/* What the comparison found, list by list. */
typedef struct result {
    list bad, still, slow, fixed, fast, same;
    int matched, timed, untimed, missing, added, threads_differ;
    double yard; /* current machine speed over the baseline's */
} result;

static conv_status alloc_lists(result *res, size_t cap)
{
    list *ls[] = {&res->bad,   &res->still, &res->slow,
                  &res->fixed, &res->fast,  &res->same};
    for (size_t i = 0; i < sizeof ls / sizeof *ls; i++)
        if (!(ls[i]->v = malloc(cap * sizeof *ls[i]->v))) return CONV_NOMEM;
    return CONV_OK;
}

static void free_lists(result *res)
{
    free(res->bad.v), free(res->still.v), free(res->slow.v);
    free(res->fixed.v), free(res->fast.v), free(res->same.v);
}

/* A matched pair's status change, if any; true when both PASSED. */
static bool classify_status(result *res, const csv *b, const row *rb,
                            const csv *c, const row *rc_)
{
    const char *sb = fld(b, rb, CONV_COL_STATUS),
               *sc = fld(c, rc_, CONV_COL_STATUS);
    bool pb = !strcmp(sb, "PASSED"), pc = !strcmp(sc, "PASSED");
    bool ub = !strcmp(sb, "UNSUPPORTED"), uc = !strcmp(sc, "UNSUPPORTED");
    if (pb && !pc)
        list_push(&res->bad, rb, rc_, uc ? "newly unsupported" : "now fails", 0,
                  0);
    else if (!pb && !ub && uc)
        list_push(&res->bad, rb, rc_, "newly unsupported", 0, 0);
    else if (!pb && !ub && !pc)
        list_push(&res->still, rb, rc_, "unchanged", 0, 0);
    else if (!pb && pc)
        list_push(&res->fixed, rb, rc_,
                  ub ? "newly supported" : "fixed (failed in baseline)", 0, 0);
    return pb && pc;
}

/* Two PASSED rows' timings: slower, faster or the same. */
static void classify_speed(result *res, const opts *o, const csv *b,
                           const row *rb, const csv *c, const row *rc_)
{
    if (rb->med <= 0 || rc_->med <= 0) {
        res->untimed++;
        return;
    }
    if (b->f.col[CONV_COL_THREADS] >= 0 && c->f.col[CONV_COL_THREADS] >= 0 &&
        strcmp(fld(b, rb, CONV_COL_THREADS), fld(c, rc_, CONV_COL_THREADS))) {
        res->threads_differ++;
        return;
    }
    res->timed++;
    /* time x machine rate: a 2x faster machine halves the time and
     * doubles the rate, leaving the product unchanged */
    double ratio = rc_->med / rb->med * res->yard;
    double cb = rb->sd / rb->med, cc = rc_->sd / rc_->med;
    double noise = o->noise_k * sqrt(cb * cb + cc * cc);
    double bound = noise > o->threshold ? noise : o->threshold;
    /* Code that got slower is slower in its best run too; a busy
     * moment of the machine mostly moves the median. */
    const double min_ratio =
        rb->min > 0 && rc_->min > 0 ? rc_->min / rb->min * res->yard : ratio;
    if (ratio > 1 + bound && min_ratio > 1 + o->threshold)
        list_push(&res->slow, rb, rc_,
                  noise > o->threshold ? "(beyond the noise bound)" : "", ratio,
                  noise);
    else if (ratio * (1 + bound) < 1)
        list_push(&res->fast, rb, rc_, "", ratio, noise);
    else
        list_push(&res->same, rb, rc_, "", ratio, noise);
}

static void classify(result *res, const opts *o, const csv *b, const csv *c)
{
    for (int i = 0; i < b->nrows; i++) {
        const row *rb = &b->rows[i];
        const row *rc_ = rb->match >= 0 ? &c->rows[rb->match] : NULL;
        if (!rc_) {
            list_push(&res->bad, rb, NULL, "missing from current", 0, 0);
            res->missing++;
            continue;
        }
        res->matched++;
        if (classify_status(res, b, rb, c, rc_))
            classify_speed(res, o, b, rb, c, rc_);
    }
    /* rows only in current: informational, unless they fail */
    for (int i = 0; i < c->nrows; i++) {
        if (c->rows[i].match >= 0) continue;
        res->added++;
        const char *sc = fld(c, &c->rows[i], CONV_COL_STATUS);
        if (strcmp(sc, "PASSED") && strcmp(sc, "UNSUPPORTED"))
            list_push(&res->bad, NULL, &c->rows[i], "new row fails", 0, 0);
    }
}

static int report(const result *res, const opts *o, const char *const files[2],
                  const csv *b, const csv *c, const conv_meta m[2], bool norm)
{
    printf("convbench compare\n");
    print_meta("baseline", files[0], &m[0], b->nrows);
    print_meta("current", files[1], &m[1], c->nrows);
    if (norm)
        printf("  times normalised by sgemm_gflops: the current machine is "
               "%.2fx the baseline's\n",
               res->yard);
    else if (o->normalise)
        printf("  raw times compared: sgemm_gflops missing from %s\n",
               sgemm_of(&m[0]) > 0 ? files[1] : files[0]);
    printf("  a change counts beyond max(%.0f%%, %g x combined "
           "stddev/median)\n",
           100 * o->threshold, o->noise_k);
    print_status_list("Correctness regressions", &res->bad, b, c);
    print_speed_list("Slower", &res->slow, b);
    print_status_list("Still failing, as in the baseline", &res->still, b, c);
    print_status_list("Correctness improvements", &res->fixed, b, c);
    print_speed_list("Faster", &res->fast, b);
    if (o->all) print_speed_list("Unchanged", &res->same, b);
    const int rc = res->bad.n || res->slow.n ? CONV_EXIT_FAIL : CONV_EXIT_OK;
    printf("\nsummary: %d matched, %d missing, %d new; correctness: %d "
           "regressed, %d improved, %d still failing; speed (%d timed): %d "
           "slower, %d faster, "
           "%d unchanged",
           res->matched, res->missing, res->added, res->bad.n, res->fixed.n,
           res->still.n, res->timed, res->slow.n, res->fast.n, res->same.n);
    if (res->untimed) printf(", %d without timings", res->untimed);
    if (res->threads_differ)
        printf(", %d skipped (thread counts differ)", res->threads_differ);
    printf(" -> %s\n", rc ? "REGRESSION" : "OK");
    return rc;
}

int conv_compare_main(int argc, char **argv)
{
    opts o;
    const char *files[2] = {NULL, NULL};
    csv b = {0}, c = {0};
    conv_meta m[2] = {0};
    result res = {0};
    char err[512];
    int rc = CONV_EXIT_USAGE;
    bool help;
    if (parse_opts(argc, argv, &o, files, &help)) return CONV_EXIT_USAGE;
    if (help) return CONV_EXIT_OK;
    if (csv_load(&b, files[0], err, sizeof err) ||
        csv_load(&c, files[1], err, sizeof err) ||
        conv_meta_read(files[0], &m[0], err, sizeof err) ||
        conv_meta_read(files[1], &m[1], err, sizeof err)) {
        fprintf(stderr, "convbench compare: %s\n", err);
        goto cleanup;
    }
    if (alloc_lists(&res, (size_t)b.nrows + (size_t)c.nrows + 1) ||
        match_rows(&b, &c)) {
        fprintf(stderr, "convbench compare: out of memory\n");
        goto cleanup;
    }
    const bool norm = o.normalise && sgemm_of(&m[0]) > 0 && sgemm_of(&m[1]) > 0;
    res.yard = norm ? sgemm_of(&m[1]) / sgemm_of(&m[0]) : 1;
    classify(&res, &o, &b, &c);
    rc = report(&res, &o, files, &b, &c, m, norm);
cleanup:
    csv_free(&b);
    csv_free(&c);
    conv_meta_free(&m[0]);
    conv_meta_free(&m[1]);
    free_lists(&res);
    return rc;
}
