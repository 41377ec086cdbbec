/* NumPy .npy (format 1.0-3.0): float32, C order only. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Magic, version and header length: the first 10 or 12 bytes. */
static conv_status preamble(const unsigned char *b, size_t size, size_t *start,
                            size_t *hl, char *err, size_t len)
{
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return conv_why(err, len, CONV_INVALID, "not a .npy file (bad magic)");
    if (b[6] == 1) {
        *start = 10;
        *hl = b[8] | (size_t)b[9] << 8;
    } else if (b[6] == 2 || b[6] == 3) {
        if (size < 12)
            return conv_why(err, len, CONV_INVALID, "truncated header");
        *start = 12;
        *hl = b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
              (size_t)b[11] << 24;
    } else {
        return conv_why(err, len, CONV_INVALID, "unknown .npy version %d",
                        b[6]);
    }
    if (*hl > MAX_HEADER)
        return conv_why(err, len, CONV_INVALID,
                        "header of %zu bytes is too long", *hl);
    return CONV_OK;
}

/* The header dict, NUL-terminated: dtype, order and shape. */
static conv_status header_dict(const char *h, int *ndim, size_t *dims,
                               char *err, size_t len)
{
    const char *d = dict_value(h, "descr");
    if (!d || (strncmp(d, "'<f4'", 5) != 0 && strncmp(d, "'=f4'", 5) != 0))
        return conv_why(err, len, CONV_INVALID,
                        "dtype must be float32 ('<f4'), header says %.24s",
                        d ? d : "nothing");
    const char *fo = dict_value(h, "fortran_order");
    if (!fo || strncmp(fo, "False", 5) != 0)
        return conv_why(err, len, CONV_INVALID,
                        "must be C order (fortran_order False)");
    const char *s = dict_value(h, "shape");
    if (!s || *s != '(')
        return conv_why(err, len, CONV_INVALID, "no shape in header");
    int gn = 0;
    s++;
    for (;;) {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        char *end;
        errno = 0;
        unsigned long long x = strtoull(s, &end, 10);
        /* Digits only: strtoull would take " -1" as 2^64 - 1. */
        if (!isdigit((unsigned char)*s) || errno || gn == CONV_NPY_MAX_DIMS)
            return conv_why(err, len, CONV_INVALID,
                            "malformed shape in header");
        dims[gn++] = (size_t)x;
        s = end;
    }
    *ndim = gn;
    return CONV_OK;
}

conv_status conv_npy_header(const void *buf, size_t size, int *ndim,
                            size_t dims[CONV_NPY_MAX_DIMS], size_t *offset,
                            char *err, size_t len)
{
    const unsigned char *b = buf;
    size_t start, hl;
    conv_status st = preamble(b, size, &start, &hl, err, len);
    if (st) return st;
    if (size - start < hl)
        return conv_why(err, len, CONV_INVALID, "truncated header");
    char *h = malloc(hl + 1);
    if (!h) return conv_why(err, len, CONV_NOMEM, "out of memory");
    memcpy(h, b + start, hl);
    h[hl] = 0;
    st = header_dict(h, ndim, dims, err, len);
    free(h);
    *offset = start + hl;
    return st;
}

/* "1, 3, 224, 224" */
static void shape_text(char *buf, size_t n, int nd, const size_t *dims)
{
    buf[0] = 0;
    for (int i = 0; i < nd; i++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%zu", i ? ", " : "",
                 dims[i]);
}

/* The header's shape against the one expected; *count: its floats. */
static conv_status match_shape(int gn, const size_t *got, int ndim,
                               const size_t *dims, size_t *count, char *err,
                               size_t len)
{
    char want[200], have[200];
    shape_text(have, sizeof have, gn, got);
    bool same = gn == ndim;
    for (int i = 0; same && i < ndim; i++) same = got[i] == dims[i];
    if (!same) {
        shape_text(want, sizeof want, ndim, dims);
        return conv_why(err, len, CONV_INVALID,
                        "shape (%s) does not match the descriptor's (%s)", have,
                        want);
    }
    /* Checked: a wrapped product would pass as a small array. */
    size_t c = 1;
    bool over = false, empty = false;
    for (int i = 0; i < ndim; i++) {
        over |= __builtin_mul_overflow(c, dims[i], &c);
        empty |= dims[i] == 0;
    }
    if (!empty && (over || c > SIZE_MAX / sizeof(float)))
        return conv_why(err, len, CONV_INVALID,
                        "shape (%s) has more floats than memory holds", have);
    *count = empty ? 0 : c;
    return CONV_OK;
}

