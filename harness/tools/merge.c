/* convbench merge A.csv B.csv ... -o ALL.csv [--allow-missing]: the shards
 * of one run (--shard I/N, docs/design.md §15) joined into one CSV and
 * .meta.json, as if one machine had run them all.
 *
 * Refused (exit 2, naming the file and what): a file that is no convbench
 * CSV or has no .meta.json, an unsharded one, shards whose rows were made
 * for other options or builds (conv_meta_row_keys) or another shard count,
 * a shard given twice, an interrupted shard, a row in two shards, and a
 * missing shard unless --allow-missing (the meta then lists it). The rows
 * come shard by shard, each shard's as it wrote them; the meta keeps the
 * members the shards share, lists each shard's machine and build in
 * "shards", and sums the row counts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tools.h"

#define MAX_SHARDS 4096

typedef struct shard {
    const char *path;
    conv_csv_file f;
    conv_meta m;
    int i, n; /* I/N */
} shard;

typedef struct merge {
    shard *s;
    int ns;
    const char *out;
    bool allow_missing;
} merge;

static int refuse(const char *fmt, const char *a, const char *b, const char *c)
{
    fprintf(stderr, "convbench merge: ");
    fprintf(stderr, fmt, a, b, c);
    fputc('\n', stderr);
    return CONV_EXIT_USAGE;
}

static int usage(const char *why, const char *arg)
{
    refuse("%s%s%s", why, arg, "");
    fprintf(stderr, "usage: convbench merge SHARD.csv... -o ALL.csv "
                    "[--allow-missing]\n");
    return CONV_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, merge *g)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (++i == argc) return usage("-o needs a file", "");
            g->out = argv[i];
        } else if (!strcmp(argv[i], "--allow-missing")) {
            g->allow_missing = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage("unknown option ", argv[i]);
        } else if (g->ns == MAX_SHARDS) {
            return usage("too many files", "");
        } else {
            g->s[g->ns++].path = argv[i];
        }
    }
    if (!g->out) return usage("give the merged file with -o ALL.csv", "");
    if (!g->ns) return usage("give the shards' CSVs", "");
    return 0;
}

/* One shard's CSV and meta, and its I/N. */
static int load(shard *s)
{
    static const conv_col req[] = {CONV_COL_ALGO, CONV_COL_DIR, CONV_COL_DESC,
                                   CONV_COL_STATUS};
    char err[600], num[16];
    if (conv_csv_read(s->path, req, 4, &s->f, err, sizeof err) ||
        conv_meta_read(s->path, &s->m, err, sizeof err))
        return refuse("%s: not a convbench CSV: %s%s", s->path, err, "");
    if (!s->m.found)
        return refuse("%s: no %s.meta.json%s", s->path, s->path, "");
    const char *sh = conv_meta_get(&s->m, "shard", NULL);
    int end = 0;
    if (!sh || sscanf(sh, "%d/%d%n", &s->i, &s->n, &end) != 2 || sh[end] ||
        s->i < 1 || s->i > s->n)
        return refuse("%s: not a shard (its meta has shard \"%s\")%s", s->path,
                      sh ? sh : "", "");
    const char *intr = conv_meta_get(&s->m, "interrupted", NULL);
    snprintf(num, sizeof num, "%d", s->i);
    if (!intr || strcmp(intr, "false"))
        return refuse("%s: shard %s did not finish (\"interrupted\": %s): "
                      "run it again with --resume",
                      s->path, num, intr ? intr : "missing");
    return 0;
}

/* Every shard against the first: the rows' options, the count, the
 * header; no shard twice. */
