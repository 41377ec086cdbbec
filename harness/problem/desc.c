/* benchdnn descriptors (docs/design.md §2): parse, check, print canonically. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "problem/problem.h"

/* Fields as written; index into raw[] below. 3D fields are read so that a
 * 3D problem is recognised and refused as unsupported, not as a typo. */
enum {
    F_G,
    F_MB,
    F_IC,
    F_IH,
    F_IW,
    F_OC,
    F_OH,
    F_OW,
    F_KH,
    F_KW,
    F_SH,
    F_SW,
    F_PH,
    F_PW,
    F_DH,
    F_DW,
    F_ID,
    F_OD,
    F_KD,
    F_SD,
    F_PD,
    F_DD,
    F_COUNT
};

static const struct {
    const char *key;
    int min; /* smallest legal value */
} fields[F_COUNT] = {
    [F_G] = {"g", 1},   [F_MB] = {"mb", 1}, [F_IC] = {"ic", 1},
    [F_IH] = {"ih", 1}, [F_IW] = {"iw", 1}, [F_OC] = {"oc", 1},
    [F_OH] = {"oh", 1}, [F_OW] = {"ow", 1}, [F_KH] = {"kh", 1},
    [F_KW] = {"kw", 1}, [F_SH] = {"sh", 1}, [F_SW] = {"sw", 1},
    [F_PH] = {"ph", 0}, [F_PW] = {"pw", 0}, [F_DH] = {"dh", 0},
    [F_DW] = {"dw", 0}, [F_ID] = {"id", 1}, [F_OD] = {"od", 1},
    [F_KD] = {"kd", 1}, [F_SD] = {"sd", 1}, [F_PD] = {"pd", 0},
    [F_DD] = {"dd", 0},
};

/* Each spatial field in h and its w twin, for promotion and the 1D case. */
static const int hw_pairs[][2] = {{F_IH, F_IW}, {F_OH, F_OW}, {F_KH, F_KW},
                                  {F_SH, F_SW}, {F_PH, F_PW}, {F_DH, F_DW}};
#define NPAIRS (int)(sizeof hw_pairs / sizeof hw_pairs[0])

/* Largest value a field may take: keeps every derived int64 product far
 * from overflow; memory checks then bound the real sizes. */
#define FIELD_MAX (1 << 24)

/* a*b*c*d in uint64 with overflow detection. */
static bool mul4(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t *out)
{
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r) || __builtin_mul_overflow(r, c, &r) ||
        __builtin_mul_overflow(r, d, &r))
        return false;
    *out = r;
    return true;
}

