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

/* bwd_d: dx (N x IC x IH x IW) as exact doubles from w and dy (N x OC x
 * OH x OW); mag[i] the sum of |dy*w| over dx[i]'s terms (0 where no
 * output reads the position: dx must be exactly 0 there). */
void conv_reference_bwd_d(const conv_problem *p, const float *w,
                          const float *dy, double *dx, double *mag);
/* bwd_w: dw (OC x IC/G x KH x KW) from x and dy, mag_w its scale; and,
 * when db is not NULL (bwd_wb), db (OC) = dy summed over n, oh, ow with
 * mag_b the sum of |dy|. */
void conv_reference_bwd_w(const conv_problem *p, const float *x,
                          const float *dy, double *dw, double *mag_w,
                          double *db, double *mag_b);

#endif
