/* The one CSV reader (RFC 4180) of every tool that reads results: compare,
 * summary, and whatever comes later. Quoted fields may hold commas,
 * newlines and doubled quotes; a quote inside an unquoted field, text
 * after a closing quote, a record whose field count differs from the
 * header's, and NUL bytes are errors naming the line. Empty lines are
 * skipped. Known columns are found by their names in out.h's table, so
 * order and extra columns do not matter. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "out/out.h"

static conv_status oom(conv_csv_file *c, char *err, size_t len)
{
    return conv_why(err, len, CONV_NOMEM, "%s: out of memory", c->path);
}

static conv_status push_cell(conv_csv_file *c, char *s)
{
    if (c->ncells == c->ccap) {
        size_t ncap = c->ccap ? 2 * c->ccap : 1024;
        char **nv = realloc(c->cells, ncap * sizeof *nv);
        if (!nv) return CONV_NOMEM;
        c->cells = nv, c->ccap = ncap;
    }
    c->cells[c->ncells++] = s;
    return CONV_OK;
}

static conv_status push_rec(conv_csv_file *c, size_t at, int line)
{
    if (c->nrows == c->rcap) {
        int ncap = c->rcap ? 2 * c->rcap : 256;
        conv_csv_rec *nv = realloc(c->rows, (size_t)ncap * sizeof *nv);
        if (!nv) return CONV_NOMEM;
        c->rows = nv, c->rcap = ncap;
    }
    /* f is set once parsing ends: cells may still move */
    c->rows[c->nrows++] = (conv_csv_rec){.at = at, .line = line};
    return CONV_OK;
}

static bool end_of_field(const char *r)
{
    return !*r || *r == ',' || *r == '\n' || (r[0] == '\r' && r[1] == '\n');
}

/* One field at *r, unescaped to *w; advances both and *line. */
static conv_status field(conv_csv_file *c, char **r, char **w, int *line,
                         int nf, bool *quoted, char *err, size_t len)
{
    char *rd = *r, *wr = *w;
    *quoted = *rd == '"';
    if (*quoted) {
        const int qline = *line;
        for (rd++;; rd++) {
            if (!*rd)
                return conv_why(err, len, CONV_INVALID,
                                "%s:%d: quoted field never closed", c->path,
                                qline);
            if (*rd == '"' && rd[1] != '"') break;
            if (*rd == '"') rd++;
            if (*rd == '\n') ++*line;
            *wr++ = *rd;
        }
        rd++;
        if (!end_of_field(rd))
            return conv_why(err, len, CONV_INVALID,
                            "%s:%d: field %d (quoted from line %d): text "
                            "after the closing quote",
                            c->path, *line, nf + 1, qline);
    } else {
        for (; !end_of_field(rd); rd++) {
            if (*rd == '"' || *rd == '\r')
                return conv_why(err, len, CONV_INVALID,
                                "%s:%d: field %d: stray %s in an unquoted "
                                "field",
                                c->path, *line, nf + 1,
                                *rd == '"' ? "quote" : "carriage return");
            *wr++ = *rd;
        }
    }
    *r = rd, *w = wr;
    return CONV_OK;
}

/* Splits the text into records of cells; the header is record 0. */
static conv_status split(conv_csv_file *c, char *err, size_t len)
{
    char *r = c->buf, *w = c->buf;
    int line = 1;
    conv_status st;
    while (*r) {
        const size_t at = c->ncells;
        const int rec_line = line;
        int nf = 0;
        bool blank = true, quoted;
        for (;;) {
            char *fs = w;
            if ((st = field(c, &r, &w, &line, nf, &quoted, err, len)))
                return st;
            blank = blank && !quoted && w == fs;
            if (push_cell(c, fs)) return oom(c, err, len);
            nf++;
            const char sep = *r;
            r += sep == '\r' ? 2 : sep ? 1 : 0;
            *w++ = '\0'; /* w <= the separator just read: safe to overwrite */
            if (sep != ',') {
                if (sep) line++;
                break;
            }
        }
        if (blank && nf == 1) {
            c->ncells = at; /* an empty line */
            continue;
        }
        if (push_rec(c, at, rec_line)) return oom(c, err, len);
    }
    return CONV_OK;
}

int conv_csv_find(const conv_csv_file *c, const char *name)
{
    for (int j = 0; j < c->ncols; j++)
        if (!strcmp(c->header[j], name)) return j;
    return -1;
}

const char *conv_csv_get(const conv_csv_file *c, const conv_csv_rec *r,
                         conv_col k)
{
    return c->col[k] >= 0 ? r->f[c->col[k]] : "";
}

conv_status conv_csv_parse(char *text, const char *path, const conv_col *req,
                           int nreq, conv_csv_file *c, char *err, size_t len)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->buf = text;
    conv_status st = split(c, err, len);
    if (st) return st;
    if (c->nrows == 0)
        return conv_why(err, len, CONV_INVALID, "%s: empty, no header", path);
    c->ncols =
        (int)((c->nrows > 1 ? c->rows[1].at : c->ncells) - c->rows[0].at);
    c->header = c->cells + c->rows[0].at;
    for (int k = 0; k < CONV_NCOLS; k++)
        c->col[k] = conv_csv_find(c, conv_col_names[k]);
    for (int i = 0; i < nreq; i++)
        if (c->col[req[i]] < 0)
            return conv_why(err, len, CONV_INVALID,
                            "%s:1: no column \"%s\" in the header (is this a "
                            "convbench CSV?)",
                            path, conv_col_names[req[i]]);
    for (int i = 1; i < c->nrows; i++) {
        conv_csv_rec *r = &c->rows[i];
        const size_t end = i + 1 < c->nrows ? c->rows[i + 1].at : c->ncells;
        if ((int)(end - r->at) != c->ncols)
            return conv_why(err, len, CONV_INVALID,
                            "%s:%d: %d fields, the header has %d", path,
                            r->line, (int)(end - r->at), c->ncols);
        r->f = c->cells + r->at;
    }
    c->nrows--; /* the header is not a data record */
    memmove(c->rows, c->rows + 1, (size_t)c->nrows * sizeof *c->rows);
    return CONV_OK;
}

conv_status conv_csv_read(const char *path, const conv_col *req, int nreq,
                          conv_csv_file *c, char *err, size_t len)
{
    char *text;
    size_t n;
    bool missing;
    memset(c, 0, sizeof *c);
    conv_status st = conv_file_read(path, &text, &n, &missing, err, len);
    if (st) return st;
    if (strlen(text) != n) {
        free(text);
        return conv_why(err, len, CONV_INVALID,
                        "%s: contains NUL bytes, not a text file", path);
    }
    return conv_csv_parse(text, path, req, nreq, c, err, len);
}

void conv_csv_free(conv_csv_file *c)
{
    free(c->buf);
    free(c->cells);
    free(c->rows);
    memset(c, 0, sizeof *c);
}
