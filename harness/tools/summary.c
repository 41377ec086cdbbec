/* convbench summary RESULTS.csv: network totals (docs/design.md §11, §14).
 *
 * A network is the part of a problem's name before the first ':'; its
 * layers are the distinct descriptors (desc column) with that prefix, each
 * occurring count times (a count column if the CSV has one, else the name's
 * benchdnn repeat suffix "*N", else 1). Rows are keyed by (algo, dir,
 * layer), a CSV without a dir column (or an empty dir cell) being forward.
 * Per algorithm and direction the total is the sum of count x median_ms
 * over the layers it PASSED with a timing; a total over fewer layers than
 * the network has is marked incomplete, since it is not comparable. "best
 * per layer" sums, per layer, the fastest PASSED algorithm. Columns are
 * found by header name, so column order and extra columns do not matter.
 *
 * A CSV with only forward rows prints one table per network, as before
 * directions existed. Otherwise each network gets a section per direction
 * present, then the training step: per layer fwd + bwd_d + bwd_w, where a
 * layer without any bwd_w row takes its bwd_wb rows instead (the output
 * says which); an algorithm's step counts only the layers where all three
 * are timed, and best per layer sums the fastest of each direction. The
 * first layer of a network needs no bwd_d, but a shape set cannot tell
 * which layer is first: its bwd_d is counted, and the output says so.
 *
 * --networks SET takes the networks from shape sets instead (every file of
 * harness/shapes/SET.d/, or one shape file or set): each of their layers
 * gets the timings of the CSV row of the same problem (desc without its
 * name), so one run of the unique problems of many networks totals each. */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/tools.h"

#define MAX_ALGOS 32
#define DIR_BIT(d) (1u << (d))
/* A pseudo-direction for the totals: the training step of a layer. */
#define STEP (-1)

static const conv_col required[] = {CONV_COL_ALGO, CONV_COL_NAME, CONV_COL_DESC,
                                    CONV_COL_STATUS, CONV_COL_MEDIAN_MS};

/* What each direction computes, for the section headings. */
static const char *const dir_what[CONV_NDIRS] = {
    [CONV_DIR_FWD] = "forward",
    [CONV_DIR_BWD_D] = "backward data (dx)",
    [CONV_DIR_BWD_W] = "backward weights (dw)",
    [CONV_DIR_BWD_WB] = "backward weights and bias (dw, db)",
};

typedef struct layer {
    const char *desc, *name;
    int net;       /* index into nets */
    int count;     /* occurrences in the network */
    int line;      /* first row's line */
    unsigned dirs; /* DIR_BITs of the directions this layer has rows in */
    /* per direction and algorithm: median_ms when PASSED and timed, else
     * NAN; as written in the CSV; the row's line (0 none) */
    double med[CONV_NDIRS][MAX_ALGOS];
    const char *med_text[CONV_NDIRS][MAX_ALGOS];
    int seen_line[CONV_NDIRS][MAX_ALGOS];
    int best[CONV_NDIRS]; /* fastest PASSED algorithm, -1 none */
    char *own;            /* desc and name when they come from a shape set */
} layer;

typedef struct summary {
    const char *path;
    conv_csv_file f;
    int count_col; /* a "count" column, when the CSV has one, else -1 */
    const char *algos[MAX_ALGOS];
    int nalgos;
    unsigned dirs;                 /* DIR_BITs of the directions with rows */
    unsigned algo_dirs[MAX_ALGOS]; /* the same per algorithm */
    char **nets; /* network names, first-seen order (allocated) */
    int nnets, netcap;
    layer *l;
    int nl, lcap;
    int *hash; /* open addressing over desc: layer index + 1, 0 empty */
    size_t hcap;
    int no_net;     /* layers whose name has no ':' */
    int not_in_csv; /* --networks: layers no CSV row has */
} summary;

/* Forward only: the output of before directions, one table per network. */
static bool forward_only(const summary *s)
{
    return s->dirs == DIR_BIT(CONV_DIR_FWD);
}

/* A layer with no time in any direction for anything. */
static void layer_clear(layer *l)
{
    for (int d = 0; d < CONV_NDIRS; d++) {
        for (int a = 0; a < MAX_ALGOS; a++) l->med[d][a] = NAN;
        l->best[d] = -1;
    }
}

