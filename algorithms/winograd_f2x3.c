/* winograd_f2x3: Winograd minimal filtering F(2x2,3x3), every configuration.
 *
 * Core (3x3 kernel, stride 1, dilation 1). The output is cut into 2x2 tiles.
 * Per tile and input channel the 4x4 input patch d becomes V = Bt d B; the
 * 3x3 kernel g becomes U = G g Gt once, in plan(). The 16 transform-domain
 * positions are 16 matrix products over channels,
 *     M[pos] (OC/G x T) = U[pos] (OC/G x IC/G) . V[pos] (IC/G x T),
 * T tiles, and Y = At M A gives the 2x2 outputs. That is 16 multiplications
 * per 4 outputs and channel pair instead of 36 (2.25x fewer); the transforms
 * cost O(channels x tiles), not O(channels^2). Tiles are processed in blocks
 * sized so V and M stay in L2; each block is transformed, multiplied (own
 * register-blocked kernel, U pre-packed in plan) and inverse-transformed by
 * one thread, threads take blocks (and slices of OC when blocks are few).
 * Edge tiles read zeros past the input and drop outputs past the output.
 * Bias is added by the output transform; groups index U and the input.
 *
 * Every other problem is rewritten in plan() into the same form, per axis:
 * with step = lcm(s, d), output q = a + A*m (A = step/s output phases) and
 * tap j = b + B*k (B = step/d kernel phases) read input
 *     (a*s - pad + b*d) + (m + k)*step,
 * a dense stride-1 correlation in (m, k) over the input sub-lattice of
 * pitch `step`. So:
 * - dilation D (stride 1): D output phases per axis; each is a dense
 *   convolution with the whole kernel over one of D x D interleaved input
 *   sub-lattices ("dilated"). No extra arithmetic, only more edge tiles.
 * - stride S (dilation 1): polyphase. Kernel phase b keeps taps b, b+S, ...
 *   and reads input phase b; all phases add into one output grid, so their
 *   U are stacked along the product's reduction ("polyphase"): a stride-S
 *   problem costs what a stride-1 one with the same taps does on the small
 *   output grid, i.e. S^2 x less than running it at stride 1.
 * - stride and dilation together: both at once (phases of lcm(s, d)).
 * - a kernel phase of L taps with L > 3 is cut into ceil(L/3) pieces of 3
 *   taps; the last piece is moved back to end on the last tap and its taps
 *   already covered get weight 0 (zero extension kept inside the kernel's
 *   span, so an output whose taps all read zero is exactly 0). Pieces are
 *   also stacked along the reduction ("split"): 5x5 = 4 pieces,
 *   7x7 = 9 pieces.
 * - an axis takes F(2,3) only where it saves multiplications: per output and
 *   channel pair it costs 4/2 = 2 per piece against 1 per tap without a
 *   transform (F(1,1), each tap its own piece). F(2,3) is used when every
 *   kernel phase has >= 3 taps and 2*pieces < taps: 3 (2 vs 3), 5 (4 vs 5),
 *   6 (4 vs 6), 7 (6 vs 7), ... taps; 1, 2 and 4 taps (and phases of 1-2
 *   taps, as 3x3 stride 2 gives) run untransformed. So 1D problems and 1x3 /
 *   3x1 kernels get F(2,3) along one axis (4 positions), 1x1 kernels are one
 *   plain product over channels.
 * Cost per output and input channel = cost_h x cost_w: 3x3 4 (direct 9),
 * 5x5 16 (25), 7x7 36 (49), 1x3 2 (3), 7x7 stride 2 (phases 4 and 3 taps)
 * 36 (49), 3x3 stride 2 9 (9), 3x3 dilation 2 4 (9).
 * The impl column names the path: f2x3 (both axes), f2x3_w / f2x3_h (one
 * axis), f1x1 (none), then +polyphaseSHxSW, +dilatedDHxDW, +splitKHxKW.
 *
 * Accuracy (tolerance below): F(2,3) only scales by 1/2 and 1/4, so its
 * error is fp32 rounding of the transforms plus the channel sums.
 * Measured max relative error (DESIGN §4) under real fill: see TOLERANCE.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

/* Micro-kernel: WG_MR rows of U x WG_NR tile columns held in registers
 * (24 of the 32 AVX-512 registers); WG_VL columns is the narrow tail. */
enum { WG_MR = 12, WG_NR = 32, WG_VL = 16 };
/* Bytes of V + M per thread per block: half of a 2 MB L2. */
#define WG_L2_BUDGET ((size_t)1 << 20)
#define WG_MAX_TB 512

typedef struct wg_axis {
    int m, alpha, r; /* outputs per tile, transform size, taps per piece */
    int step;        /* pitch of every input view: lcm(s, d) */
    int nph;         /* output phases: step / s */
    int nterm;       /* pieces over all kernel phases */
    int nkph;        /* non-empty kernel phases */
    int *off;        /* per piece: input offset of its first tap */
    int *tap;        /* per piece, r kernel indices; -1 = weight 0 */
} wg_axis;

typedef struct wg_sub { /* one output phase: its own tile grid */
    int ah, aw;         /* phase */
    int mh, mw;         /* outputs of the phase lattice */
    int th, tw;         /* tiles */
    long nblk;          /* tile blocks over the batch */
    long first;         /* first work item */
} wg_sub;

struct conv_plan {
    conv_problem p;
    wg_axis ax[2]; /* h, w */
    int npos, nterm, icg, ocg, kg, ocp;
    int tb;           /* tiles per block, multiple of WG_VL */
    int nsplit, crow; /* OC slices per block, rows per slice */
    int nsub;
    wg_sub *sub;
    long nitem;
    int nthr;
    float *u; /* [g][pos][ocp / MR][kg][MR] */
    float *b;
    float *scratch;
    size_t per_thr; /* floats of scratch per thread */
    size_t ldr;     /* row length of the row buffers */
    size_t bytes;
    char impl[96];
};

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static size_t up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

/* Cuts one axis into phases and pieces (see the comment at the top). */
static conv_status axis_init(wg_axis *a, int k, int s, int d)
{
    const int step = s / gcd(s, d) * d, nb = step / d;
    int taps = 0, pieces = 0, lmin = k;
    a->step = step;
    a->nph = step / s;
    a->nkph = 0;
    for (int b = 0; b < nb && b < k; b++) {
        int l = (k - b + nb - 1) / nb;
        taps += l;
        pieces += (l + 2) / 3;
        lmin = l < lmin ? l : lmin;
        a->nkph++;
    }
    const bool f23 = lmin >= 3 && 2 * pieces < taps;
    a->m = f23 ? 2 : 1;
    a->alpha = f23 ? 4 : 1;
    a->r = f23 ? 3 : 1;
    a->nterm = f23 ? pieces : taps;
    a->off = malloc((size_t)a->nterm * sizeof *a->off);
    a->tap = malloc((size_t)a->nterm * a->r * sizeof *a->tap);
    if (!a->off || !a->tap) return CONV_NOMEM;
    int t = 0;
    for (int b = 0; b < nb && b < k; b++) {
        const int l = (k - b + nb - 1) / nb, np = (l + a->r - 1) / a->r;
        for (int pc = 0; pc < np; pc++, t++) {
            const int k0 = pc * a->r < l - a->r ? pc * a->r : l - a->r;
            a->off[t] = b * d + k0 * step;
            for (int i = 0; i < a->r; i++)
                a->tap[t * a->r + i] =
                    k0 + i >= pc * a->r ? b + (k0 + i) * nb : -1;
        }
    }
    return CONV_OK;
}

