/* convbench compare BASELINE.csv CURRENT.csv: correctness and speed
 * regressions between two result files (DESIGN §7).
 *
 * Rows match by (algo, desc); a key repeated in a file pairs its k-th
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

#include "harness.h"

enum {
    COL_ALGO,
    COL_DESC,
    COL_STATUS,
    COL_MEDIAN,
    COL_STDDEV,
    NREQ, /* the columns above are required */
    COL_NAME = NREQ,
    COL_REASON,
    COL_THREADS,
    COL_MAXREL,
    COL_TOL,
    COL_MIN,
    NKNOWN
};
static const char *const col_name[NKNOWN] = {
    "algo",   "desc",    "status",      "median_ms", "stddev_ms", "name",
    "reason", "threads", "max_rel_err", "tolerance", "min_ms"};

typedef struct row {
    char **f;     /* fields, ncols of them, pointing into the file buffer */
    size_t first; /* index of the first field in cells (while parsing) */
    int nf;       /* number of fields */
    int line;     /* where the row starts (1-based) */
    double med;   /* median_ms, < 0 when the row has no timing */
    double sd;
    double min; /* min_ms, 0 when absent */
    int match;  /* index of the matching row in the other file, -1 none */
} row;

typedef struct csv {
    const char *path;
    char *buf;    /* file text; fields are unescaped in place */
    char **cells; /* all fields, row after row */
    size_t ncells, cap;
    row *rows; /* data rows (the header excluded) */
    int nrows, rcap, ncols;
    int col[NKNOWN]; /* index of each known column, -1 if absent */
} csv;

typedef struct meta {
    bool found;   /* the sidecar exists */
    double sgemm; /* sgemm_gflops, 0 when absent */
    char cpu[128], date[64], blas[64], threads[32];
} meta;

typedef struct opts {
    double threshold, noise_k;
    bool normalise, all;
} opts;