/* have: the bytes after the header (one more than needed is enough). */
static conv_status data_size(size_t have, size_t count, char *err, size_t len)
{
    if (have < count * sizeof(float))
        return conv_why(err, len, CONV_INVALID,
                        "truncated data (expected %zu floats)", count);
    if (have > count * sizeof(float))
        return conv_why(err, len, CONV_INVALID,
                        "trailing bytes after %zu floats", count);
    return CONV_OK;
}

conv_status conv_npy_parse(const void *buf, size_t size, int ndim,
                           const size_t *dims, float **data, char *err,
                           size_t len)
{
    int gn;
    size_t got[CONV_NPY_MAX_DIMS], off, count;
    *data = NULL;
    conv_status st = conv_npy_header(buf, size, &gn, got, &off, err, len);
    if (!st) st = match_shape(gn, got, ndim, dims, &count, err, len);
    if (!st) st = data_size(size - off, count, err, len);
    if (st) return st;
    float *v = malloc(count ? count * sizeof *v : 1);
    if (!v) return conv_why(err, len, CONV_NOMEM, "out of memory");
    memcpy(v, (const unsigned char *)buf + off, count * sizeof *v);
    *data = v;
    return CONV_OK;
}

/* conv_npy_parse's checks on a file read in three steps (preamble,
 * header, data), so the data is read once, into its own buffer. */
static conv_status read_npy(FILE *f, int ndim, const size_t *dims, float **data,
                            char *err, size_t len)
{
    unsigned char pre[12];
    size_t start, hl, off, count, got[CONV_NPY_MAX_DIMS];
    int gn;
    size_t n = fread(pre, 1, 10, f);
    if (n == 10 && (pre[6] == 2 || pre[6] == 3)) n += fread(pre + 10, 1, 2, f);
    conv_status st = preamble(pre, n, &start, &hl, err, len);
    if (st) return st;
    unsigned char *img = malloc(start + hl);
    if (!img) return conv_why(err, len, CONV_NOMEM, "out of memory");
    memcpy(img, pre, start);
    if (fread(img + start, 1, hl, f) != hl)
        st = conv_why(err, len, CONV_INVALID, "truncated header");
    if (!st) st = conv_npy_header(img, start + hl, &gn, got, &off, err, len);
    free(img);
    if (!st) st = match_shape(gn, got, ndim, dims, &count, err, len);
    if (st) return st;
    /* A regular file's size shows it truncated before any allocation. */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
        (uint64_t)sb.st_size >= off &&
        (uint64_t)sb.st_size - off < count * sizeof(float))
        return data_size((size_t)((uint64_t)sb.st_size - off), count, err, len);
    float *v = malloc(count ? count * sizeof *v : 1);
    if (!v) return conv_why(err, len, CONV_NOMEM, "out of memory");
    size_t have = fread(v, 1, count * sizeof *v, f);
    if (have == count * sizeof *v && fgetc(f) != EOF) have++;
    st = data_size(have, count, err, len);
    if (st) {
        free(v);
        return st;
    }
    *data = v;
    return CONV_OK;
}

conv_status conv_npy_read(const char *path, int ndim, const size_t *dims,
                          float **data, char *err, size_t len)
{
    char why[400];
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return conv_why(err, len, CONV_INVALID, "%s: cannot open: %s", path,
                        strerror(errno));
    conv_status st = read_npy(f, ndim, dims, data, why, sizeof why);
    fclose(f);
    return st ? conv_why(err, len, st, "%s: %s", path, why) : CONV_OK;
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
