/* libFuzzer target: the one results-CSV reader (harness/out/csv_read.c),
 * through conv_csv_parse, as compare and summary use it. Invariants: a
 * refusal is CONV_INVALID with a message; an accepted file has a header
 * and records of exactly its width, and written back as RFC 4180 (every
 * field quoted when it must be) it re-parses to the same cells; a known
 * column is found where the header names it. */
#include <stdint.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Appends field s, quoted when a reader could mistake it, to out. */
static size_t put_field(char *out, size_t at, const char *s, bool alone)
{
    const bool q = strpbrk(s, ",\"\r\n") || (alone && !*s);
    if (q) out[at++] = '"';
    for (; *s; s++) {
        if (*s == '"') out[at++] = '"';
        out[at++] = *s;
    }
    if (q) out[at++] = '"';
    return at;
}

static char *write_back(const conv_csv_file *c)
{
    size_t cap = 16;
    for (int j = 0; j < c->ncols; j++) cap += 2 * strlen(c->header[j]) + 4;
    for (int i = 0; i < c->nrows; i++)
        for (int j = 0; j < c->ncols; j++)
            cap += 2 * strlen(c->rows[i].f[j]) + 4;
    char *out = malloc(cap);
    if (!out) abort();
    size_t at = 0;
    for (int i = -1; i < c->nrows; i++) {
        char **f = i < 0 ? c->header : c->rows[i].f;
        for (int j = 0; j < c->ncols; j++) {
            if (j) out[at++] = ',';
            at = put_field(out, at, f[j], c->ncols == 1);
        }
        out[at++] = '\n';
    }
    out[at] = 0;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    conv_csv_file a, b;
    static const conv_col req[] = {CONV_COL_ALGO};
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    if (strlen(text) != size) { /* the file reader refuses NUL bytes */
        free(text);
        return 0;
    }
    conv_status st = conv_csv_parse(text, "fuzz", req, 1, &a, err, sizeof err);
    if (st != CONV_OK) {
        conv_fuzz_refusal(st, false, err, "csv");
        conv_csv_free(&a);
        return 0;
    }
    if (a.ncols < 1 || !a.header) conv_fuzz_fail("accepted without a header");
    if (a.col[CONV_COL_ALGO] < 0 ||
        strcmp(a.header[a.col[CONV_COL_ALGO]], "algo"))
        conv_fuzz_fail("the required column is not where its name is");
    char *again = write_back(&a);
    if (conv_csv_parse(again, "again", req, 1, &b, err, sizeof err))
        conv_fuzz_fail("written back, refused: %s", err);
    if (b.ncols != a.ncols || b.nrows != a.nrows)
        conv_fuzz_fail("written back: %d x %d, was %d x %d", b.nrows, b.ncols,
                       a.nrows, a.ncols);
    for (int i = -1; i < a.nrows; i++)
        for (int j = 0; j < a.ncols; j++) {
            const char *x = i < 0 ? a.header[j] : a.rows[i].f[j];
            const char *y = i < 0 ? b.header[j] : b.rows[i].f[j];
            if (strcmp(x, y))
                conv_fuzz_fail("record %d field %d: '%s' came back '%s'", i,
                               j, x, y);
        }
    conv_csv_free(&a);
    conv_csv_free(&b);
    return 0;
}