static conv_status err_at(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static conv_status err_at(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return CONV_INVALID;
}

static conv_status oom(char *err, size_t len, const char *path)
{
    err_at(err, len, "%s: out of memory", path);
    return CONV_NOMEM;
}

/* The whole file, NUL-terminated, into *out. *missing: it does not open. */
static conv_status read_file(const char *path, char **out, bool *missing,
                             char *err, size_t len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    conv_status st = CONV_OK;
    *out = NULL;
    *missing = !f;
    if (!f) return err_at(err, len, "%s: cannot open", path);
    for (;;) {
        if (cap - n < 4096 + 1) {
            size_t ncap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                st = oom(err, len, path);
                goto cleanup;
            }
            buf = nb, cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        st = err_at(err, len, "%s: read error", path);
        goto cleanup;
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        st = err_at(err, len, "%s: contains NUL bytes, not a text file", path);
        goto cleanup;
    }
    *out = buf;
    buf = NULL;
cleanup:
    fclose(f);
    free(buf);
    return st;
}

static void csv_free(csv *c)
{
    free(c->buf);
    free(c->cells);
    free(c->rows);
    memset(c, 0, sizeof *c);
}

static conv_status push_cell(csv *c, char *s)
{
    if (c->ncells == c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 1024;
        char **nv = realloc(c->cells, ncap * sizeof *nv);
        if (!nv) return CONV_NOMEM;
        c->cells = nv, c->cap = ncap;
    }
    c->cells[c->ncells++] = s;
    return CONV_OK;
}

static conv_status push_row(csv *c, size_t start, int nf, int line)
{
    if (c->nrows == c->rcap) {
        int ncap = c->rcap ? 2 * c->rcap : 256;
        row *nv = realloc(c->rows, (size_t)ncap * sizeof *nv);
        if (!nv) return CONV_NOMEM;
        c->rows = nv, c->rcap = ncap;
    }
    /* f is set once parsing ends: cells may still move */
    c->rows[c->nrows++] =
        (row){.first = start, .nf = nf, .line = line, .med = -1, .match = -1};
    return CONV_OK;
}

static bool end_of_field(const char *r)
{
    return !*r || *r == ',' || *r == '\n' || (r[0] == '\r' && r[1] == '\n');
}

/* RFC 4180: quoted fields may hold commas, newlines and doubled quotes.
 * Row 0 (the header) goes into rows too and is split off by the caller. */
static conv_status csv_split(csv *c, char *err, size_t len)
{
    char *r = c->buf, *w = c->buf;
    int line = 1;
    while (*r) {
        size_t start = c->ncells;
        int row_line = line, nf = 0;
        bool blank = true;
        for (;;) {
            char *fs = w;
            if (*r == '"') {
                int qline = line;
                r++;
                for (;;) {
                    if (!*r)
                        return err_at(err, len,
                                      "%s:%d: quoted field never closed",
                                      c->path, qline);
                    if (*r == '"') {
                        if (r[1] != '"') break;
                        r++;
                    }
                    if (*r == '\n') line++;
                    *w++ = *r++;
                }
                r++;
                blank = false;
                if (!end_of_field(r))
                    return err_at(err, len,
                                  "%s:%d: field %d (quoted from line %d): "
                                  "text after the closing quote",
                                  c->path, line, nf + 1, qline);
            } else {
                while (!end_of_field(r)) *w++ = *r++;
            }
            if (w != fs) blank = false;
            if (push_cell(c, fs)) return oom(err, len, c->path);
            nf++;
            char sep = *r;
            r += sep == '\r' ? 2 : sep ? 1 : 0;
            *w++ = '\0'; /* w <= the separator just read: safe to overwrite */
            if (sep == ',') continue;
            if (sep) line++;
            break;
        }
        if (blank && nf == 1) { /* an empty line */
            c->ncells = start;
            continue;
        }
        if (push_row(c, start, nf, row_line)) return oom(err, len, c->path);
    }
    return CONV_OK;
}

static conv_status parse_num(const csv *c, const row *rw, int k, double *v,
                             char *err, size_t len)
{
    const char *s = rw->f[c->col[k]];
    char *end;
    *v = strtod(s, &end);
    while (*end == ' ') end++;
    if (end == s || *end || !isfinite(*v) || *v < 0)
        return err_at(err, len,
                      "%s:%d: column %d (%s): \"%s\" is not a non-negative "
                      "number",
                      c->path, rw->line, c->col[k] + 1, col_name[k], s);
    return CONV_OK;
}

/* On failure c may hold partial data: csv_free() it either way. */
static conv_status csv_load(csv *c, const char *path, char *err, size_t len)
{
    bool missing;
    conv_status st;
    memset(c, 0, sizeof *c);
    c->path = path;
    if ((st = read_file(path, &c->buf, &missing, err, len))) return st;
    if ((st = csv_split(c, err, len))) return st;
    if (c->nrows == 0) return err_at(err, len, "%s: empty, no header", path);
    /* header */
    c->ncols = c->rows[0].nf;
    char **hdr = c->cells + c->rows[0].first;
    for (int k = 0; k < NKNOWN; k++) {
        c->col[k] = -1;
        for (int j = 0; j < c->ncols; j++)
            if (strcmp(hdr[j], col_name[k]) == 0) {
                c->col[k] = j;
                break;
            }
        if (k < NREQ && c->col[k] < 0)
            return err_at(err, len,
                          "%s:1: no column \"%s\" in the header (is this a "
                          "convbench CSV?)",
                          path, col_name[k]);
    }
    /* data rows: fix up field pointers, check widths and numbers */
    for (int i = 1; i < c->nrows; i++) {
        row *rw = &c->rows[i];
        if (rw->nf != c->ncols)
            return err_at(err, len, "%s:%d: %d fields, the header has %d", path,
                          rw->line, rw->nf, c->ncols);
        rw->f = c->cells + rw->first;
        for (int k = 0; k < NREQ; k++)
            if (k != COL_MEDIAN && k != COL_STDDEV && !rw->f[c->col[k]][0])
                return err_at(err, len, "%s:%d: column %d (%s) is empty", path,
                              rw->line, c->col[k] + 1, col_name[k]);
        /* rows without timings (verify runs, failures) leave them empty */
        if (strcmp(rw->f[c->col[COL_STATUS]], "PASSED") != 0) continue;
        if (!rw->f[c->col[COL_MEDIAN]][0]) continue;
        if ((st = parse_num(c, rw, COL_MEDIAN, &rw->med, err, len))) return st;
        if (!rw->f[c->col[COL_STDDEV]][0])
            rw->sd = 0;
        else if ((st = parse_num(c, rw, COL_STDDEV, &rw->sd, err, len)))
            return st;
        if (c->col[COL_MIN] >= 0 && rw->f[c->col[COL_MIN]][0] &&
            (st = parse_num(c, rw, COL_MIN, &rw->min, err, len)))
            return st;
        if (rw->med == 0) rw->med = -1; /* below the clock: not comparable */
    }
    c->nrows--;
    memmove(c->rows, c->rows + 1, (size_t)c->nrows * sizeof *c->rows);
    return CONV_OK;
}

/* ---- <csv>.meta.json: a flat object of string and number members ------- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return s;
}

/* A JSON string at s (after the quote) into out; returns the end or NULL. */
static const char *json_string(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; *s != '"'; s++) {
        char ch = *s;
        if (!ch || ch == '\n') return NULL;
        if (ch == '\\') {
            s++;
            switch (*s) {
            case 'n':
                ch = ' ';
                break;
            case 't':
                ch = ' ';
                break;
            case 'r':
            case 'b':
            case 'f':
                ch = ' ';
                break;
            case '"':
            case '\\':
            case '/':
                ch = *s;
                break;
            case 'u':
                for (int i = 1; i <= 4; i++)
                    if (!s[i]) return NULL;
                s += 4;
                ch = '?';
                break;
            default:
                return NULL;
            }
        }
        if (n + 1 < len) out[n++] = ch;
    }
    if (len) out[n] = '\0';
    return s + 1;
}