conv_status conv_problem_check(const conv_problem *p, size_t mem_cap, char *err,
                               size_t len)
{
    const struct {
        const char *key;
        int v, min;
    } vals[] = {{"g", p->g, 1},   {"mb", p->n, 1},  {"ic", p->ic, 1},
                {"ih", p->ih, 1}, {"iw", p->iw, 1}, {"oc", p->oc, 1},
                {"oh", p->oh, 1}, {"ow", p->ow, 1}, {"kh", p->kh, 1},
                {"kw", p->kw, 1}, {"sh", p->sh, 1}, {"sw", p->sw, 1},
                {"pt", p->pt, 0}, {"pb", p->pb, 0}, {"pl", p->pl, 0},
                {"pr", p->pr, 0}, {"dh", p->dh, 1}, {"dw", p->dw, 1}};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        if (vals[i].v < vals[i].min)
            return conv_why(err, len, CONV_INVALID, "%s=%d must be >= %d",
                            vals[i].key, vals[i].v, vals[i].min);
        if (vals[i].v > FIELD_MAX)
            return conv_why(err, len, CONV_INVALID, "%s=%d is over %d",
                            vals[i].key, vals[i].v, FIELD_MAX);
    }
    if (p->ic % p->g)
        return conv_why(err, len, CONV_INVALID,
                        "ic=%d is not divisible by g=%d", p->ic, p->g);
    if (p->oc % p->g)
        return conv_why(err, len, CONV_INVALID,
                        "oc=%d is not divisible by g=%d", p->oc, p->g);
    const int64_t ext_h = (int64_t)(p->kh - 1) * p->dh + 1;
    const int64_t ext_w = (int64_t)(p->kw - 1) * p->dw + 1;
    const int64_t pad_h = (int64_t)p->ih + p->pt + p->pb;
    const int64_t pad_w = (int64_t)p->iw + p->pl + p->pr;
    if (ext_h > pad_h)
        return conv_why(err, len, CONV_INVALID,
                        "kh: kernel extent %lld exceeds the padded input "
                        "height %lld",
                        (long long)ext_h, (long long)pad_h);
    if (ext_w > pad_w)
        return conv_why(err, len, CONV_INVALID,
                        "kw: kernel extent %lld exceeds the padded input "
                        "width %lld",
                        (long long)ext_w, (long long)pad_w);
    if ((pad_h - ext_h) / p->sh + 1 != p->oh)
        return conv_why(err, len, CONV_INVALID,
                        "oh=%d does not follow from ih, kh, sh, padding and "
                        "dilation (expected %lld)",
                        p->oh, (long long)((pad_h - ext_h) / p->sh + 1));
    if ((pad_w - ext_w) / p->sw + 1 != p->ow)
        return conv_why(err, len, CONV_INVALID,
                        "ow=%d does not follow from iw, kw, sw, padding and "
                        "dilation (expected %lld)",
                        p->ow, (long long)((pad_w - ext_w) / p->sw + 1));
    /* What the harness holds: x, w, b as float; y as float plus the
     * reference and its magnitudes as double. */
    uint64_t xe, we, ye, bytes = 0;
    if (!mul4(p->n, p->ic, p->ih, p->iw, &xe) ||
        !mul4(p->oc, p->ic / p->g, p->kh, p->kw, &we) ||
        !mul4(p->n, p->oc, p->oh, p->ow, &ye) ||
        __builtin_mul_overflow(ye, 20, &bytes) ||
        __builtin_add_overflow(bytes, 4 * (xe + we + (uint64_t)p->oc),
                               &bytes) ||
        bytes > SIZE_MAX / 2)
        return conv_why(err, len, CONV_INVALID,
                        "mb/ic/oc/sizes: tensor sizes overflow 64 bits");
    if (mem_cap && bytes > mem_cap)
        return conv_why(err, len, CONV_INVALID,
                        "mb/ic/oc/sizes: tensors need %llu bytes, over the "
                        "memory cap of %llu (--mem-cap)",
                        (unsigned long long)bytes, (unsigned long long)mem_cap);
    return CONV_OK;
}

/* The fields of a descriptor as written. */
typedef struct written {
    long long raw[F_COUNT];
    bool have[F_COUNT];
    char name[sizeof((conv_problem *)0)->name];
} written;

/* The n"name" at *c; advances *c past it. */
static conv_status lex_name(const char *s, const char **c, written *wr,
                            char *err, size_t len)
{
    const char *end = strchr(*c + 2, '"');
    if (!end)
        return conv_why(err, len, CONV_INVALID,
                        "n: name has no closing quote in '%s'", s);
    size_t nl = (size_t)(end - (*c + 2));
    if (nl >= sizeof wr->name)
        return conv_why(err, len, CONV_INVALID,
                        "n: name longer than %zu characters",
                        sizeof wr->name - 1);
    memcpy(wr->name, *c + 2, nl);
    wr->name[nl] = 0;
    *c = end + 1;
    return CONV_OK;
}

