/* libFuzzer target: the shape-file parser of conv_shapes_load
 * (harness/problem/shapes.c), through conv_shapes_parse_text. Invariants: a
 * refusal is CONV_INVALID with a message; every problem it accepted passes
 * conv_problem_check, has a repeat count >= 1, and its text (the CSV's
 * desc) re-parses to the same problem; a 3D one says why. */
#include <stdint.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    conv_shape_list l = {0};
    char err[512] = "", why[256], diff[320];
    conv_status st = conv_shapes_parse_text(&l, (const char *)data, size,
                                            "fuzz", 0, err, sizeof err);
    if (st != CONV_OK) conv_fuzz_refusal(st, false, err, "shape text");
    /* Also the problems before a refusal: they were accepted. */
    for (int i = 0; i < l.n; i++) {
        const conv_shape *s = &l.v[i];
        if (s->count < 1)
            conv_fuzz_fail("'%s': repeat count %d", s->text, s->count);
        if (s->st == CONV_UNSUPPORTED) {
            if (!s->why[0])
                conv_fuzz_fail("'%s': unsupported, no why", s->text);
            continue;
        }
        if (s->st != CONV_OK)
            conv_fuzz_fail("'%s': status %d in the list", s->text, (int)s->st);
        if (conv_problem_check(&s->p, 0, why, sizeof why) != CONV_OK)
            conv_fuzz_fail("'%s' accepted, fails conv_problem_check: %s",
                           s->text, why);
        conv_problem q;
        memset(&q, 0, sizeof q);
        if (conv_desc_parse(s->text, 0, &q, why, sizeof why) != CONV_OK)
            conv_fuzz_fail("accepted problem's text '%s' refused: %s", s->text,
                           why);
        if (conv_fuzz_problem_diff(&s->p, &q, diff, sizeof diff))
            conv_fuzz_fail("text '%s' re-parses to another problem: %s",
                           s->text, diff);
    }
    conv_shapes_free(&l);
    return 0;
}
