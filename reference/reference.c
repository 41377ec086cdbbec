/* Written straight from DESIGN §1's formula, one output at a time, in the
 * most obvious order: the point is to be easy to check by eye. */
#include <math.h>

#include "reference.h"

void conv_reference(const conv_problem *p, const float *x, const float *w,
                    const float *b, double *y, double *mag)
{
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
#pragma omp parallel for collapse(2) schedule(dynamic)
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++) {
            const int g = o / ocg;
            for (int r = 0; r < p->oh; r++)
                for (int q = 0; q < p->ow; q++) {
                    double s = 0, m = 0;
                    if (p->bias) {
                        s = b[o];
                        m = fabs((double)b[o]);
                    }
                    for (int c = 0; c < icg; c++)
                        for (int i = 0; i < p->kh; i++)
                            for (int j = 0; j < p->kw; j++) {
                                long ih =
                                    (long)r * p->sh - p->pt + (long)i * p->dh;
                                long iw =
                                    (long)q * p->sw - p->pl + (long)j * p->dw;
                                if (ih < 0 || ih >= p->ih || iw < 0 ||
                                    iw >= p->iw)
                                    continue;
                                double xv = x[(((size_t)n * p->ic +
                                                (size_t)g * icg + c) *
                                                   p->ih +
                                               ih) *
                                                  p->iw +
                                              iw];
                                double wv =
                                    w[(((size_t)o * icg + c) * p->kh + i) *
                                          p->kw +
                                      j];
                                s += xv * wv;
                                m += fabs(xv * wv);
                            }
                    size_t at =
                        (((size_t)n * p->oc + o) * p->oh + r) * p->ow + q;
                    if (y) y[at] = s;
                    if (mag) mag[at] = m;
                }
        }
}
