/* Problem lists: descriptors, shape files, named sets, random sweeps. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "problem/problem.h"

static conv_status push(conv_shape_list *l, conv_shape **out)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        conv_shape *v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) return CONV_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    *out = &l->v[l->n++];
    memset(*out, 0, sizeof **out);
    return CONV_OK;
}

int conv_name_count(const char *name)
{
    const char *star = strrchr(name, '*');
    if (!star || !star[1] || strspn(star + 1, "0123456789") != strlen(star + 1))
        return 1;
    if (strlen(star + 1) > 9) return 0; /* over 10^9 uses: not a count */
    return atoi(star + 1);
}

conv_status conv_shapes_add_desc(conv_shape_list *l, const char *desc,
                                 size_t mem_cap, char *err, size_t len)
{
    /* The text is the row's desc in the CSV: never a truncated one. */
    if (strlen(desc) >= sizeof l->v->text)
        return conv_why(err, len, CONV_INVALID,
                        "bad descriptor: longer than %zu characters",
                        sizeof l->v->text - 1);
    conv_problem p;
    char why[sizeof l->v->why];
    conv_status st = conv_desc_parse(desc, mem_cap, &p, why, sizeof why);
    if (st == CONV_INVALID)
        return conv_why(err, len, CONV_INVALID, "bad descriptor: %s", why);
    const int count = st == CONV_OK ? conv_name_count(p.name) : 1;
    if (!count)
        return conv_why(err, len, CONV_INVALID,
                        "bad descriptor: n: repeat count in \"%s\" is not "
                        "in [1, 999999999]",
                        p.name);
    conv_shape *s;
    if (push(l, &s) != CONV_OK)
        return conv_why(err, len, CONV_NOMEM, "out of memory");
    snprintf(s->text, sizeof s->text, "%s", desc);
    s->st = st;
    s->count = count;
    if (st == CONV_OK) {
        s->p = p;
    } else {
        snprintf(s->why, sizeof s->why, "%s", why);
        /* Keep the name so the UNSUPPORTED row can be told apart. */
        const char *n = strstr(desc, "n\"");
        if (n) {
            size_t k = strcspn(n + 2, "\"");
            if (k >= sizeof s->p.name) k = sizeof s->p.name - 1;
            memcpy(s->p.name, n + 2, k);
        }
    }
    return CONV_OK;
}

/* Opens name as a file, else as a named set in conv_shapes_dir(): SET, or
 * SET:MODEL for the per-model file SET.d/MODEL. */
static FILE *open_shapes(const char *name, char *path, size_t plen)
{
    FILE *f = fopen(name, "rb");
    snprintf(path, plen, "%s", name);
    const char *colon = strchr(name, ':');
    if (f || strchr(name, '/') || !name[0] || name[0] == '.') return f;
    if (!colon)
        snprintf(path, plen, "%s/%s", conv_shapes_dir(), name);
    else if (colon[1] && colon[1] != '.' && !strchr(colon + 1, ':'))
        snprintf(path, plen, "%s/%.*s.d/%s", conv_shapes_dir(),
                 (int)(colon - name), name, colon + 1);
    else
        return NULL;
    return fopen(path, "rb");
}

conv_status conv_shapes_parse_text(conv_shape_list *l, const char *text,
                                   size_t size, const char *origin,
                                   size_t mem_cap, char *err, size_t len)
{
    char tok[512], why[400];
    conv_status st = CONV_OK;
    int line = 1, before = l->n;
    size_t tl = 0;
    bool in_quote = false, in_comment = false;
    /* One pass over the bytes and one EOF after them. */
    for (size_t i = 0; i <= size; i++) {
        int c = i < size ? (unsigned char)text[i] : EOF;
        if (c == 0 || (c != EOF && c < 32 && !isspace(c)))
            return conv_why(err, len, CONV_INVALID,
                            "%s:%d: not a text shape file (byte 0x%02x)",
                            origin, line, c);
        if (in_comment && c != '\n' && c != EOF) continue;
        in_comment = false;
        if (!in_quote && c == '#') {
            in_comment = true;
            c = ' ';
        }
        if (c == '"') in_quote = !in_quote;
        if (c == '\n' && in_quote)
            return conv_why(err, len, CONV_INVALID, "%s:%d: unterminated quote",
                            origin, line);
        if (c == EOF || (!in_quote && isspace(c))) {
            if (tl) {
                tok[tl] = 0;
                tl = 0;
                st = conv_shapes_add_desc(l, tok, mem_cap, why, sizeof why);
                if (st)
                    return conv_why(err, len, st, "%s:%d: %s", origin, line,
                                    why);
            }
            if (c == '\n') line++;
            continue;
        }
        if (tl + 1 >= sizeof tok)
            return conv_why(err, len, CONV_INVALID,
                            "%s:%d: descriptor longer than %zu characters",
                            origin, line, sizeof tok - 1);
        tok[tl++] = (char)c;
    }
    if (l->n == before)
        return conv_why(err, len, CONV_INVALID, "%s: no problems in file",
                        origin);
    return CONV_OK;
}

