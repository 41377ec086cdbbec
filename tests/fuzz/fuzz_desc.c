/* libFuzzer target: conv_desc_parse (harness/problem/desc.c), the --desc option
 * and every descriptor of a shape file. Invariants: a refusal is
 * CONV_INVALID (or UNSUPPORTED, 3D) with a message; an accepted descriptor
 * formats canonically (conv_desc_format) and re-parses to the same
 * problem, field by field. */
#include <stdint.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), err[512] = "", canon[1024];
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0; /* an embedded NUL just ends the descriptor early */
    conv_problem p, q;
    memset(&p, 0, sizeof p);
    conv_status st = conv_desc_parse(s, 0, &p, err, sizeof err);
    if (st != CONV_OK) {
        conv_fuzz_refusal(st, true, err, "conv_desc_parse");
        free(s);
        return 0;
    }
    conv_desc_format(&p, canon, sizeof canon);
    if (strlen(canon) + 1 >= sizeof canon)
        conv_fuzz_fail("canonical form of '%s' fills %zu bytes", s,
                       sizeof canon);
    memset(&q, 0, sizeof q);
    st = conv_desc_parse(canon, 0, &q, err, sizeof err);
    if (st != CONV_OK)
        conv_fuzz_fail("'%s' accepted, its canonical form '%s' refused: %s", s,
                       canon, err);
    char diff[320];
    if (conv_fuzz_problem_diff(&p, &q, diff, sizeof diff))
        conv_fuzz_fail("'%s' -> '%s' re-parses to another problem: %s", s,
                       canon, diff);
    free(s);
    return 0;
}
