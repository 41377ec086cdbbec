/* Written straight from DESIGN §1's formula, in the most obvious form: the
 * point is to be easy to check by eye.
 *
 * Each output plane (n, o) starts at the bias and then adds one tap
 * (c, i, j) at a time over the whole plane. Every output still sums its taps
 * in the same order (c, then i, then j) as a loop over outputs with the taps
 * inside would, so the doubles are the same; only the memory walk is
 * friendlier (rows of x and y in order, one weight held). x*w is exact in
 * double (24 + 24 bits), so contraction into FMA changes nothing either.
 * Planes are independent, so threads do not change any result. */
#include <math.h>

#include "reference.h"

void conv_reference(const conv_problem *p, const float *x, const float *w,
                    const float *b, double *y, double *mag)
{
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t plane = (size_t)p->oh * p->ow;
#pragma omp parallel for collapse(2) schedule(dynamic)
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++) {
            const int g = o / ocg;
            double *ys = y + ((size_t)n * p->oc + o) * plane;
            double *ms = mag + ((size_t)n * p->oc + o) * plane;
            for (size_t k = 0; k < plane; k++) {
                ys[k] = p->bias ? b[o] : 0.0;
                ms[k] = p->bias ? fabs((double)b[o]) : 0.0;
            }
            for (int c = 0; c < icg; c++) {
                const float *xc =
                    x +
                    ((size_t)n * p->ic + (size_t)g * icg + c) * p->ih * p->iw;
                for (int i = 0; i < p->kh; i++)
                    for (int j = 0; j < p->kw; j++) {
                        const double wv =
                            w[(((size_t)o * icg + c) * p->kh + i) * p->kw + j];
                        for (int r = 0; r < p->oh; r++) {
                            const long ih =
                                (long)r * p->sh - p->pt + (long)i * p->dh;
                            if (ih < 0 || ih >= p->ih) continue;
                            for (int q = 0; q < p->ow; q++) {
                                const long iw =
                                    (long)q * p->sw - p->pl + (long)j * p->dw;
                                if (iw < 0 || iw >= p->iw) continue;
                                const double xw =
                                    xc[(size_t)ih * p->iw + iw] * wv;
                                ys[(size_t)r * p->ow + q] += xw;
                                ms[(size_t)r * p->ow + q] += fabs(xw);
                            }
                        }
                    }
            }
        }
}