static conv_status bad(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static conv_status bad(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return CONV_INVALID;
}

static uint64_t fnv(const char *k)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h;
}

/* The layer of desc, made when new; NULL when out of memory. */
static layer *find_layer(summary *s, const char *desc, bool *fresh)
{
    if ((size_t)(s->nl + 1) * 2 > s->hcap) {
        size_t nc = s->hcap ? 2 * s->hcap : 4096;
        int *h = calloc(nc, sizeof *h);
        if (!h) return NULL;
        for (int i = 0; i < s->nl; i++) {
            size_t k = fnv(s->l[i].desc) & (nc - 1);
            while (h[k]) k = (k + 1) & (nc - 1);
            h[k] = i + 1;
        }
        free(s->hash);
        s->hash = h, s->hcap = nc;
    }
    size_t k = fnv(desc) & (s->hcap - 1);
    for (; s->hash[k]; k = (k + 1) & (s->hcap - 1))
        if (!strcmp(s->l[s->hash[k] - 1].desc, desc)) {
            *fresh = false;
            return &s->l[s->hash[k] - 1];
        }
    if (s->nl == s->lcap) {
        int nc = s->lcap ? 2 * s->lcap : 256;
        layer *v = realloc(s->l, (size_t)nc * sizeof *v);
        if (!v) return NULL;
        s->l = v, s->lcap = nc;
    }
    s->hash[k] = ++s->nl;
    layer *l = &s->l[s->nl - 1];
    memset(l, 0, sizeof *l);
    layer_clear(l);
    l->desc = desc;
    *fresh = true;
    return l;
}

/* Index of the network before the first ':' of name, -1 when the name
 * has none, -2 when out of memory. */
static int network_of(summary *s, const char *name)
{
    const char *colon = strchr(name, ':');
    if (!colon || colon == name) return -1;
    for (int i = 0; i < s->nnets; i++)
        if (!strncmp(s->nets[i], name, (size_t)(colon - name)) &&
            !s->nets[i][colon - name])
            return i;
    if (s->nnets == s->netcap) {
        int nc = s->netcap ? 2 * s->netcap : 16;
        char **v = realloc(s->nets, (size_t)nc * sizeof *v);
        if (!v) return -2;
        s->nets = v, s->netcap = nc;
    }
    s->nets[s->nnets] = strndup(name, (size_t)(colon - name));
    if (!s->nets[s->nnets]) return -2;
    return s->nnets++;
}

/* The occurrences of a row's layer: the count column, else the name's *N. */
static conv_status row_count(const summary *s, const conv_csv_rec *r,
                             int *count, char *err, size_t len)
{
    const char *name = conv_csv_get(&s->f, r, CONV_COL_NAME);
    if (s->count_col >= 0) {
        const char *c = r->f[s->count_col];
        char *end;
        long v = strtol(c, &end, 10);
        if (end == c || *end || v < 1 || v > 1000000000)
            return bad(err, len,
                       "%s:%d: column count: \"%s\" is not a positive integer",
                       s->path, r->line, c);
        *count = (int)v;
    } else if (!(*count = conv_name_count(name))) {
        return bad(err, len,
                   "%s:%d: name \"%s\": repeat count is not in [1, "
                   "999999999]",
                   s->path, r->line, name);
    }
    return CONV_OK;
}

/* The row's direction; an empty cell or no dir column is forward. */
static conv_status row_dir(const summary *s, const conv_csv_rec *r, int *d,
                           char *err, size_t len)
{
    const char *t = conv_csv_get(&s->f, r, CONV_COL_DIR);
    *d = t[0] ? conv_dir_parse(t) : CONV_DIR_FWD;
    if (*d < 0)
        return bad(err, len,
                   "%s:%d: column dir: \"%s\" is not a direction (fwd, "
                   "bwd_d, bwd_w, bwd_wb)",
                   s->path, r->line, t);
    return CONV_OK;
}

