/* libFuzzer target: the .meta.json reader (harness/out/meta.c), through
 * conv_meta_parse, as compare (and later resume and merge) use it.
 * Invariants: a refusal is CONV_INVALID with a message; every member read
 * has a key and a value, a number's text reads back as its value, and the
 * members written back as a JSON object re-parse to the same members. */
#include <math.h>
#include <stdint.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t put_string(char *out, size_t at, const char *s)
{
    out[at++] = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') out[at++] = '\\';
        out[at++] = *s;
    }
    out[at++] = '"';
    return at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    conv_meta a, b;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    if (strlen(text) != size) {
        free(text);
        return 0;
    }
    conv_status st = conv_meta_parse(text, "fuzz", &a, err, sizeof err);
    if (st != CONV_OK) {
        conv_fuzz_refusal(st, false, err, "meta");
        conv_meta_free(&a);
        return 0;
    }
    size_t cap = 8;
    for (int i = 0; i < a.n; i++) {
        if (!a.kv[i].key || !a.kv[i].str) conv_fuzz_fail("member %d empty", i);
        if (a.kv[i].is_num) {
            char *end;
            const double v = strtod(a.kv[i].str, &end);
            if (*end || !(v == a.kv[i].num || (isnan(v) && isnan(a.kv[i].num))))
                conv_fuzz_fail("number '%s' read as %g", a.kv[i].str,
                               a.kv[i].num);
        }
        cap += 2 * (strlen(a.kv[i].key) + strlen(a.kv[i].str)) + 8;
    }
    char *out = malloc(cap);
    if (!out) abort();
    size_t at = 0;
    out[at++] = '{';
    for (int i = 0; i < a.n; i++) {
        if (i) out[at++] = ',';
        at = put_string(out, at, a.kv[i].key);
        out[at++] = ':';
        if (a.kv[i].is_num) {
            memcpy(out + at, a.kv[i].str, strlen(a.kv[i].str));
            at += strlen(a.kv[i].str);
        } else {
            at = put_string(out, at, a.kv[i].str);
        }
    }
    out[at++] = '}';
    out[at] = 0;
    if (conv_meta_parse(out, "again", &b, err, sizeof err))
        conv_fuzz_fail("written back, refused: %s", err);
    if (b.n != a.n) conv_fuzz_fail("%d members came back %d", a.n, b.n);
    for (int i = 0; i < a.n; i++)
        if (strcmp(a.kv[i].key, b.kv[i].key) ||
            strcmp(a.kv[i].str, b.kv[i].str) || a.kv[i].is_num != b.kv[i].is_num)
            conv_fuzz_fail("member %d '%s' came back '%s'", i, a.kv[i].key,
                           b.kv[i].key);
    conv_meta_free(&a);
    conv_meta_free(&b);
    return 0;
}