/* Skips one nested array or object (not interpreted). */
static const char *json_skip_nested(const char *s)
{
    int depth = 0;
    char tmp[2];
    do {
        if (!*s) return NULL;
        if (*s == '"') {
            s = json_string(s + 1, tmp, sizeof tmp);
            if (!s) return NULL;
            continue;
        }
        if (*s == '{' || *s == '[') depth++;
        if (*s == '}' || *s == ']') depth--;
        s++;
    } while (depth > 0);
    return s;
}

static void meta_set(meta *m, const char *key, const char *str, double num,
                     bool is_num)
{
    char nbuf[32];
    if (is_num) {
        snprintf(nbuf, sizeof nbuf, "%g", num);
        str = nbuf;
    }
    if (strcmp(key, "sgemm_gflops") == 0) m->sgemm = is_num ? num : 0;
    if (strcmp(key, "cpu_model") == 0)
        snprintf(m->cpu, sizeof m->cpu, "%s", str);
    if (strcmp(key, "date") == 0) snprintf(m->date, sizeof m->date, "%s", str);
    if (strcmp(key, "blas_core") == 0)
        snprintf(m->blas, sizeof m->blas, "%s", str);
    if (strcmp(key, "threads") == 0)
        snprintf(m->threads, sizeof m->threads, "%s", str);
}