/* The index of algo, added when new. */
static conv_status algo_index(summary *s, const char *algo, int line, int *a,
                              char *err, size_t len)
{
    *a = 0;
    while (*a < s->nalgos && strcmp(s->algos[*a], algo)) ++*a;
    if (*a == MAX_ALGOS)
        return bad(err, len, "%s:%d: more than %d algorithms", s->path, line,
                   MAX_ALGOS);
    if (*a == s->nalgos) s->algos[s->nalgos++] = algo;
    return CONV_OK;
}

/* The timing of a PASSED row into l for (direction d, algorithm a). */
static conv_status add_time(summary *s, const conv_csv_rec *r, layer *l, int d,
                            int a, char *err, size_t len)
{
    const char *m = conv_csv_get(&s->f, r, CONV_COL_MEDIAN_MS),
               *status = conv_csv_get(&s->f, r, CONV_COL_STATUS);
    if (strcmp(status, "PASSED") || !m[0]) return CONV_OK;
    char *end;
    double v = strtod(m, &end);
    if (end == m || *end || !isfinite(v) || v < 0)
        return bad(err, len,
                   "%s:%d: column median_ms: \"%s\" is not a non-negative "
                   "number",
                   s->path, r->line, m);
    l->med[d][a] = v;
    l->med_text[d][a] = m;
    if (l->best[d] < 0 || v < l->med[d][l->best[d]]) l->best[d] = a;
    return CONV_OK;
}

static conv_status add_row(summary *s, const conv_csv_rec *r, char *err,
                           size_t len)
{
    const int line = r->line;
    const char *algo = conv_csv_get(&s->f, r, CONV_COL_ALGO),
               *desc = conv_csv_get(&s->f, r, CONV_COL_DESC),
               *name = conv_csv_get(&s->f, r, CONV_COL_NAME);
    if (!algo[0] || !desc[0] || !conv_csv_get(&s->f, r, CONV_COL_STATUS)[0])
        return bad(err, len, "%s:%d: empty algo, desc or status", s->path,
                   line);
    int a, d, count;
    conv_status st;
    if ((st = algo_index(s, algo, line, &a, err, len)) ||
        (st = row_dir(s, r, &d, err, len)) ||
        (st = row_count(s, r, &count, err, len)))
        return st;
    bool fresh;
    layer *l = find_layer(s, desc, &fresh);
    if (!l) return bad(err, len, "%s: out of memory", s->path);
    if (fresh) {
        l->line = line;
        l->count = count;
        l->name = name;
        l->net = network_of(s, name);
        if (l->net == -2) return bad(err, len, "%s: out of memory", s->path);
        if (l->net < 0) s->no_net++;
    } else if (l->count != count) {
        return bad(err, len, "%s:%d: count %d of %s differs from %d on line %d",
                   s->path, line, count, desc, l->count, l->line);
    }
    if (l->seen_line[d][a])
        return bad(err, len,
                   "%s:%d: a second %s%s%s row for %s (first on line %d): one "
                   "timing per algorithm, direction and layer",
                   s->path, line, algo, d != CONV_DIR_FWD ? " " : "",
                   d != CONV_DIR_FWD ? conv_dirs[d].name : "", desc,
                   l->seen_line[d][a]);
    l->seen_line[d][a] = line;
    l->dirs |= DIR_BIT(d);
    s->dirs |= DIR_BIT(d);
    s->algo_dirs[a] |= DIR_BIT(d);
    return add_time(s, r, l, d, a, err, len);
}

static conv_status load(summary *s, char *err, size_t len)
{
    conv_status st = conv_csv_read(s->path, required,
                                   (int)(sizeof required / sizeof *required),
                                   &s->f, err, len);
    if (st) return st;
    /* Not a column convbench writes: a hand-made CSV may give counts. */
    s->count_col = conv_csv_find(&s->f, "count");
    for (int i = 0; i < s->f.nrows; i++)
        if ((st = add_row(s, &s->f.rows[i], err, len))) return st;
    if (!s->nl) return bad(err, len, "%s: no rows", s->path);
    bool timed = false;
    for (int i = 0; i < s->nl && !timed; i++)
        for (int d = 0; d < CONV_NDIRS; d++)
            timed = timed || s->l[i].best[d] >= 0;
    if (!timed)
        return bad(err, len,
                   "%s: no PASSED row has a median_ms: summary needs the CSV "
                   "of a bench run",
                   s->path);
    return CONV_OK;
}