/* Shape files are read whole (hand-written lists are kilobytes, the
 * torchvision set 190 KB), up to a bound for endless input. */
#define SHAPES_MAX_BYTES (64u << 20)

conv_status conv_shapes_load(conv_shape_list *l, const char *name,
                             size_t mem_cap, char *err, size_t len)
{
    char path[4096];
    FILE *f = open_shapes(name, path, sizeof path);
    if (!f)
        return conv_why(
            err, len, CONV_INVALID,
            "shapes '%s': neither a readable file nor a set in "
            "%s%s%s%s",
            name, conv_shapes_dir(), strchr(name, ':') ? " (no " : "",
            strchr(name, ':') ? path : "", strchr(name, ':') ? ")" : "");
    char *text = NULL;
    size_t size = 0, cap = 0, got;
    conv_status st = CONV_OK;
    do {
        if (size == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            char *t = cap <= SHAPES_MAX_BYTES ? realloc(text, cap) : NULL;
            if (!t) {
                st = conv_why(err, len, CONV_INVALID,
                              "%s: larger than %u bytes, not a shape file",
                              path, SHAPES_MAX_BYTES);
                break;
            }
            text = t;
        }
        got = fread(text + size, 1, cap - size, f);
        const bool nul = memchr(text + size, 0, got) != NULL;
        size += got;
        if (nul) break; /* the parser refuses it there: read no further */
    } while (got);
    if (st == CONV_OK && ferror(f))
        st = conv_why(err, len, CONV_INVALID, "%s: read error: %s", path,
                      strerror(errno));
    if (st == CONV_OK)
        st = conv_shapes_parse_text(l, text, size, path, mem_cap, err, len);
    free(text);
    fclose(f);
    return st;
}

