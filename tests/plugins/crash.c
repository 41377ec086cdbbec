/* Test plugin: correct, except that it crashes on problems with oc = 5
 * (SIGSEGV, a write through NULL) and oc = 6 (SIGABRT). */
#include <signal.h>
#include <stdlib.h>

#include "plain.h"

static int *volatile nowhere; /* volatile: a real store, not a trap */

static conv_status crash_execute(conv_plan *pl, const float *x, float *y)
{
    if (pl->p.oc == 5) *nowhere = 1;
    if (pl->p.oc == 6) abort();
    return plain_execute(pl, x, y);
}

static const conv_algo crash = PLAIN_ALGO("crash", crash_execute);
static const conv_algo *const algos[] = {&crash};
const conv_plugin conv_plugin_entry = {CONV_ABI_VERSION, 1, algos};
