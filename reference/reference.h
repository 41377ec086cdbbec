/* The independent reference: a direct loop nest accumulating in double.
 * Shares nothing with algorithms/ but the conv_problem struct. */
#ifndef CONV_REFERENCE_H
#define CONV_REFERENCE_H

#include "../algorithms/conv.h"

/* y[i] = the exact-as-double output; mag[i] = sum over its taps of |x*w|
 * plus |b|, the scale of docs/design.md §4's error measure. Both are
 * required; b is read only when p->bias. */
void conv_reference(const conv_problem *p, const float *x, const float *w,
                    const float *b, double *y, double *mag);

#endif
