/* Test plugins that convbench must refuse, one per BAD value (the test
 * CMake builds each as its own library). */
#include <math.h>

#include "plain.h"

#ifndef BAD
#error "define BAD"
#endif
#define NOSYM 1
#define ABI 2
#define CLASH_BUILTIN 3
#define TWIN 4
#define COUNT 5
#define NULL_ALGO 6
#define NULL_NAME 7
#define NO_EXEC 8
#define NAN_TOL 9
#define NEG_TOL 10
#define BAD_NAME 11
#define NULL_TABLE 12
#define DUP_NAME 13
#define B(name) (BAD == name)

static conv_algo a = PLAIN_ALGO("fine", plain_execute);
static conv_algo b = PLAIN_ALGO("also_fine", plain_execute);
static const conv_algo *algos[] = {&a, &b};

__attribute__((constructor)) static void setup(void)
{
    if (B(CLASH_BUILTIN)) a.name = "naive";
    if (B(TWIN)) a.name = "twin";
    if (B(NULL_ALGO)) algos[1] = NULL;
    if (B(NULL_NAME)) b.name = NULL;
    if (B(NO_EXEC)) b.execute = NULL;
    if (B(NAN_TOL)) b.tolerance = NAN;
    if (B(NEG_TOL)) b.tolerance = -1;
    if (B(BAD_NAME)) b.name = "has,comma";
    if (B(DUP_NAME)) b.name = "fine";
}

#if B(NOSYM)
const conv_plugin conv_plugin_entry_misspelt = {CONV_ABI_VERSION, 2, algos};
#else
const conv_plugin conv_plugin_entry = {
    B(ABI) ? CONV_ABI_VERSION + 1 : CONV_ABI_VERSION, B(COUNT) ? 0 : 2,
    B(NULL_TABLE) ? NULL : algos};
#endif