static int agree(const merge *g)
{
    const shard *a = &g->s[0];
    for (int k = 1; k < g->ns; k++) {
        const shard *b = &g->s[k];
        for (int j = 0; j < conv_meta_row_key_count; j++) {
            const char *key = conv_meta_row_keys[j],
                       *x = conv_meta_get(&a->m, key, NULL),
                       *y = conv_meta_get(&b->m, key, NULL);
            if (!x || !y || strcmp(x, y))
                return refuse("%s and %s: their %s differ", a->path, b->path,
                              key);
        }
        if (a->n != b->n)
            return refuse("%s and %s: shards of different counts (N)", a->path,
                          b->path, "");
        if (a->f.ncols != b->f.ncols)
            return refuse("%s and %s: different columns%s", a->path, b->path,
                          "");
        for (int c = 0; c < a->f.ncols; c++)
            if (strcmp(a->f.header[c], b->f.header[c]))
                return refuse("%s and %s: different columns%s", a->path,
                              b->path, "");
        for (int j = 0; j < k; j++)
            if (g->s[j].i == b->i)
                return refuse("%s and %s: the same shard twice%s", g->s[j].path,
                              b->path, "");
    }
    return 0;
}

static int by_index(const void *x, const void *y)
{
    return ((const shard *)x)->i - ((const shard *)y)->i;
}

/* The shard indices not given, as "2,5"; false when none is missing. */
static bool missing(const merge *g, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 1, k = 0; i <= g->s[0].n; i++) {
        while (k < g->ns && g->s[k].i < i) k++;
        if (k < g->ns && g->s[k].i == i) continue;
        if (at < len)
            at +=
                (size_t)snprintf(buf + at, len - at, "%s%d", at ? "," : "", i);
    }
    return buf[0] != 0;
}

/* No (algo, dir, desc) in two shards: the split gives each problem one. */
static int no_overlap(const merge *g)
{
    for (int a = 0; a < g->ns; a++)
        for (int b = a + 1; b < g->ns; b++)
            for (int i = 0; i < g->s[a].f.nrows; i++)
                for (int j = 0; j < g->s[b].f.nrows; j++) {
                    const conv_csv_file *x = &g->s[a].f, *y = &g->s[b].f;
                    const conv_csv_rec *r = &x->rows[i], *q = &y->rows[j];
                    if (!strcmp(conv_csv_get(x, r, CONV_COL_DESC),
                                conv_csv_get(y, q, CONV_COL_DESC)) &&
                        !strcmp(conv_csv_get(x, r, CONV_COL_ALGO),
                                conv_csv_get(y, q, CONV_COL_ALGO)) &&
                        !strcmp(conv_csv_get(x, r, CONV_COL_DIR),
                                conv_csv_get(y, q, CONV_COL_DIR)))
                        return refuse("%s and %s both hold the row of %s",
                                      g->s[a].path, g->s[b].path,
                                      conv_csv_get(x, r, CONV_COL_DESC));
                }
    return 0;
}

/* A CSV field, quoted when it must be. */
static void put_field(FILE *f, const char *v)
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

static void put_json(FILE *f, const char *key, const char *v, bool is_num)
{
    fprintf(f, "  \"%s\": ", key);
    if (is_num) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)v; *c; c++)
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 32)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    fputc('"', f);
}

/* Members the shards share go through as they are; these are per shard. */
static bool per_shard(const char *key)
{
    static const char *const keys[] = {"cpu_model",
                                       "cpu_flags",
                                       "cores",
                                       "blas_core",
                                       "date",
                                       "command",
                                       "shard",
                                       "sgemm_gflops",
                                       "interrupted",
                                       "signal",
                                       "rows_done",
                                       "rows_planned",
                                       "blas_coretype_env",
                                       "blas_thread_timeout_env",
                                       "openblas_config"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!strcmp(key, keys[i])) return true;
    return false;
}