/* One key and its number at *c; advances *c past them. */
static conv_status lex_field(const char *s, const char **c, written *wr,
                             char *err, size_t len)
{
    char key[8];
    size_t kl = 0;
    while (islower((unsigned char)**c) && kl < sizeof key - 1)
        key[kl++] = *(*c)++;
    key[kl] = 0;
    if (kl == 0)
        return conv_why(err, len, CONV_INVALID,
                        "unexpected character '%c' at offset %td in '%s'", **c,
                        *c - s, s);
    int f = 0;
    while (f < F_COUNT && strcmp(fields[f].key, key) != 0) f++;
    if (f == F_COUNT)
        return conv_why(err, len, CONV_INVALID, "unknown field '%s' in '%s'",
                        key, s);
    if (wr->have[f])
        return conv_why(err, len, CONV_INVALID, "%s: field given twice in '%s'",
                        key, s);
    if (**c == '-')
        return conv_why(err, len, CONV_INVALID, "%s: negative value in '%s'",
                        key, s);
    if (!isdigit((unsigned char)**c))
        return conv_why(err, len, CONV_INVALID, "%s: expected a number in '%s'",
                        key, s);
    long long v = 0;
    while (isdigit((unsigned char)**c)) {
        v = v * 10 + (*(*c)++ - '0');
        if (v > FIELD_MAX)
            return conv_why(err, len, CONV_INVALID,
                            "%s: value is over %d in '%s'", key, FIELD_MAX, s);
    }
    if (v < fields[f].min)
        return conv_why(err, len, CONV_INVALID,
                        "%s: value %lld must be >= %d in '%s'", key, v,
                        fields[f].min, s);
    wr->raw[f] = v;
    wr->have[f] = true;
    return CONV_OK;
}

static conv_status lex(const char *s, written *wr, char *err, size_t len)
{
    conv_status st;
    for (const char *c = s; *c;) {
        if (*c == '_')
            c++;
        else if (c[0] == 'n' && c[1] == '"') {
            if ((st = lex_name(s, &c, wr, err, len))) return st;
        } else if ((st = lex_field(s, &c, wr, err, len)))
            return st;
    }
    return CONV_OK;
}

/* The fields a problem needs, the 1D case and w copied from h; *is_1d. */
static conv_status complete(written *wr, bool *is_1d, char *err, size_t len)
{
    for (int f = F_ID; f <= F_DD; f++)
        if (wr->have[f])
            return conv_why(err, len, CONV_UNSUPPORTED,
                            "3D problems (field %s) are not supported",
                            fields[f].key);
    if (!wr->have[F_IC]) return conv_why(err, len, CONV_INVALID, "ic: missing");
    if (!wr->have[F_OC]) return conv_why(err, len, CONV_INVALID, "oc: missing");
    bool any_h = false, any_w = false;
    for (int i = 0; i < NPAIRS; i++) {
        any_h |= wr->have[hw_pairs[i][0]];
        any_w |= wr->have[hw_pairs[i][1]];
    }
    *is_1d = !any_h && any_w;
    for (int i = 0; i < NPAIRS; i++) {
        int h = hw_pairs[i][0], w = hw_pairs[i][1];
        if (*is_1d) {
            /* The trivial height: one row, one tap, dense, unpadded. */
            wr->raw[h] = (h == F_PH || h == F_DH) ? 0 : 1;
            wr->have[h] = (h != F_OH && h != F_PH);
        } else if (!any_w && wr->have[h]) {
            /* No w field at all: a square problem, w copies h. Otherwise
             * each axis stands alone, as in benchdnn. */
            wr->raw[w] = wr->raw[h];
            wr->have[w] = true;
        }
    }
    if (!wr->have[F_IH] || !wr->have[F_IW])
        return conv_why(err, len, CONV_INVALID, "ih/iw: input size missing");
    if (!wr->have[F_KH] || !wr->have[F_KW])
        return conv_why(err, len, CONV_INVALID, "kh/kw: kernel size missing");
    return CONV_OK;
}

/* One axis (0 height, 1 width): (i, o, k, s, p, d) -> (in, out, kernel,
 * stride, pad-before, pad-after, dilation factor) of p. */