/* A missing sidecar is no error: m->found stays false, raw times. */
static conv_status meta_load(meta *m, const char *csv_path, char *err,
                             size_t len)
{
    char path[4096], key[64], str[512];
    char *buf = NULL;
    bool missing;
    memset(m, 0, sizeof *m);
    if ((size_t)snprintf(path, sizeof path, "%s.meta.json", csv_path) >=
        sizeof path)
        return err_at(err, len, "%s: path too long", csv_path);
    conv_status st = read_file(path, &buf, &missing, err, len);
    if (st) return missing ? CONV_OK : st;
    m->found = true;
    const char *s = skip_ws(buf);
    if (*s++ != '{') goto bad;
    s = skip_ws(s);
    if (*s == '}') goto cleanup;
    for (;;) {
        if (*s++ != '"' || !(s = json_string(s, key, sizeof key))) goto bad;
        s = skip_ws(s);
        if (*s++ != ':') goto bad;
        s = skip_ws(s);
        if (*s == '"') {
            if (!(s = json_string(s + 1, str, sizeof str))) goto bad;
            meta_set(m, key, str, 0, false);
        } else if (*s == '{' || *s == '[') {
            if (!(s = json_skip_nested(s))) goto bad;
        } else if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4)) {
            s += 4;
        } else if (!strncmp(s, "false", 5)) {
            s += 5;
        } else {
            char *end;
            double v = strtod(s, &end);
            if (end == s) goto bad;
            s = end;
            meta_set(m, key, NULL, v, true);
        }
        s = skip_ws(s);
        if (*s == '}') break;
        if (*s++ != ',') goto bad;
        s = skip_ws(s);
    }
    goto cleanup;
bad:
    st = err_at(err, len, "%s: byte %ld: not a flat JSON object", path,
                (long)(s - buf));
cleanup:
    free(buf);
    return st;
}

static const char *fld(const csv *c, const row *rw, int k)
{
    return rw && c->col[k] >= 0 ? rw->f[c->col[k]] : "";
}

/* ---- matching ---------------------------------------------------------- */

typedef struct key_ref {
    const csv *c;
    int i;
} key_ref;

static int cmp_key(const csv *x, const row *rx, const csv *y, const row *ry)
{
    int r = strcmp(fld(x, rx, COL_ALGO), fld(y, ry, COL_ALGO));
    return r ? r : strcmp(fld(x, rx, COL_DESC), fld(y, ry, COL_DESC));
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
    const char *n = fld(c, rw, COL_NAME);
    return n[0] ? n : fld(c, rw, COL_DESC);
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
        wa = width(fld(src, rw, COL_ALGO), wa);
        wp = width(problem(src, rw), wp);
        wb = width(it->b ? fld(b, it->b, COL_STATUS) : "-", wb);
        wc = width(it->c ? fld(c, it->c, COL_STATUS) : "-", wc);
    }
    printf("\n%s: %d\n", title, l->n);
    printf("  %-*s  %-*s  %-*s  %-*s  %s\n", wa, "algo", wp, "problem", wb,
           "baseline", wc, "current", "detail");
    for (int i = 0; i < l->n; i++) {
        const item *it = &l->v[i];
        const csv *src = it->b ? b : c;
        const row *rw = it->b ? it->b : it->c;
        const char *reason = it->c ? fld(c, it->c, COL_REASON) : "";
        printf("  %-*s  %-*s  %-*s  %-*s  %s", wa, fld(src, rw, COL_ALGO), wp,
               problem(src, rw), wb, it->b ? fld(b, it->b, COL_STATUS) : "-",
               wc, it->c ? fld(c, it->c, COL_STATUS) : "-", it->what);
        if (reason[0]) printf(": %s", reason);
        if (it->c && fld(c, it->c, COL_MAXREL)[0])
            printf(" (max_rel_err %s, tolerance %s)", fld(c, it->c, COL_MAXREL),
                   fld(c, it->c, COL_TOL));
        printf("\n");
    }
}

static void print_speed_list(const char *title, const list *l, const csv *b)
{
    if (!l->n) return;
    int wa = 4, wp = 7;
    for (int i = 0; i < l->n; i++) {
        wa = width(fld(b, l->v[i].b, COL_ALGO), wa);
        wp = width(problem(b, l->v[i].b), wp);
    }
    printf("\n%s: %d\n", title, l->n);
    printf("  %-*s  %-*s  %11s  %11s  %9s  %8s\n", wa, "algo", wp, "problem",
           "base ms", "cur ms", "change", "noise");
    for (int i = 0; i < l->n; i++) {
        const item *it = &l->v[i];
        printf("  %-*s  %-*s  %11.4g  %11.4g  %+8.1f%%  %7.1f%%%s\n", wa,
               fld(b, it->b, COL_ALGO), wp, problem(b, it->b), it->b->med,
               it->c->med, 100 * (it->ratio - 1), 100 * it->noise,
               it->what[0] ? "  " : "");
        if (it->what[0]) printf("    %s\n", it->what);
    }
}