/* A descriptor without its n"name": the problem itself. */
static size_t problem_len(const char *desc)
{
    const char *n = strstr(desc, "n\"");
    return n ? (size_t)(n - desc) : strlen(desc);
}

static int by_problem(const void *a, const void *b)
{
    const layer *x = *(const layer *const *)a, *y = *(const layer *const *)b;
    const size_t nx = problem_len(x->desc), ny = problem_len(y->desc);
    int c = strncmp(x->desc, y->desc, nx < ny ? nx : ny);
    if (!c) c = (nx > ny) - (nx < ny);
    return c ? c : (x > y) - (x < y); /* the first row of a problem first */
}

/* The CSV layer of the problem of desc (the first if several), or NULL. */
static const layer *find_problem(layer *const *v, int n, const char *desc)
{
    const size_t nd = problem_len(desc);
    int lo = 0, hi = n;
    while (lo < hi) { /* the first entry not below desc */
        const int mid = (lo + hi) / 2;
        const size_t nm = problem_len(v[mid]->desc);
        int c = strncmp(v[mid]->desc, desc, nm < nd ? nm : nd);
        if (!c) c = (nm > nd) - (nm < nd);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && problem_len(v[lo]->desc) == nd &&
                   !strncmp(v[lo]->desc, desc, nd)
               ? v[lo]
               : NULL;
}

/* Appends the shape lists of one --networks argument: every file of
 * CONV_SHAPES_DIR/SET.d/ (as SET:FILE, in name order), else SET itself. */
static conv_status load_set(conv_shape_list *l, const char *set, char *err,
                            size_t len)
{
    char dir[4096];
    struct dirent **ents = NULL;
    snprintf(dir, sizeof dir, "%s/%s.d", CONV_SHAPES_DIR, set);
    int n = strchr(set, '/') ? -1 : scandir(dir, &ents, NULL, alphasort);
    if (n < 0) return conv_shapes_load(l, set, 0, err, len);
    conv_status st = CONV_OK;
    for (int i = 0; i < n; i++) {
        char name[4096];
        if (!st && ents[i]->d_name[0] != '.') {
            snprintf(name, sizeof name, "%s:%s", set, ents[i]->d_name);
            st = conv_shapes_load(l, name, 0, err, len);
        }
        free(ents[i]);
    }
    free(ents);
    return st;
}

/* --networks: replaces the CSV's layers by the sets' layers, each with the
 * timings of the CSV layer of its problem. */
static conv_status use_networks(summary *s, char **sets, int nsets, char *err,
                                size_t len)
{
    conv_shape_list shapes = {0};
    layer **v = malloc((size_t)s->nl * sizeof *v), *nl = NULL;
    conv_status st = CONV_OK;
    if (!v) return bad(err, len, "out of memory");
    for (int i = 0; i < s->nl; i++) v[i] = &s->l[i];
    qsort(v, (size_t)s->nl, sizeof *v, by_problem);
    for (int i = 0; i < nsets && !st; i++) {
        char why[1024];
        if ((st = load_set(&shapes, sets[i], why, sizeof why)))
            bad(err, len, "--networks %s: %s", sets[i], why);
    }
    if (!st && !(nl = calloc((size_t)shapes.n + 1, sizeof *nl)))
        st = bad(err, len, "out of memory");
    for (int k = 0; k < s->nnets; k++) free(s->nets[k]);
    s->nnets = s->no_net = 0;
    int n = 0;
    for (int i = 0; !st && i < shapes.n; i++) {
        const conv_shape *sh = &shapes.v[i];
        char desc[512];
        if (sh->st == CONV_OK)
            conv_desc_format(&sh->p, desc, sizeof desc);
        else
            snprintf(desc, sizeof desc, "%s", sh->text);
        layer *l = &nl[n];
        const size_t dl = strlen(desc) + 1;
        if (!(l->own = malloc(dl + strlen(sh->p.name) + 1))) {
            st = bad(err, len, "out of memory");
            break;
        }
        n++;
        memcpy(l->own, desc, dl);
        strcpy(l->own + dl, sh->p.name);
        l->desc = l->own, l->name = l->own + dl;
        l->count = sh->count;
        l->net = network_of(s, l->name);
        if (l->net == -2) st = bad(err, len, "out of memory");
        if (l->net == -1) s->no_net++;
        const layer *from = find_problem(v, s->nl, desc);
        layer_clear(l);
        if (!from) {
            s->not_in_csv++;
            continue;
        }
        l->dirs = from->dirs;
        memcpy(l->med, from->med, sizeof l->med);
        memcpy(l->med_text, from->med_text, sizeof l->med_text);
        memcpy(l->best, from->best, sizeof l->best);
    }
    free(v);
    conv_shapes_free(&shapes);
    free(s->l);
    free(s->hash);
    s->hash = NULL, s->hcap = 0;
    s->l = nl, s->nl = s->lcap = n;
    return st;
}

/* The direction of a layer's weight gradient in its training step: bwd_w,
 * or bwd_wb when the layer has bwd_wb rows and no bwd_w row. */
static int weight_dir(const layer *l)
{
    return (l->dirs & DIR_BIT(CONV_DIR_BWD_WB)) &&
                   !(l->dirs & DIR_BIT(CONV_DIR_BWD_W))
               ? CONV_DIR_BWD_WB
               : CONV_DIR_BWD_W;
}

/* The median of algorithm a (-1: the layer's fastest) in direction d, or
 * for d = STEP the sum of the three directions of a training step; NAN
 * when a part has no verified timing. */
static double layer_time(const layer *l, int d, int a)
{
    if (d == STEP)
        return layer_time(l, CONV_DIR_FWD, a) +
               layer_time(l, CONV_DIR_BWD_D, a) +
               layer_time(l, weight_dir(l), a);
    if (a < 0) a = l->best[d];
    return a < 0 ? NAN : l->med[d][a];
}

/* One total line: the sum over the layers of network k with a time in
 * direction d (or STEP) for algorithm algo (-1: best per layer). */
static void print_total(const summary *s, int k, const char *label, int d,
                        int algo)
{
    double total = 0;
    int have = 0, all = 0;
    for (int i = 0; i < s->nl; i++) {
        const layer *l = &s->l[i];
        if (l->net != k) continue;
        all++;
        const double t = layer_time(l, d, algo);
        if (isnan(t)) continue;
        total += l->count * t;
        have++;
    }
    char tot[32] = "-";
    if (have) snprintf(tot, sizeof tot, "%.3f", total);
    printf("  %-16s %12s %5d/%d", label, tot, have, all);
    if (have < all)
        printf("  incomplete: %d layer(s) not verified or untimed, not "
               "comparable",
               all - have);
    printf("\n");
}

/* The totals of network k in direction d, and with per_layer each layer's
 * fastest algorithm. */
static void print_dir(const summary *s, int k, int d, bool per_layer)
{
    printf("  %-16s %12s %s\n", "algorithm", "total_ms", "layers");
    for (int a = 0; a < s->nalgos; a++)
        if (s->algo_dirs[a] & DIR_BIT(d)) print_total(s, k, s->algos[a], d, a);
    print_total(s, k, "best per layer", d, -1);
    if (!per_layer) return;
    printf("  %-40s %6s %-14s %10s %12s\n", "layer", "count", "fastest",
           "median_ms", "count x med");
    for (int i = 0; i < s->nl; i++) {
        const layer *l = &s->l[i];
        const int b = l->best[d];
        if (l->net != k) continue;
        if (b < 0)
            printf("  %-40s %6d %-14s %10s %12s\n", l->name, l->count,
                   "(none passed)", "-", "-");
        else
            printf("  %-40s %6d %-14s %10.3f %12.3f\n", l->name, l->count,
                   s->algos[b], l->med[d][b], l->count * l->med[d][b]);
    }
}

/* Whether the CSV has rows of every direction of a training step. */
static bool has_step(const summary *s)
{
    return (s->dirs & DIR_BIT(CONV_DIR_FWD)) &&
           (s->dirs & DIR_BIT(CONV_DIR_BWD_D)) &&
           (s->dirs & (DIR_BIT(CONV_DIR_BWD_W) | DIR_BIT(CONV_DIR_BWD_WB)));
}

/* The training step totals of network k: fwd + bwd_d + bwd_w per layer. */
static void print_step(const summary *s, int k)
{
    const unsigned step = DIR_BIT(CONV_DIR_FWD) | DIR_BIT(CONV_DIR_BWD_D);
    const unsigned wgt = DIR_BIT(CONV_DIR_BWD_W) | DIR_BIT(CONV_DIR_BWD_WB);
    if (!has_step(s)) {
        printf(" training step: not totalled, the CSV has no %s rows\n",
               !(s->dirs & DIR_BIT(CONV_DIR_FWD))     ? "fwd"
               : !(s->dirs & DIR_BIT(CONV_DIR_BWD_D)) ? "bwd_d"
                                                      : "bwd_w or bwd_wb");
        return;
    }
    int layers = 0, wb = 0;
    for (int i = 0; i < s->nl; i++)
        if (s->l[i].net == k)
            layers++, wb += weight_dir(&s->l[i]) == CONV_DIR_BWD_WB;
    printf(" training step: fwd + bwd_d + bwd_w per layer ");
    if (!wb)
        printf("(bwd_w rows)\n");
    else if (wb == layers)
        printf("(bwd_wb rows as bwd_w: no layer has a bwd_w row)\n");
    else
        printf("(bwd_w rows; bwd_wb on %d layer(s) without one)\n", wb);
    printf("  %-16s %12s %s\n", "algorithm", "total_ms", "layers");
    for (int a = 0; a < s->nalgos; a++)
        if ((s->algo_dirs[a] & step) == step && (s->algo_dirs[a] & wgt))
            print_total(s, k, s->algos[a], STEP, a);
    print_total(s, k, "best per layer", STEP, -1);
}

static void print_network(const summary *s, int k, bool per_layer)
{
    int layers = 0;
    long long convs = 0;
    for (int i = 0; i < s->nl; i++)
        if (s->l[i].net == k) layers++, convs += s->l[i].count;
    printf("network %s: %d layers, %lld convolutions (count x median_ms, "
           "ms)\n",
           s->nets[k], layers, convs);
    if (forward_only(s)) {
        print_dir(s, k, CONV_DIR_FWD, per_layer);
        return;
    }
    for (int d = 0; d < CONV_NDIRS; d++) {
        if (!(s->dirs & DIR_BIT(d))) continue;
        printf(" %s: %s\n", conv_dirs[d].name, dir_what[d]);
        print_dir(s, k, d, per_layer);
    }
    print_step(s, k);
}

static void csv_field(FILE *f, const char *v)
{
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"') fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

/* desc,name,count,algo,median_ms: each layer's fastest verified algorithm
 * (layers nothing passed are left out). When the CSV has directions other
 * than fwd, a dir column is appended (the first five keep their places) and
 * each layer has a line per direction present, in fwd, bwd_d, bwd_w,
 * bwd_wb order; *missing counts the (layer, direction) pairs left out. */
static void choice_rows(const summary *s, FILE *f, int *rows, int *missing)
{
    const bool fwd = forward_only(s);
    for (int i = 0; i < s->nl; i++) {
        const layer *l = &s->l[i];
        for (int d = 0; d < CONV_NDIRS; d++) {
            const int b = l->best[d];
            if (!(s->dirs & DIR_BIT(d))) continue;
            if (b < 0) {
                ++*missing;
                continue;
            }
            csv_field(f, l->desc);
            fputc(',', f);
            csv_field(f, l->name);
            fprintf(f, ",%d,", l->count);
            csv_field(f, s->algos[b]);
            fprintf(f, ",%s%s%s\n", l->med_text[d][b], fwd ? "" : ",",
                    fwd ? "" : conv_dirs[d].name);
            ++*rows;
        }
    }
}

static conv_status write_choice(const summary *s, const char *path, int *rows,
                                int *missing, char *err, size_t len)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= sizeof tmp)
        return bad(err, len, "--choice-out: path too long");
    int fd = conv_mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd), unlink(tmp);
        return bad(err, len, "--choice-out: cannot create %s", path);
    }
    fputs(forward_only(s) ? "desc,name,count,algo,median_ms\n"
                          : "desc,name,count,algo,median_ms,dir\n",
          f);
    *rows = *missing = 0;
    choice_rows(s, f, rows, missing);
    return conv_file_commit(f, tmp, path, err, len);
}