static conv_status resolve_axis(const written *wr, int axis, conv_problem *p,
                                char *err, size_t len)
{
    const long long *raw = wr->raw;
    const bool *have = wr->have;
    const int fi = axis ? F_IW : F_IH, fo = axis ? F_OW : F_OH,
              fk = axis ? F_KW : F_KH, fs = axis ? F_SW : F_SH,
              fp = axis ? F_PW : F_PH, fd = axis ? F_DW : F_DH;
    const char *ax = axis ? "w" : "h";
    long long in = raw[fi], k = raw[fk];
    long long st = have[fs] ? raw[fs] : 1;
    long long d = (have[fd] ? raw[fd] : 0) + 1;
    long long ext = (k - 1) * d + 1, pa, pb, out;
    if (!have[fo]) {
        pa = pb = have[fp] ? raw[fp] : 0;
        if (in + pa + pb < ext)
            return conv_why(err, len, CONV_INVALID,
                            "k%s: kernel extent %lld exceeds the padded "
                            "input %lld",
                            ax, ext, in + pa + pb);
        out = (in + pa + pb - ext) / st + 1;
        /* Padding past the last window changes nothing: keep what oh
         * needs, as the oh form below derives it, so that one convolution
         * is one problem and its canonical descriptor (which gives oh)
         * re-parses to it. */
        pb = (out - 1) * st + ext - in - pa;
        if (pb < 0) pb = 0;
    } else {
        out = raw[fo];
        long long span = (out - 1) * st - in + ext; /* pa + pb needed */
        pa = have[fp] ? raw[fp] : span / 2;
        if (pa < 0) pa = 0;
        pb = span - pa;
        if (pb < 0 && pb >= -(st - 1)) pb = 0;
        if (pb < 0)
            return conv_why(err, len, CONV_INVALID,
                            "o%s: %lld is inconsistent with i%s=%lld, "
                            "k%s=%lld, s%s=%lld, p%s=%lld, d%s=%lld",
                            ax, out, ax, in, ax, k, ax, st, ax, pa, ax, d - 1);
    }
    if (pb > FIELD_MAX)
        return conv_why(err, len, CONV_INVALID,
                        "o%s: implies padding %lld over %d", ax, pb, FIELD_MAX);
    int *dst[] = {axis ? &p->iw : &p->ih, axis ? &p->ow : &p->oh,
                  axis ? &p->kw : &p->kh, axis ? &p->sw : &p->sh,
                  axis ? &p->pl : &p->pt, axis ? &p->pr : &p->pb,
                  axis ? &p->dw : &p->dh};
    long long src[] = {in, out, k, st, pa, pb, d};
    for (int i = 0; i < 7; i++) *dst[i] = (int)src[i];
    return CONV_OK;
}

conv_status conv_desc_parse(const char *s, size_t mem_cap, conv_problem *p,
                            char *err, size_t len)
{
    written wr = {.name = ""};
    bool is_1d = false;
    conv_status st;
    if ((st = lex(s, &wr, err, len)) || (st = complete(&wr, &is_1d, err, len)))
        return st;
    p->g = wr.have[F_G] ? (int)wr.raw[F_G] : 1;
    p->n = wr.have[F_MB] ? (int)wr.raw[F_MB] : 2;
    p->ic = (int)wr.raw[F_IC];
    p->oc = (int)wr.raw[F_OC];
    p->bias = false;
    p->is_1d = is_1d;
    snprintf(p->name, sizeof p->name, "%s", wr.name);
    for (int axis = 0; axis < 2; axis++)
        if ((st = resolve_axis(&wr, axis, p, err, len))) return st;
    return conv_problem_check(p, mem_cap, err, len);
}

void conv_desc_format(const conv_problem *p, char *buf, size_t len)
{
    int k;
    if (p->is_1d)
        k = snprintf(buf, len, "g%dmb%dic%diw%doc%dow%dkw%dsw%dpw%ddw%d", p->g,
                     p->n, p->ic, p->iw, p->oc, p->ow, p->kw, p->sw, p->pl,
                     p->dw - 1);
    else
        k = snprintf(buf, len,
                     "g%dmb%dic%dih%diw%doc%doh%dow%dkh%dkw%dsh%dsw%dph%dpw%d"
                     "dh%ddw%d",
                     p->g, p->n, p->ic, p->ih, p->iw, p->oc, p->oh, p->ow,
                     p->kh, p->kw, p->sh, p->sw, p->pt, p->pl, p->dh - 1,
                     p->dw - 1);
    if (p->name[0] && k > 0 && (size_t)k < len)
        snprintf(buf + k, len - (size_t)k, "n\"%s\"", p->name);
}