void conv_shapes_free(conv_shape_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* splitmix64: the sweep depends on the seed alone. */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static int pick(uint64_t *s, int lo, int hi) /* inclusive */
{
    return lo + (int)(next(s) % (uint64_t)(hi - lo + 1));
}

/* One axis: kernel, dilation, stride, padding both sides, input size. */
static void sweep_axis(uint64_t *s, int *k, int *d, int *st, int *pa, int *pb,
                       int *in, int *out)
{
    static const int ks[] = {1, 1, 2, 3, 3, 3, 4, 5, 7};
    *k = ks[pick(s, 0, (int)(sizeof ks / sizeof ks[0]) - 1)];
    *d = pick(s, 0, 3) == 0 ? pick(s, 2, 3) : 1;
    *st = pick(s, 0, 2) == 0 ? pick(s, 2, 3) : 1;
    int ext = (*k - 1) * *d + 1;
    /* Padding up to the kernel's extent less one, and now and then past
     * it (outputs that read padding alone: a 1x1 kernel padded). */
    int pmax = ext - 1 > 3 ? 3 : ext - 1;
    if (pick(s, 0, 7) == 0 && pmax < 2) pmax = 2;
    *pa = pick(s, 0, 2) ? pick(s, 0, pmax) : 0;
    *pb = pick(s, 0, 3) ? *pa : pick(s, 0, pmax);
    int lo = ext - *pa - *pb;
    if (lo < 1) lo = 1;
    *in = pick(s, lo, lo + 14);
    *out = (*in + *pa + *pb - ext) / *st + 1;
    /* Padding past the last window changes nothing: drop it so the
     * problem round-trips through its canonical descriptor. */
    int need = (*out - 1) * *st + ext - *in - *pa;
    if (*pb > need) *pb = need > 0 ? need : 0;
}

/* The axes a problem really has: W, and H unless it is 1D. */
typedef struct axis {
    int in, out, k, d, st, pa, pb;
} axis;
static int axes(const conv_problem *p, axis a[2])
{
    a[0] = (axis){p->iw, p->ow, p->kw, p->dw, p->sw, p->pl, p->pr};
    a[1] = (axis){p->ih, p->oh, p->kh, p->dh, p->sh, p->pt, p->pb};
    return p->is_1d ? 1 : 2;
}
static int ext(const axis *a)
{
    return (a->k - 1) * a->d + 1;
}
/* Predicates on one axis. */
static bool one_side(const axis *a)
{
    return (a->pa > 0) != (a->pb > 0);
}
static bool k1_padded(const axis *a)
{
    return a->k == 1 && (a->pa || a->pb);
}
static bool fills(const axis *a)
{
    return ext(a) == a->in + a->pa + a->pb && a->in > 1;
}
static bool gap(const axis *a)
{
    return a->st > ext(a);
}
static bool floor_cut(const axis *a)
{
    return a->st > 1 && (a->in + a->pa + a->pb - ext(a)) % a->st;
}
static bool out1(const axis *a)
{
    return a->out == 1;
}
static bool dil_stride(const axis *a)
{
    return a->d > 1 && a->st > 1;
}

static bool any_axis(const conv_problem *p, bool (*f)(const axis *))
{
    axis a[2];
    const int n = axes(p, a);
    for (int i = 0; i < n; i++)
        if (f(&a[i])) return true;
    return false;
}
#define AXIS_CLASS(name, f)                                                    \
    static bool name(const conv_problem *p)                                    \
    {                                                                          \
        return any_axis(p, f);                                                 \
    }
AXIS_CLASS(c_one_side, one_side)
AXIS_CLASS(c_k1_padded, k1_padded)
AXIS_CLASS(c_fills, fills)
AXIS_CLASS(c_gap, gap)
AXIS_CLASS(c_floor_cut, floor_cut)
AXIS_CLASS(c_out1, out1)
AXIS_CLASS(c_dil_stride, dil_stride)
static bool c_depthwise_mult(const conv_problem *p)
{
    return p->g > 1 && p->g == p->ic && p->oc / p->g >= 2;
}
static bool c_batch(const conv_problem *p)
{
    return p->n > 1;
}

const conv_sweep_class conv_sweep_classes[] = {
    {"one_side_pad", "padding on one side only", c_one_side},
    {"k1_padded", "1-wide kernel with padding", c_k1_padded},
    {"kernel_fills_input", "kernel as large as the padded input", c_fills},
    {"stride_gap", "stride over the dilated kernel: inputs no output reads",
     c_gap},
    {"floor_cut", "trailing rows cut by the output-size floor", c_floor_cut},
    {"out_1", "OH or OW of 1", c_out1},
    {"dilation_stride", "dilation with stride", c_dil_stride},
    {"depthwise_mult", "depthwise with channel multiplier", c_depthwise_mult},
    {"batch", "batch above 1", c_batch},
};
const int conv_sweep_class_count =
    (int)(sizeof conv_sweep_classes / sizeof conv_sweep_classes[0]);

/* One random valid problem over the whole configuration space. */
static void draw(uint64_t *s, conv_problem *p)
{
    p->is_1d = pick(s, 0, 4) == 0;
    int kind = pick(s, 0, 5); /* 0-2 dense, 3 grouped, 4-5 depthwise */
    int icg = pick(s, 1, 8), ocg = pick(s, 1, 8);
    p->g = kind <= 2 ? 1 : kind == 3 ? pick(s, 2, 4) : pick(s, 2, 12);
    if (kind >= 4) {
        icg = 1;
        ocg = pick(s, 1, 2);
    }
    p->ic = p->g * icg;
    p->oc = p->g * ocg;
    p->n = pick(s, 1, 3);
    p->bias = pick(s, 0, 1);
    sweep_axis(s, &p->kw, &p->dw, &p->sw, &p->pl, &p->pr, &p->iw, &p->ow);
    if (p->is_1d) {
        p->kh = p->dh = p->sh = p->ih = p->oh = 1;
        p->pt = p->pb = 0;
    } else {
        sweep_axis(s, &p->kh, &p->dh, &p->sh, &p->pt, &p->pb, &p->ih, &p->oh);
    }
}

/* Every third problem comes from a corner class, in turn: random ones
 * drawn until one falls in it. Random sweeps alone under-sample them (a
 * 1x1 kernel padded on one side is a few in a thousand). */
conv_status conv_shapes_sweep(conv_shape_list *l, int count,
                              unsigned long long seed, size_t mem_cap)
{
    uint64_t s = seed * 0x2545f4914f6cdd1dULL + 1;
    for (int i = 0; i < count; i++) {
        conv_shape *sh;
        if (push(l, &sh) != CONV_OK) return CONV_NOMEM;
        conv_problem *p = &sh->p;
        const conv_sweep_class *c =
            i % 3 == 2 ? &conv_sweep_classes[i / 3 % conv_sweep_class_count]
                       : NULL;
        /* bounded: every class is a few percent of random problems */
        for (int tries = 0;; tries++) {
            draw(&s, p);
            if (conv_problem_check(p, mem_cap, NULL, 0) != CONV_OK) continue;
            if (!c || c->in(p) || tries > 100000) break;
        }
        snprintf(p->name, sizeof p->name, "sweep%llu:%d", seed, i);
        sh->st = CONV_OK;
        sh->random_bias = true;
        sh->count = 1;
        conv_desc_format(p, sh->text, sizeof sh->text);
    }
    return CONV_OK;
}
