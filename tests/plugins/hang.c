/* Test plugin: correct, except that it never returns on problems with
 * oc = 5. */
#include <unistd.h>

#include "plain.h"

static conv_status hang_execute(conv_plan *pl, const float *x, float *y)
{
    while (pl->p.oc == 5) pause();
    return plain_execute(pl, x, y);
}

static const conv_algo hang = PLAIN_ALGO("hang", hang_execute);
static const conv_algo *const algos[] = {&hang};
const conv_plugin conv_plugin_entry = {CONV_ABI_VERSION, 1, algos};