static void print_meta(const char *label, const char *path, const meta *m,
                       int nrows)
{
    printf("  %-8s %s (%d rows)", label, path, nrows);
    if (!m->found) {
        printf(", no %s.meta.json\n", path);
        return;
    }
    printf(": %s", m->cpu[0] ? m->cpu : "unknown CPU");
    if (m->threads[0]) printf(", %s threads", m->threads);
    if (m->blas[0]) printf(", BLAS %s", m->blas);
    if (m->sgemm > 0) printf(", sgemm %.1f GFLOP/s", m->sgemm);
    if (m->date[0]) printf(", %s", m->date);
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

int conv_compare_main(int argc, char **argv)
{
    opts o;
    const char *files[2] = {NULL, NULL};
    csv b = {0}, c = {0};
    meta mb, mc;
    list bad = {0}, still = {0}, slow = {0}, fixed = {0}, fast = {0},
         same = {0};
    char err[512];
    int rc = CONV_EXIT_USAGE;
    bool help;
    if (parse_opts(argc, argv, &o, files, &help)) return CONV_EXIT_USAGE;
    if (help) return CONV_EXIT_OK;

    if (csv_load(&b, files[0], err, sizeof err) ||
        csv_load(&c, files[1], err, sizeof err) ||
        meta_load(&mb, files[0], err, sizeof err) ||
        meta_load(&mc, files[1], err, sizeof err)) {
        fprintf(stderr, "convbench compare: %s\n", err);
        goto cleanup;
    }
    size_t cap = (size_t)b.nrows + (size_t)c.nrows + 1;
    bad.v = malloc(cap * sizeof *bad.v);
    still.v = malloc(cap * sizeof *still.v);
    slow.v = malloc(cap * sizeof *slow.v);
    fixed.v = malloc(cap * sizeof *fixed.v);
    fast.v = malloc(cap * sizeof *fast.v);
    same.v = malloc(cap * sizeof *same.v);
    if (!bad.v || !still.v || !slow.v || !fixed.v || !fast.v || !same.v ||
        match_rows(&b, &c)) {
        fprintf(stderr, "convbench compare: out of memory\n");
        goto cleanup;
    }

    bool norm = o.normalise && mb.sgemm > 0 && mc.sgemm > 0;
    double yard = norm ? mc.sgemm / mb.sgemm : 1; /* current machine speed */
    int matched = 0, timed = 0, untimed = 0, missing = 0, added = 0;
    int threads_differ = 0;
    for (int i = 0; i < b.nrows; i++) {
        const row *rb = &b.rows[i];
        const row *rc_ = rb->match >= 0 ? &c.rows[rb->match] : NULL;
        const char *sb = fld(&b, rb, COL_STATUS);
        if (!rc_) {
            list_push(&bad, rb, NULL, "missing from current", 0, 0);
            missing++;
            continue;
        }
        matched++;
        const char *sc = fld(&c, rc_, COL_STATUS);
        bool pb = !strcmp(sb, "PASSED"), pc = !strcmp(sc, "PASSED");
        bool ub = !strcmp(sb, "UNSUPPORTED"), uc = !strcmp(sc, "UNSUPPORTED");
        if (pb && !pc)
            list_push(&bad, rb, rc_, uc ? "newly unsupported" : "now fails", 0,
                      0);
        else if (!pb && !ub && uc)
            list_push(&bad, rb, rc_, "newly unsupported", 0, 0);
        else if (!pb && !ub && !pc)
            list_push(&still, rb, rc_, "unchanged", 0, 0);
        else if (!pb && pc)
            list_push(&fixed, rb, rc_,
                      ub ? "newly supported" : "fixed (failed in baseline)", 0,
                      0);
        if (!pb || !pc) continue;
        if (rb->med <= 0 || rc_->med <= 0) {
            untimed++;
            continue;
        }
        if (b.col[COL_THREADS] >= 0 && c.col[COL_THREADS] >= 0 &&
            strcmp(fld(&b, rb, COL_THREADS), fld(&c, rc_, COL_THREADS))) {
            threads_differ++;
            continue;
        }
        timed++;
        /* time x machine rate: a 2x faster machine halves the time and
         * doubles the rate, leaving the product unchanged */
        double ratio = rc_->med / rb->med * yard;
        double cb = rb->sd / rb->med, cc = rc_->sd / rc_->med;
        double noise = o.noise_k * sqrt(cb * cb + cc * cc);
        double bound = noise > o.threshold ? noise : o.threshold;
        /* Code that got slower is slower in its best run too; a busy
         * moment of the machine mostly moves the median. */
        const double min_ratio =
            rb->min > 0 && rc_->min > 0 ? rc_->min / rb->min * yard : ratio;
        if (ratio > 1 + bound && min_ratio > 1 + o.threshold)
            list_push(&slow, rb, rc_,
                      noise > o.threshold ? "(beyond the noise bound)" : "",
                      ratio, noise);
        else if (ratio * (1 + bound) < 1)
            list_push(&fast, rb, rc_, "", ratio, noise);
        else
            list_push(&same, rb, rc_, "", ratio, noise);
    }
    /* rows only in current: informational, unless they fail */
    for (int i = 0; i < c.nrows; i++) {
        if (c.rows[i].match >= 0) continue;
        added++;
        const char *sc = fld(&c, &c.rows[i], COL_STATUS);
        if (strcmp(sc, "PASSED") && strcmp(sc, "UNSUPPORTED"))
            list_push(&bad, NULL, &c.rows[i], "new row fails", 0, 0);
    }

    printf("convbench compare\n");
    print_meta("baseline", files[0], &mb, b.nrows);
    print_meta("current", files[1], &mc, c.nrows);
    if (norm)
        printf("  times normalised by sgemm_gflops: the current machine is "
               "%.2fx the baseline's\n",
               yard);
    else if (o.normalise)
        printf("  raw times compared: sgemm_gflops missing from %s\n",
               mb.sgemm > 0 ? files[1] : files[0]);
    printf("  a change counts beyond max(%.0f%%, %g x combined "
           "stddev/median)\n",
           100 * o.threshold, o.noise_k);

    print_status_list("Correctness regressions", &bad, &b, &c);
    print_speed_list("Slower", &slow, &b);
    print_status_list("Still failing, as in the baseline", &still, &b, &c);
    print_status_list("Correctness improvements", &fixed, &b, &c);
    print_speed_list("Faster", &fast, &b);
    if (o.all) print_speed_list("Unchanged", &same, &b);

    rc = bad.n || slow.n ? CONV_EXIT_FAIL : CONV_EXIT_OK;
    printf("\nsummary: %d matched, %d missing, %d new; correctness: %d "
           "regressed, %d improved, %d still failing; speed (%d timed): %d "
           "slower, %d faster, "
           "%d unchanged",
           matched, missing, added, bad.n, fixed.n, still.n, timed, slow.n,
           fast.n, same.n);
    if (untimed) printf(", %d without timings", untimed);
    if (threads_differ)
        printf(", %d skipped (thread counts differ)", threads_differ);
    printf(" -> %s\n", rc ? "REGRESSION" : "OK");
cleanup:
    csv_free(&b);
    csv_free(&c);
    free(bad.v);
    free(still.v);
    free(slow.v);
    free(fixed.v);
    free(fast.v);
    free(same.v);
    return rc;
}
