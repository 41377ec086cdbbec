/* Written straight from docs/design.md §1's formula, in the most obvious form:
 * the point is to be easy to check by eye.
 *
 * Each output plane (n, o) starts at the bias and then adds one tap
 * (c, i, j) at a time over the whole plane. Every output still sums its taps
 * in the same order (c, then i, then j) as a loop over outputs with the taps
 * inside would, so the doubles are the same; only the memory walk is
 * friendlier (rows of x and y in order, one weight held) and the innermost
 * loop has no branch, so it vectorises. x*w is exact in double (24 + 24
 * bits), so contraction into FMA changes nothing either. Planes are
 * independent, so threads do not change any result. */
#include <math.h>

#include "reference.h"

/* The outputs t in [lo, hi) whose input index t*s + off lies in [0, in):
 * t*s >= -off and t*s <= in - 1 - off, clipped to [0, out). */
static void inside(long off, int s, int in, int out, int *lo, int *hi)
{
    long a = -off, b = in - 1 - off;
    long l = a > 0 ? (a + s - 1) / s : 0, h = b >= 0 ? b / s + 1 : 0;
    *lo = (int)(l < out ? l : out);
    *hi = (int)(h < out ? h : out);
    if (*hi < *lo) *hi = *lo;
}

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
                        const long offh = (long)i * p->dh - p->pt,
                                   offw = (long)j * p->dw - p->pl;
                        int r0, r1, q0, q1;
                        inside(offh, p->sh, p->ih, p->oh, &r0, &r1);
                        inside(offw, p->sw, p->iw, p->ow, &q0, &q1);
                        for (int r = r0; r < r1; r++) {
                            const long xr =
                                ((long)r * p->sh + offh) * p->iw + offw;
                            double *yr = ys + (size_t)r * p->ow,
                                   *mr = ms + (size_t)r * p->ow;
                            for (int q = q0; q < q1; q++) {
                                const double xw = xc[xr + (long)q * p->sw] * wv;
                                yr[q] += xw;
                                mr[q] += fabs(xw);
                            }
                        }
                    }
            }
        }
}

/* bwd_d (docs/design.md §14): each dx plane (n, input channel) gathers
 * over the outputs o of its group and the taps (i, j) the dy elements
 * whose window covers it; positions no output reads stay exactly 0. */
void conv_reference_bwd_d(const conv_problem *p, const float *w,
                          const float *dy, double *dx, double *mag)
{
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t plane = (size_t)p->ih * p->iw, oplane = (size_t)p->oh * p->ow;
#pragma omp parallel for collapse(2) schedule(dynamic)
    for (int n = 0; n < p->n; n++)
        for (int ci = 0; ci < p->ic; ci++) {
            const int g = ci / icg, c = ci % icg;
            double *xs = dx + ((size_t)n * p->ic + ci) * plane;
            double *ms = mag + ((size_t)n * p->ic + ci) * plane;
            for (size_t k = 0; k < plane; k++) xs[k] = ms[k] = 0.0;
            for (int oo = 0; oo < ocg; oo++) {
                const int o = g * ocg + oo;
                const float *ys = dy + ((size_t)n * p->oc + o) * oplane;
                for (int i = 0; i < p->kh; i++)
                    for (int j = 0; j < p->kw; j++) {
                        const double wv =
                            w[(((size_t)o * icg + c) * p->kh + i) * p->kw + j];
                        const long offh = (long)i * p->dh - p->pt,
                                   offw = (long)j * p->dw - p->pl;
                        int r0, r1, q0, q1;
                        inside(offh, p->sh, p->ih, p->oh, &r0, &r1);
                        inside(offw, p->sw, p->iw, p->ow, &q0, &q1);
                        for (int r = r0; r < r1; r++) {
                            const long xr =
                                ((long)r * p->sh + offh) * p->iw + offw;
                            for (int q = q0; q < q1; q++) {
                                const double t = ys[(size_t)r * p->ow + q] * wv;
                                xs[xr + (long)q * p->sw] += t;
                                ms[xr + (long)q * p->sw] += fabs(t);
                            }
                        }
                    }
            }
        }
}

/* bwd_w and bwd_wb: each dw element (o, c, i, j) sums over the images and
 * the outputs (r, q) whose tap (i, j) reads inside x; db[o] (when db is
 * not NULL) sums dy over images and outputs. */
void conv_reference_bwd_w(const conv_problem *p, const float *x,
                          const float *dy, double *dw, double *mag_w,
                          double *db, double *mag_b)
{
    const int icg = p->ic / p->g, ocg = p->oc / p->g;
    const size_t plane = (size_t)p->ih * p->iw, oplane = (size_t)p->oh * p->ow;
#pragma omp parallel for collapse(2) schedule(dynamic)
    for (int o = 0; o < p->oc; o++)
        for (int c = 0; c < icg; c++) {
            const int g = o / ocg;
            for (int i = 0; i < p->kh; i++)
                for (int j = 0; j < p->kw; j++) {
                    const size_t at =
                        (((size_t)o * icg + c) * p->kh + i) * p->kw + j;
                    const long offh = (long)i * p->dh - p->pt,
                               offw = (long)j * p->dw - p->pl;
                    int r0, r1, q0, q1;
                    inside(offh, p->sh, p->ih, p->oh, &r0, &r1);
                    inside(offw, p->sw, p->iw, p->ow, &q0, &q1);
                    double s = 0, m = 0;
                    for (int n = 0; n < p->n; n++) {
                        const float *xs =
                            x +
                            ((size_t)n * p->ic + (size_t)g * icg + c) * plane;
                        const float *ys = dy + ((size_t)n * p->oc + o) * oplane;
                        for (int r = r0; r < r1; r++) {
                            const long xr =
                                ((long)r * p->sh + offh) * p->iw + offw;
                            for (int q = q0; q < q1; q++) {
                                const double t =
                                    (double)ys[(size_t)r * p->ow + q] *
                                    xs[xr + (long)q * p->sw];
                                s += t;
                                m += fabs(t);
                            }
                        }
                    }
                    dw[at] = s;
                    mag_w[at] = m;
                }
        }
    if (!db) return;
#pragma omp parallel for schedule(dynamic)
    for (int o = 0; o < p->oc; o++) {
        double s = 0, m = 0;
        for (int n = 0; n < p->n; n++)
            for (size_t k = 0; k < oplane; k++) {
                const double v = dy[((size_t)n * p->oc + o) * oplane + k];
                s += v;
                m += fabs(v);
            }
        db[o] = s;
        mag_b[o] = m;
    }
}
