/* What the libFuzzer targets share: a failed invariant aborts, which
 * libFuzzer reports as a crash and saves the input. */
#ifndef CONV_FUZZ_H
#define CONV_FUZZ_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/out.h"

__attribute__((format(printf, 1, 2), noreturn)) static inline void
conv_fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("invariant failed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* Whether a and b differ; buf then says in which field first. */
static inline bool conv_fuzz_problem_diff(const conv_problem *a,
                                          const conv_problem *b, char *buf,
                                          size_t len)
{
    const struct {
        const char *name;
        int x, y;
    } f[] = {
        {"n", a->n, b->n},          {"g", a->g, b->g},
        {"ic", a->ic, b->ic},       {"ih", a->ih, b->ih},
        {"iw", a->iw, b->iw},       {"oc", a->oc, b->oc},
        {"oh", a->oh, b->oh},       {"ow", a->ow, b->ow},
        {"kh", a->kh, b->kh},       {"kw", a->kw, b->kw},
        {"sh", a->sh, b->sh},       {"sw", a->sw, b->sw},
        {"pt", a->pt, b->pt},       {"pb", a->pb, b->pb},
        {"pl", a->pl, b->pl},       {"pr", a->pr, b->pr},
        {"dh", a->dh, b->dh},       {"dw", a->dw, b->dw},
        {"bias", a->bias, b->bias}, {"is_1d", a->is_1d, b->is_1d},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].x != f[i].y) {
            snprintf(buf, len, "%s %d, then %d", f[i].name, f[i].x, f[i].y);
            return true;
        }
    if (!strcmp(a->name, b->name)) return false;
    snprintf(buf, len, "name \"%s\", then \"%s\"", a->name, b->name);
    return true;
}

/* A refusal must be CONV_INVALID (or UNSUPPORTED where allowed) and say
 * why: exit 2 with a message naming what is wrong. */
static inline void conv_fuzz_refusal(conv_status st, bool unsupported_ok,
                                     const char *err, const char *what)
{
    if (st != CONV_INVALID && !(unsupported_ok && st == CONV_UNSUPPORTED))
        conv_fuzz_fail("%s: status %d", what, (int)st);
    if (!err[0]) conv_fuzz_fail("%s: refused without a message", what);
}

#endif
