/* NumPy .npy (format 1.0-3.0): float32, C order only. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out/out.h"

#define MAX_HEADER (1 << 16)

/* Finds 'key': in the header dict and returns the text after the colon. */
static const char *dict_value(const char *h, const char *key)
{
    char k[32];
    snprintf(k, sizeof k, "'%s'", key);
    const char *at = strstr(h, k);
    if (!at) return NULL;
    at += strlen(k);
    while (*at == ' ') at++;
    if (*at != ':') return NULL;
    at++;
    while (*at == ' ') at++;
    return at;
}

conv_status conv_npy_read(const char *path, int ndim, const size_t *dims,
                          float **data, char *err, size_t len)
{
    conv_status st = CONV_INVALID;
    unsigned char pre[12];
    char *h = NULL;
    float *v = NULL;
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return conv_why(err, len, CONV_INVALID, "%s: cannot open: %s", path,
                        strerror(errno));
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        conv_why(err, len, st, "%s: not a .npy file (bad magic)", path);
        goto cleanup;
    }
    size_t hl;
    if (pre[6] == 1) {
        hl = pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            conv_why(err, len, st, "%s: truncated header", path);
            goto cleanup;
        }
        hl = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
             (size_t)pre[11] << 24;
    } else {
        conv_why(err, len, st, "%s: unknown .npy version %d", path, pre[6]);
        goto cleanup;
    }
    if (hl > MAX_HEADER) {
        conv_why(err, len, st, "%s: header of %zu bytes is too long", path, hl);
        goto cleanup;
    }
    h = malloc(hl + 1);
    if (!h || fread(h, 1, hl, f) != hl) {
        conv_why(err, len, st, "%s: truncated header", path);
        goto cleanup;
    }
    h[hl] = 0;
    const char *d = dict_value(h, "descr");
    if (!d || (strncmp(d, "'<f4'", 5) != 0 && strncmp(d, "'=f4'", 5) != 0)) {
        conv_why(err, len, st,
                 "%s: dtype must be float32 ('<f4'), header says %.24s", path,
                 d ? d : "nothing");
        goto cleanup;
    }
    const char *fo = dict_value(h, "fortran_order");
    if (!fo || strncmp(fo, "False", 5) != 0) {
        conv_why(err, len, st, "%s: must be C order (fortran_order False)",
                 path);
        goto cleanup;
    }
    const char *s = dict_value(h, "shape");
    if (!s || *s != '(') {
        conv_why(err, len, st, "%s: no shape in header", path);
        goto cleanup;
    }
    size_t got[8], count = 1;
    int gn = 0;
    s++;
    for (;;) {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        char *end;
        errno = 0;
        unsigned long long x = strtoull(s, &end, 10);
        if (end == s || errno || gn == 8 || *s == '-') {
            conv_why(err, len, st, "%s: malformed shape in header", path);
            goto cleanup;
        }
        got[gn++] = (size_t)x;
        s = end;
    }
    bool same = gn == ndim;
    for (int i = 0; same && i < ndim; i++) same = got[i] == dims[i];
    if (!same) {
        char want[128] = "", have[128] = "";
        for (int i = 0; i < ndim; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%zu",
                     i ? ", " : "", dims[i]);
        for (int i = 0; i < gn; i++)
            snprintf(have + strlen(have), sizeof have - strlen(have), "%s%zu",
                     i ? ", " : "", got[i]);
        conv_why(err, len, st,
                 "%s: shape (%s) does not match the descriptor's (%s)", path,
                 have, want);
        goto cleanup;
    }
    for (int i = 0; i < ndim; i++) count *= dims[i];
    v = malloc(count ? count * sizeof *v : 1);
    if (!v) {
        st = conv_why(err, len, CONV_NOMEM, "%s: out of memory", path);
        goto cleanup;
    }
    if (fread(v, sizeof *v, count, f) != count) {
        conv_why(err, len, st, "%s: truncated data (expected %zu floats)", path,
                 count);
        goto cleanup;
    }
    if (fgetc(f) != EOF) {
        conv_why(err, len, st, "%s: trailing bytes after %zu floats", path,
                 count);
        goto cleanup;
    }
    *data = v;
    v = NULL;
    st = CONV_OK;
cleanup:
    free(v);
    free(h);
    fclose(f);
    return st;
}

conv_status conv_npy_write(const char *path, int ndim, const size_t *dims,
                           const float *data, char *err, size_t len)
{
    char h[256], tmp[4096];
    size_t count = 1;
    int k = snprintf(h, sizeof h,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < ndim; i++) {
        k += snprintf(h + k, sizeof h - (size_t)k, "%zu%s", dims[i],
                      ndim == 1 || i < ndim - 1 ? ", " : "");
        count *= dims[i];
    }
    k += snprintf(h + k, sizeof h - (size_t)k, "), }");
    /* Pad so the data starts 64-byte aligned; the header ends in '\n'. */
    while ((10 + k + 1) % 64) h[k++] = ' ';
    h[k++] = '\n';
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp)
        return conv_why(err, len, CONV_INVALID, "%s: path too long", path);
    int fd = conv_mkstemp(tmp);
    if (fd < 0)
        return conv_why(err, len, CONV_INVALID, "%s: cannot create: %s", path,
                        strerror(errno));
    FILE *f = fdopen(fd, "wb");
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(k & 0xff),
                             (unsigned char)(k >> 8)};
    if (!f) {
        close(fd);
    } else { /* a short write sets the error flag that commit checks */
        fwrite(pre, 1, 10, f);
        fwrite(h, 1, (size_t)k, f);
        fwrite(data, sizeof *data, count, f);
    }
    return conv_file_commit(f, tmp, path, err, len);
}