static conv_status write_meta(const merge *g, const char *miss, char *err,
                              size_t len)
{
    char path[4200], tmp[4300];
    double sgemm = 0, done = 0, planned = 0, v;
    snprintf(path, sizeof path, "%s.meta.json", g->out);
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);
    const int fd = conv_mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) return conv_why(err, len, CONV_INVALID, "%s: cannot create", path);
    fprintf(f, "{\n");
    const conv_meta *m0 = &g->s[0].m;
    for (int i = 0; i < m0->n; i++)
        if (!per_shard(m0->kv[i].key)) {
            put_json(f, m0->kv[i].key, m0->kv[i].str,
                     m0->kv[i].is_num || !strcmp(m0->kv[i].str, "true") ||
                         !strcmp(m0->kv[i].str, "false"));
            fprintf(f, ",\n");
        }
    fprintf(f, "  \"shards\": [\n");
    for (int k = 0; k < g->ns; k++) {
        const conv_meta *m = &g->s[k].m;
        static const char *const show[] = {"shard",     "cpu_model", "cores",
                                           "blas_core", "date",      "command"};
        fprintf(f, "    {");
        put_json(f, "file", g->s[k].path, false);
        for (size_t j = 0; j < sizeof show / sizeof *show; j++) {
            const char *x = conv_meta_get(m, show[j], NULL);
            fprintf(f, ",");
            put_json(f, show[j], x ? x : "", x && !strcmp(show[j], "cores"));
        }
        fprintf(f, "}%s\n", k + 1 < g->ns ? "," : "");
        conv_meta_get(m, "sgemm_gflops", &v);
        sgemm += isnan(v) ? 0 : v / g->ns;
        conv_meta_get(m, "rows_done", &v);
        done += isnan(v) ? 0 : v;
        conv_meta_get(m, "rows_planned", &v);
        planned += isnan(v) ? 0 : v;
    }
    fprintf(f, "  ],\n  \"shard\": \"merged %d of %d\",\n", g->ns, g->s[0].n);
    put_json(f, "missing_shards", miss, false);
    fprintf(f, ",\n  \"cpu_model\": \"%s\",\n",
            g->ns > 1 ? "several (see shards)" : "one (see shards)");
    /* the mean of the shards' yardsticks: compare's normaliser */
    fprintf(f, "  \"sgemm_gflops\": %.3f,\n", sgemm);
    fprintf(f,
            "  \"interrupted\": false,\n  \"rows_done\": %.0f,\n"
            "  \"rows_planned\": %.0f\n}\n",
            done, planned);
    return conv_file_commit(f, tmp, path, err, len);
}

static conv_status write_csv(const merge *g, char *err, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", g->out);
    const int fd = conv_mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f)
        return conv_why(err, len, CONV_INVALID, "%s: cannot create", g->out);
    const conv_csv_file *h = &g->s[0].f;
    for (int c = 0; c < h->ncols; c++) {
        if (c) fputc(',', f);
        put_field(f, h->header[c]);
    }
    fputc('\n', f);
    for (int k = 0; k < g->ns; k++)
        for (int i = 0; i < g->s[k].f.nrows; i++) {
            for (int c = 0; c < h->ncols; c++) {
                if (c) fputc(',', f);
                put_field(f, g->s[k].f.rows[i].f[c]);
            }
            fputc('\n', f);
        }
    return conv_file_commit(f, tmp, g->out, err, len);
}

int conv_merge_main(int argc, char **argv)
{
    merge g = {.s = calloc(MAX_SHARDS, sizeof(shard))};
    char err[600], miss[1024];
    int rc = CONV_EXIT_USAGE;
    if (!g.s) return refuse("out of memory%s%s%s", "", "", "");
    if ((rc = parse_args(argc, argv, &g))) goto cleanup;
    for (int k = 0; k < g.ns; k++)
        if ((rc = load(&g.s[k]))) goto cleanup;
    if ((rc = agree(&g))) goto cleanup;
    qsort(g.s, (size_t)g.ns, sizeof *g.s, by_index);
    if (missing(&g, miss, sizeof miss) && !g.allow_missing) {
        snprintf(err, sizeof err, "%d", g.s[0].n);
        rc = refuse("shard(s) %s of %s missing (--allow-missing merges the "
                    "rest)%s",
                    miss, err, "");
        goto cleanup;
    }
    if ((rc = no_overlap(&g))) goto cleanup;
    rc = CONV_EXIT_USAGE;
    if (write_csv(&g, err, sizeof err) ||
        write_meta(&g, miss, err, sizeof err)) {
        refuse("%s%s%s", err, "", "");
        goto cleanup;
    }
    printf("merge: %d shard(s) of %d into %s%s%s\n", g.ns, g.s[0].n, g.out,
           miss[0] ? ", missing " : "", miss);
    rc = CONV_EXIT_OK;
cleanup:
    for (int k = 0; k < g.ns; k++) {
        conv_csv_free(&g.s[k].f);
        conv_meta_free(&g.s[k].m);
    }
    free(g.s);
    return rc;
}