static void summary_free(summary *s)
{
    for (int i = 0; i < s->nl; i++) free(s->l[i].own);
    for (int i = 0; i < s->nnets; i++) free(s->nets[i]);
    free(s->nets);
    conv_csv_free(&s->f);
    free(s->l);
    free(s->hash);
}

static int usage(const char *msg, const char *arg)
{
    fprintf(stderr,
            "convbench summary: %s%s\nusage: convbench summary RESULTS.csv "
            "[--per-layer] [--choice-out FILE]\n"
            "                         [--networks SET|FILE]...\n",
            msg, arg);
    return CONV_EXIT_USAGE;
}

typedef struct args {
    const char *csv, *choice;
    bool per_layer;
    char **sets; /* --networks, nsets of them */
    int nsets;
} args;

/* An exit code: 0, or CONV_EXIT_USAGE after the message. */
static int parse_args(int argc, char **argv, args *a)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--per-layer")) {
            a->per_layer = true;
        } else if (!strcmp(argv[i], "--networks")) {
            if (++i == argc)
                return usage("--networks needs a set or shape file", "");
            a->sets[a->nsets++] = argv[i];
        } else if (!strcmp(argv[i], "--choice-out")) {
            if (++i == argc) return usage("--choice-out needs a file", "");
            a->choice = argv[i];
        } else if ((argv[i][0] == '-' && argv[i][1]) || a->csv) {
            return usage(a->csv && argv[i][0] != '-' ? "more than one CSV: "
                                                     : "unknown option ",
                         argv[i]);
        } else {
            a->csv = argv[i];
        }
    }
    return a->csv ? 0 : usage("give a results CSV", "");
}

static void print_all(const summary *s, const args *a)
{
    for (int k = 0; k < s->nnets; k++) {
        if (k) printf("\n");
        print_network(s, k, a->per_layer);
    }
    if (s->no_net)
        printf("\n%d problem(s) without a NETWORK: prefix in the name left "
               "out\n",
               s->no_net);
    if (s->not_in_csv)
        printf("\n%d layer(s) of the networks have no row in %s\n",
               s->not_in_csv, a->csv);
    if (!forward_only(s) && has_step(s))
        printf("\ntraining steps count every layer's bwd_d: a network's "
               "first layer needs none, but a shape set cannot tell which "
               "layer is first\n");
}

int conv_summary_main(int argc, char **argv)
{
    args a = {.sets = calloc((size_t)argc, sizeof(char *))};
    summary s = {0};
    char err[1024];
    int rc = CONV_EXIT_USAGE, rows = 0, missing = 0;
    if (!a.sets) return usage("out of memory", "");
    if ((rc = parse_args(argc, argv, &a))) goto cleanup;
    rc = CONV_EXIT_USAGE;
    s.path = a.csv;
    if (load(&s, err, sizeof err) ||
        (a.nsets && use_networks(&s, a.sets, a.nsets, err, sizeof err))) {
        fprintf(stderr, "convbench summary: %s\n", err);
        goto cleanup;
    }
    if (!s.nnets) {
        fprintf(stderr,
                "convbench summary: %s: no problem is named NETWORK:LAYER, "
                "so there is no network to total\n",
                a.nsets ? "--networks" : a.csv);
        goto cleanup;
    }
    print_all(&s, &a);
    if (a.choice &&
        write_choice(&s, a.choice, &rows, &missing, err, sizeof err)) {
        fprintf(stderr, "convbench summary: %s\n", err);
        goto cleanup;
    }
    if (a.choice && forward_only(&s))
        printf("wrote %s: %d layers (%d without a verified timing left out)\n",
               a.choice, rows, missing);
    else if (a.choice)
        printf("wrote %s: %d (layer, direction) rows (%d without a verified "
               "timing left out)\n",
               a.choice, rows, missing);
    rc = CONV_EXIT_OK;
cleanup:
    summary_free(&s);
    free(a.sets);
    return rc;
}
