/* winograd_f2x3: Winograd minimal filtering F(2x2,3x3), every configuration.
 *
 * Core (3x3 kernel, stride 1, dilation 1). The output is cut into 2x2 tiles.
 * Per tile and input channel the 4x4 input patch d becomes V = Bt d B; the
 * 3x3 kernel g becomes U = G g Gt once, in plan(). The 16 transform-domain
 * positions are 16 matrix products over channels,
 *     M[pos] (OC/G x T) = U[pos] (OC/G x IC/G) . V[pos] (IC/G x T),
 * T tiles, and Y = At M A gives the 2x2 outputs: 16 multiplications per 4
 * outputs and channel pair instead of 36 (2.25x fewer); the transforms cost
 * O(channels x tiles), not O(channels^2). Tiles go in blocks (V and M of a
 * block in L2, U streaming through); one thread transforms a block,
 * multiplies it (own register-blocked kernel on U packed in plan) and
 * inverse-transforms it; threads take blocks, and slices of OC when blocks
 * are few. Edge tiles read zeros past the input and drop outputs past the
 * output. Bias is added by the output transform; groups index U and x.
 *
 * Decompositions. plan() rewrites every problem into stride-1, dilation-1
 * pieces of at most 3x3 taps, axis by axis. With step = lcm(s, d), output
 * q = a + A*m (A = step/s output phases a) and tap j = b + B*k (B = step/d
 * kernel phases b) read input (a*s - pad + b*d) + (m + k)*step: a dense
 * stride-1 correlation in (m, k) over the input sub-lattice of that pitch.
 * - dilation D ("+dilatedDHxDW"): D output phases per axis, each a dense
 *   convolution with the whole kernel over one of the D x D interleaved
 *   input sub-lattices. No extra arithmetic, only more edge tiles.
 * - stride S ("+polyphaseSHxSW"): kernel phase b keeps taps b, b+S, ...
 *   and reads input phase b; the phases of one output add up, so their U
 *   are stacked along the products' reduction (one product, one output
 *   transform). Costs what stride 1 with the same taps costs on the small
 *   output grid. Stride and dilation together: phases of lcm(s, d).
 * - kernel pieces ("+splitKHxKW"): a kernel phase of L > 3 taps is cut into
 *   ceil(L/3) pieces of 3 taps, also stacked along the reduction; the last
 *   piece ends on the last tap and gives weight 0 to taps already covered,
 *   so zero extension stays inside the kernel's span and an output whose
 *   taps all read 0 (padding) comes out as exactly 0 + bias.
 * - untransformed axes ("f2x3_w", "f2x3_h", "f1x1"): per output and
 *   channel pair F(2,3) costs 4/2 = 2 multiplications per piece, no
 *   transform (F(1,1), every tap its own piece) 1 per tap. An axis takes
 *   F(2,3) when every kernel phase has >= 3 taps and 2 x pieces < taps: 3
 *   taps 2 (vs 3), 5 4, 6 4, 7 6, ...; 1, 2 and 4 taps, and phases of 1 or 2
 *   taps (3x3 stride 2), go untransformed. 1D problems and 1x3 / 3x1 kernels
 *   so get F(2,3) on one axis (4 positions); 1x1 kernels are one product.
 * Multiplications per output and channel pair (cost_h x cost_w) against
 * direct: 3x3 4 (9), 5x5 16 (25), 7x7 36 (49), 1x3 2 (3), 3x3 dilated 4
 * (9), 7x7 stride 2 (phases of 4 and 3 taps) 36 (49), 3x3 stride 2 9 (9),
 * 1x1 1 (1). The impl column names the path, e.g. "f2x3",
 * "f2x3+polyphase2x2+split7x7", "f1x1+polyphase2x2", "f2x3+dilated2x2".
 *
 * Accuracy. Transforms scale only by 1/2 and 1/4, but the output transform
 * cancels: at a border, y0 = x*g2 is formed as -x*g0 + x*(g0+g1+g2)/2 +
 * x*(g0-g1+g2)/2, an error ~eps*|x|*|g0| against DESIGN §4's scale |x*g2|.
 * Summed over many products that averages out; an output with only one or
 * two products in its sum (IC/G <= 2 and the kernel mostly on padding) has
 * no such bound as g2 -> 0, so those are computed directly (fix_up).
 * Measured, DESIGN §4 error under real fill (`verify --sweep 300 --fill
 * real --threads 1`): max 8.6e-6 over seeds 100-499 (120000 problems),
 * 3.4e-7 on seed 9; without fix_up already 7.8e-5 over seeds 100-199. Int
 * fill: 0 on every one of seeds 200-499. Tolerance 1e-4, over 10x the
 * largest seen.
 *
 * Speed. The products use an own kernel on U packed in plan(): per block
 * and position, cblas_sgemm (OpenBLAS SkylakeX, one thread per block)
 * was within 5% of it on ResNet-50 res2a/res3a and 1.1-1.5x slower on
 * res4a and res5a at mb 1 (a few dozen tiles: packing and small N). Against
 * im2col_gemm on the 3x3 stride-1 layers (effective GFLOP/s, best of
 * interleaved runs on a shared, loaded 2-core machine): ResNet-50 mb 1
 * 1.5-1.8x (1 thread) and 1.45-1.9x (2 threads), mb 8 1.5-1.7x (1
 * thread); VGG-19 mb 1 and mb 8 1.55-2.1x (1 thread). 1x1 kernels ("f1x1",
 * a product plus two copies) and ResNet-50's 7x7 stride-2 conv1 run slower
 * than im2col_gemm (0.55-0.9x).
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

/* Micro-kernel: WG_MR rows of U x WG_NR tile columns held in registers
 * (24 of the 32 AVX-512 registers); WG_VL columns is the narrow tail.
 * 12 x 32 ran at 220 GFLOP/s on one core with data in cache, 14 x 32 and
 * 8 x 32 at 185 (GCC 12). */
enum { WG_MR = 12, WG_NR = 32, WG_VL = 16 };
/* Tiles per block: V + M of a block within half of a 2 MB L2, but at least
 * WG_TB_UHEAVY where U alone is over that: then each block streams all of U
 * from L3, and that costs more than V and M spilling (ResNet-50, 1
 * thread: res3a mb 1, 196 tiles, 1.10 ms as one block, 1.20 ms as 4;
 * res5a mb 8, 10.3 ms with blocks of 64 tiles, 11.5 ms with 16). */
#define WG_L2_BUDGET ((size_t)1 << 20)
#define WG_TB_UHEAVY 128
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
    int bs;             /* tiles per block (the last may have fewer) */
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
    /* Outputs with one or two taps inside the input in all (see fix_up):
     * taps inside per output row (cnt) and column (cnt + oh), and the
     * weights, kept only when IC/G <= 2. */
    int *cnt;
    float *w;
    float *scratch;
    size_t per_thr; /* floats of scratch per thread */
    size_t ld;      /* row length of V, M and z: tb + WG_VL */
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

/* G of F(2,3) and of F(1,1) (row 0, column 0 only). */
static const double wg_g3[4][3] = {
    {1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
static const double wg_g1[4][3] = {{1, 0, 0}};

/* U = G g Gt per piece, in double, packed in WG_MR-row panels. */
static void weight_transform(conv_plan *pl, const float *w)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const double(*gh)[3] = ah->r == 3 ? wg_g3 : wg_g1;
    const double(*gw)[3] = aw->r == 3 ? wg_g3 : wg_g1;
    const size_t posz = (size_t)pl->ocp * pl->kg;
    for (int g = 0; g < p->g; g++)
        for (int o = 0; o < pl->ocg; o++)
            for (int tm = 0; tm < pl->nterm; tm++)
                for (int c = 0; c < pl->icg; c++) {
                    const int th = tm / aw->nterm, tw = tm % aw->nterm;
                    const float *wo =
                        w + ((size_t)(g * pl->ocg + o) * pl->icg + c) * p->kh *
                                p->kw;
                    double gp[3][3] = {{0}}, t[4][3] = {{0}};
                    for (int i = 0; i < ah->r; i++)
                        for (int j = 0; j < aw->r; j++) {
                            int ki = ah->tap[th * ah->r + i];
                            int kj = aw->tap[tw * aw->r + j];
                            if (ki >= 0 && kj >= 0)
                                gp[i][j] = wo[ki * p->kw + kj];
                        }
                    for (int i = 0; i < ah->alpha; i++)
                        for (int j = 0; j < aw->r; j++)
                            for (int k = 0; k < ah->r; k++)
                                t[i][j] += gh[i][k] * gp[k][j];
                    const size_t kk = (size_t)tm * pl->icg + c;
                    for (int i = 0; i < ah->alpha; i++)
                        for (int j = 0; j < aw->alpha; j++) {
                            double s = 0;
                            for (int k = 0; k < aw->r; k++)
                                s += t[i][k] * gw[j][k];
                            const size_t pos = (size_t)i * aw->alpha + j;
                            pl->u[((size_t)g * pl->npos + pos) * posz +
                                  (size_t)(o / WG_MR) * pl->kg * WG_MR +
                                  kk * WG_MR + o % WG_MR] = (float)s;
                        }
                }
}

/* Every transform loop runs over whole chunks of WG_VL lanes (buffers are
 * padded for it), so tile rows of 4 or 7 tiles do not fall into scalar
 * remainder loops; only reads of x and writes of y are bounded, by
 * conditional loads and stores that compile to masked vector ones. */

/* dst[u] = src[base + u] inside [0, width), else 0, for u < cnt (a
 * multiple of WG_VL). One flat loop, indexed from the row: it vectorises
 * to masked loads with one mask per vector. Not as 16-lane chunks through
 * a pointer src + base + u0: that pointer lies outside the row when base <
 * 0 (undefined behaviour), and GCC 12 (-O3, AVX2) turns the 16 conditional
 * loads of a chunk into one SLP group of two 8-lane .MASK_LOADs that both
 * take the first half's mask: lanes 8-15 were loaded under the mask of
 * lanes 0-7, read as 0 inside the row (wrong winograd_f2x3 results with
 * -march=x86-64-v3) or past its end (a fault before an unmapped page).
 * AVX-512 (one 16-lane vector per chunk) was not affected. */
static void gather(const float *restrict src, int base, int width, int cnt,
                   float *restrict dst)
{
    for (int u = 0; u < cnt; u++) {
        const int at = base + u;
        dst[u] = at >= 0 && at < width ? src[at] : 0.0f;
    }
}

/* The same for a sub-lattice: dst[u] = src[base + u*step]. */
static void gather_step(const float *restrict src, int base, int step,
                        int width, int cnt, float *restrict dst)
{
    for (int u = 0; u < cnt; u++) {
        const int at = base + u * step;
        dst[u] = at >= 0 && at < width ? src[at] : 0.0f;
    }
}

/* Tiles tw0 .. tw0 + lanes - 1 of tile row th (lanes a multiple of WG_VL;
 * those past the segment hold finite junk) into v[pos * vpos + l]. rb
 * holds 2 x alpha_h rows of ldr floats: under F(2,3) along w the rows are
 * gathered twice, the second time 2 columns on, so that d[2l+2] and
 * d[2l+3] are read at the alignment they were stored with (an unaligned
 * reload of just-stored data stalls store forwarding). */
static void input_row(const conv_plan *pl, const float *src, int bh, int bw,
                      int th, int tw0, int lanes, float *restrict v,
                      size_t vpos, float *restrict rb)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t ldr = pl->ldr;
    const int cnt = aw->m * lanes, copies = aw->alpha == 4 ? 2 : 1;
    for (int k = 0; k < copies; k++) {
        const int base = bw + (aw->m * tw0 + 2 * k) * aw->step;
        float *restrict rk = rb + (size_t)(4 * k) * ldr;
        for (int i = 0; i < ah->alpha; i++) {
            const int row = bh + (ah->m * th + i) * ah->step;
            float *restrict d = rk + i * ldr;
            if (row < 0 || row >= p->ih)
                for (int u = 0; u < cnt; u++) d[u] = 0;
            else if (aw->step == 1)
                gather(src + (size_t)row * p->iw, base, p->iw, cnt, d);
            else
                gather_step(src + (size_t)row * p->iw, base, aw->step, p->iw,
                            cnt, d);
        }
        if (ah->alpha == 4) {
            float *restrict r0 = rk, *restrict r1 = rk + ldr,
                            *restrict r2 = rk + 2 * ldr,
                            *restrict r3 = rk + 3 * ldr;
            for (int u = 0; u < cnt; u++) {
                const float d0 = r0[u], d1 = r1[u], d2 = r2[u], d3 = r3[u];
                r0[u] = d0 - d2;
                r1[u] = d1 + d2;
                r2[u] = d2 - d1;
                r3[u] = d1 - d3;
            }
        }
    }
    for (int r = 0; r < ah->alpha; r++) {
        const float *restrict d = rb + r * ldr;
        if (aw->alpha == 4) {
            const float *restrict e = rb + (4 + r) * ldr;
            float *restrict v0 = v + (size_t)(4 * r) * vpos,
                            *restrict v1 = v0 + vpos, *restrict v2 = v1 + vpos,
                            *restrict v3 = v2 + vpos;
            for (int l = 0; l < lanes; l++) {
                const float d0 = d[2 * l], d1 = d[2 * l + 1], d2 = e[2 * l],
                            d3 = e[2 * l + 1];
                v0[l] = d0 - d2;
                v1[l] = d1 + d2;
                v2[l] = d2 - d1;
                v3[l] = d1 - d3;
            }
        } else {
            float *restrict v0 = v + (size_t)r * vpos;
            for (int l = 0; l < lanes; l++) v0[l] = d[l];
        }
    }
}

/* Tile t of a phase: image n, tile row th, column tw. */
typedef struct wg_seg {
    int n, th, tw0, len, lt; /* lt: column in the block */
} wg_seg;

static bool next_seg(const wg_sub *sb, long t0, int nt, wg_seg *s)
{
    const int lt = s->lt + s->len;
    if (lt >= nt) return false;
    const long t = t0 + lt, tpi = (long)sb->th * sb->tw;
    const long rem = t % tpi;
    s->n = (int)(t / tpi);
    s->th = (int)(rem / sb->tw);
    s->tw0 = (int)(rem % sb->tw);
    s->len = sb->tw - s->tw0 < nt - lt ? sb->tw - s->tw0 : nt - lt;
    s->lt = lt;
    return true;
}

/* V of a block: v[pos][kk][ld], kk = piece * IC/G + c. Segments are done
 * in order, so a segment's junk lanes are overwritten by the next one;
 * the last one's cover the columns up to the multiple of WG_VL. */
static void input_block(const conv_plan *pl, const wg_sub *sb, int g, long t0,
                        int nt, const float *x, float *v, float *rb)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t plane = (size_t)p->ih * p->iw, ld = pl->ld;
    const size_t vpos = (size_t)pl->kg * ld;
    const int ntp = (int)up((size_t)nt, WG_VL);
    for (int tm = 0; tm < pl->nterm; tm++) {
        const int bh = sb->ah * p->sh - p->pt + ah->off[tm / aw->nterm];
        const int bw = sb->aw * p->sw - p->pl + aw->off[tm % aw->nterm];
        for (int c = 0; c < pl->icg; c++) {
            float *vk = v + ((size_t)tm * pl->icg + c) * ld;
            const float *src = x + ((size_t)g * pl->icg + c) * plane;
            wg_seg s = {0, 0, 0, 0, 0};
            while (next_seg(sb, t0, nt, &s)) {
                int lanes = s.lt + s.len < nt ? s.len : ntp - s.lt;
                lanes = (int)up((size_t)lanes, WG_VL);
                input_row(pl, src + (size_t)s.n * p->ic * plane, bh, bw, s.th,
                          s.tw0, lanes, vk + s.lt, vpos, rb);
            }
        }
    }
}

/* m (WG_MR x NRW) = u (kg x WG_MR panel) . v (kg x NRW, rows ldv apart).
 * Plain C, vectorised along j; acc stays in registers. Unrolling j first
 * (GCC does for 16) would leave only a poor straight-line vectorisation.
 * U is read once per block, mostly from L3 when it is large: prefetching
 * 1.5 KB ahead (into the next panel) cut the products of ResNet-50 res5
 * at mb 1 by 15%. */
#define WG_KERNEL(name, NRW)                                                   \
    static void name(int kg, const float *restrict u, const float *restrict v, \
                     size_t ldv, float *restrict m, size_t ldm)                \
    {                                                                          \
        float acc[WG_MR][NRW];                                                 \
        for (int i = 0; i < WG_MR; i++)                                        \
            for (int j = 0; j < NRW; j++) acc[i][j] = 0;                       \
        for (int k = 0; k < kg; k++) {                                         \
            const float *vk = v + (size_t)k * ldv;                             \
            const float *uk = u + (size_t)k * WG_MR;                           \
            __builtin_prefetch(uk + 384);                                      \
            for (int i = 0; i < WG_MR; i++)                                    \
                _Pragma("GCC unroll 1") for (int j = 0; j < NRW; j++)          \
                    acc[i][j] = fmaf(uk[i], vk[j], acc[i][j]);                 \
        }                                                                      \
        for (int i = 0; i < WG_MR; i++)                                        \
            for (int j = 0; j < NRW; j++) m[i * ldm + j] = acc[i][j];          \
    }
WG_KERNEL(kernel_wide, WG_NR)
WG_KERNEL(kernel_tail, WG_VL)

/* One column, vectorised along the WG_MR rows instead (WG_VL lanes: U
 * has WG_VL floats of slack at its end) and over 4 partial sums, so that
 * it is not bound by the FMA latency: a block's last 1 to 4 tiles then cost
 * a sixth of a WG_VL-lane kernel each (49 tiles, as a 14x14 image has,
 * would otherwise run as 64). */
static void kernel_col(int kg, const float *restrict u, const float *restrict v,
                       size_t ldv, float *restrict m, size_t ldm)
{
    float acc[4][WG_VL] = {{0}};
    int k = 0;
    for (; k + 4 <= kg; k += 4)
        for (int q = 0; q < 4; q++) {
            const float b = v[(size_t)(k + q) * ldv];
            const float *uk = u + (size_t)(k + q) * WG_MR;
            _Pragma("GCC unroll 1") for (int i = 0; i < WG_VL; i++) acc[q][i] =
                fmaf(uk[i], b, acc[q][i]);
        }
    for (; k < kg; k++) {
        const float b = v[(size_t)k * ldv];
        const float *uk = u + (size_t)k * WG_MR;
        _Pragma("GCC unroll 1") for (int i = 0; i < WG_VL; i++) acc[0][i] =
            fmaf(uk[i], b, acc[0][i]);
    }
    for (int i = 0; i < WG_MR; i++)
        m[(size_t)i * ldm] = (acc[0][i] + acc[1][i]) + (acc[2][i] + acc[3][i]);
}

/* M[pos] = U[pos] . V[pos] for npan panels of rows and the nt columns
 * of a block (columns past nt up to a multiple of WG_VL may get junk). */
static void gemm_block(const conv_plan *pl, const float *u, int npan,
                       const float *v, int nt, float *m)
{
    const size_t ld = pl->ld, kg = (size_t)pl->kg;
    const size_t upos = (size_t)pl->ocp * kg, vpos = kg * ld;
    const size_t mpos = (size_t)npan * WG_MR * ld;
    const int rem = nt % WG_VL;
    const int wide =
        rem > 0 && rem <= 4 ? nt - rem : (int)up((size_t)nt, WG_VL);
    for (int pos = 0; pos < pl->npos; pos++)
        for (int ip = 0; ip < npan; ip++) {
            const float *up_ = u + pos * upos + ip * kg * WG_MR;
            float *mp = m + pos * mpos + (size_t)ip * WG_MR * ld;
            const float *vp = v + pos * vpos;
            int j = 0;
            for (; j + WG_NR <= wide; j += WG_NR)
                kernel_wide(pl->kg, up_, vp + j, ld, mp + j, ld);
            if (j < wide) kernel_tail(pl->kg, up_, vp + j, ld, mp + j, ld);
            for (j = wide; j < nt; j++)
                kernel_col(pl->kg, up_, vp + j, ld, mp + j, ld);
        }
}

/* Taps of an axis inside the input for output q. */
static int taps_inside(int q, int s, int pad, int d, int k, int in)
{
    int c = 0;
    for (int i = 0; i < k; i++) {
        int at = q * s - pad + i * d;
        c += at >= 0 && at < in;
    }
    return c;
}

/* An output whose sum has one or two products (IC/G <= 2 and the kernel
 * mostly over padding) gets it directly: there F(2,3)'s cancellation
 * (e.g. y0 = x*g2 formed as -x*g0 + x*(g0+g1+g2)/2 + x*(g0-g1+g2)/2) is
 * not averaged over other products, and its error relative to |x*g2|
 * would be unbounded as g2 -> 0. */
static void fix_up(const conv_plan *pl, const float *x, int n, int o, int r,
                   int q0, int qstep, int cnt, float *ob)
{
    const conv_problem *p = &pl->p;
    const int g = o / pl->ocg, ch = pl->cnt[r] * pl->icg;
    for (int u = 0; u < cnt; u++) {
        const int q = q0 + u * qstep, tot = ch * pl->cnt[p->oh + q];
        if (tot < 1 || tot > 2) continue;
        float acc = pl->b ? pl->b[o] : 0.0f;
        for (int c = 0; c < pl->icg; c++) {
            const float *xc =
                x +
                ((size_t)n * p->ic + (size_t)g * pl->icg + c) * p->ih * p->iw;
            const float *wc = pl->w + ((size_t)o * pl->icg + c) * p->kh * p->kw;
            for (int i = 0; i < p->kh; i++) {
                const int ih = r * p->sh - p->pt + i * p->dh;
                if (ih < 0 || ih >= p->ih) continue;
                for (int j = 0; j < p->kw; j++) {
                    const int iw = q * p->sw - p->pl + j * p->dw;
                    if (iw < 0 || iw >= p->iw) continue;
                    acc += xc[(size_t)ih * p->iw + iw] * wc[i * p->kw + j];
                }
            }
        }
        ob[u] = acc;
    }
}

/* Y = At M A for rows o0..o0+nrow-1 of a block, plus bias, into y. */
static void output_block(const conv_plan *pl, const wg_sub *sb, int g, long t0,
                         int nt, int o0, int nrow, int npan, const float *m,
                         const float *x, float *y, float *z)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t ld = pl->ld, mpos = (size_t)npan * WG_MR * ld;
    const size_t ldz = pl->ld; /* z[i][s][l], then ob */
    float *restrict ob = z + (size_t)2 * 4 * ldz;
    const int ahph = ah->nph, awph = aw->nph;
    for (int ol = 0; ol < nrow; ol++) {
        const int o = g * pl->ocg + o0 + ol;
        const float bias = pl->b ? pl->b[o] : 0.0f;
        const float *mo = m + (size_t)ol * ld;
        wg_seg s = {0, 0, 0, 0, 0};
        while (next_seg(sb, t0, nt, &s)) {
            const int lanes = (int)up((size_t)s.len, WG_VL);
            for (int sw = 0; sw < aw->alpha; sw++) {
                float *restrict z0 = z + (size_t)sw * ldz;
                float *restrict z1 = z + (size_t)(4 + sw) * ldz;
                const float *restrict m0 = mo + (size_t)sw * mpos + s.lt;
                if (ah->alpha == 4) {
                    const float *restrict m1 = m0 + (size_t)aw->alpha * mpos,
                                          *restrict m2 =
                                              m1 + (size_t)aw->alpha * mpos,
                                          *restrict m3 =
                                              m2 + (size_t)aw->alpha * mpos;
                    for (int l = 0; l < lanes; l++) {
                        z0[l] = m0[l] + m1[l] + m2[l];
                        z1[l] = m1[l] - m2[l] - m3[l];
                    }
                } else {
                    for (int l = 0; l < lanes; l++) z0[l] = m0[l];
                }
            }
            for (int i = 0; i < ah->m; i++) {
                const int vr = ah->m * s.th + i;
                if (vr >= sb->mh) break;
                const float *restrict zi = z + (size_t)(4 * i) * ldz;
                if (aw->alpha == 4) {
                    for (int l = 0; l < lanes; l++) {
                        const float a0 = zi[l], a1 = zi[ldz + l],
                                    a2 = zi[2 * ldz + l], a3 = zi[3 * ldz + l];
                        ob[2 * l] = a0 + a1 + a2 + bias;
                        ob[2 * l + 1] = a1 - a2 - a3 + bias;
                    }
                } else {
                    for (int l = 0; l < lanes; l++) ob[l] = zi[l] + bias;
                }
                const int c0 = aw->m * s.tw0, r = sb->ah + vr * ahph;
                int cnt = aw->m * s.len;
                if (cnt > sb->mw - c0) cnt = sb->mw - c0;
                if (pl->w && pl->cnt[r] * pl->icg <= 2)
                    fix_up(pl, x, s.n, o, r, sb->aw + c0 * awph, awph, cnt, ob);
                float *restrict yr =
                    y + (((size_t)s.n * p->oc + o) * p->oh + r) * p->ow +
                    sb->aw + (size_t)c0 * awph;
                for (int u0 = 0; u0 < cnt; u0 += WG_VL) {
                    if (awph == 1) {
                        for (int u = 0; u < WG_VL; u++)
                            if (u0 + u < cnt) yr[u0 + u] = ob[u0 + u];
                    } else {
                        for (int u = 0; u < WG_VL; u++)
                            if (u0 + u < cnt)
                                yr[(size_t)(u0 + u) * awph] = ob[u0 + u];
                    }
                }
            }
        }
    }
}

static conv_status wg_supports(const conv_problem *p, char *why, size_t len)
{
    (void)p, (void)why, (void)len;
    return CONV_OK;
}

static void wg_destroy(conv_plan *pl)
{
    if (!pl) return;
    for (int a = 0; a < 2; a++) {
        free(pl->ax[a].off);
        free(pl->ax[a].tap);
    }
    free(pl->sub);
    free(pl->u);
    free(pl->b);
    free(pl->cnt);
    free(pl->w);
    free(pl->scratch);
    free(pl);
}

static void *alloc_floats(size_t n)
{
    return aligned_alloc(64, up(n * sizeof(float), 64));
}

static void name_impl(conv_plan *pl)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const char *core = ah->m == 2 && aw->m == 2 ? "f2x3"
                       : aw->m == 2             ? "f2x3_w"
                       : ah->m == 2             ? "f2x3_h"
                                                : "f1x1";
    size_t n = (size_t)snprintf(pl->impl, sizeof pl->impl, "%s", core);
    if ((p->sh > 1 || p->sw > 1) && n < sizeof pl->impl)
        n += (size_t)snprintf(pl->impl + n, sizeof pl->impl - n,
                              "+polyphase%dx%d", p->sh, p->sw);
    if ((p->dh > 1 || p->dw > 1) && n < sizeof pl->impl)
        n += (size_t)snprintf(pl->impl + n, sizeof pl->impl - n,
                              "+dilated%dx%d", p->dh, p->dw);
    if ((ah->nterm > ah->nkph || aw->nterm > aw->nkph) && n < sizeof pl->impl)
        snprintf(pl->impl + n, sizeof pl->impl - n, "+split%dx%d", p->kh,
                 p->kw);
}

/* Blocks of at most tb tiles: per-phase block sizes, OC slices, work
 * items, scratch sizes; returns the bytes the plan would hold. */
static size_t size_blocks(conv_plan *pl, size_t tb)
{
    const conv_problem *p = &pl->p;
    pl->tb = (int)tb;
    long nblk = 0;
    for (int i = 0; i < pl->nsub; i++) {
        wg_sub *sb = &pl->sub[i];
        const long t = (long)p->n * sb->th * sb->tw;
        sb->nblk = (t + pl->tb - 1) / pl->tb;
        /* One grid: a multiple of the threads, so none waits at the end. */
        if (pl->nsub == 1 && p->g == 1 && sb->nblk > 1)
            sb->nblk = (sb->nblk + pl->nthr - 1) / pl->nthr * pl->nthr;
        sb->bs = sb->nblk ? (int)((t + sb->nblk - 1) / sb->nblk) : 0;
        if (sb->bs) sb->nblk = (t + sb->bs - 1) / sb->bs; /* none empty */
        nblk += sb->nblk * p->g;
    }
    /* Fewer blocks than 2 per thread: slice OC too, so that the work items
     * are a multiple of the threads; each slice transforms its own V,
     * which is cheap next to a slice's products. */
    pl->nsplit = 1;
    if (nblk > 0 && nblk < 2L * pl->nthr) {
        const int most = pl->ocp / WG_MR;
        pl->nsplit = pl->nthr / gcd((int)nblk, pl->nthr);
        if (pl->nsplit > most) pl->nsplit = most;
    }
    pl->crow = (int)up((size_t)(pl->ocg + pl->nsplit - 1) / pl->nsplit, WG_MR);
    pl->nsplit = (pl->ocg + pl->crow - 1) / pl->crow;
    pl->nitem = 0;
    for (int i = 0; i < pl->nsub; i++) {
        pl->sub[i].first = pl->nitem;
        pl->nitem += pl->sub[i].nblk * p->g * pl->nsplit;
    }
    /* Scratch per thread: V, M, 8 row buffers, z (8 rows) and ob (2). */
    pl->ld = tb + WG_VL;
    pl->ldr = (size_t)pl->ax[1].m * pl->ld;
    pl->per_thr = (size_t)pl->npos * (pl->kg + pl->crow) * pl->ld +
                  8 * pl->ldr + 10 * pl->ld;
    const size_t usz = (size_t)p->g * pl->npos * pl->ocp * pl->kg;
    const size_t wsz =
        pl->icg <= 2 ? (size_t)p->oc * pl->icg * p->kh * p->kw : 0;
    return sizeof *pl + pl->nsub * sizeof *pl->sub +
           (size_t)(p->oh + p->ow) * sizeof(int) +
           (size_t)(pl->ax[0].nterm + pl->ax[1].nterm) * 4 * sizeof(int) +
           (usz + WG_VL + wsz + (p->bias ? (size_t)p->oc : 0) +
            pl->per_thr * pl->nthr) *
               sizeof(float);
}

static conv_status wg_plan(const conv_problem *p, const float *w,
                           const float *b, const conv_ctx *ctx, conv_plan **out)
{
    conv_status st = CONV_NOMEM;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl) goto nomem;
    pl->p = *p;
    if (axis_init(&pl->ax[0], p->kh, p->sh, p->dh) != CONV_OK ||
        axis_init(&pl->ax[1], p->kw, p->sw, p->dw) != CONV_OK)
        goto nomem;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    pl->nthr = ctx->threads > 0 ? ctx->threads : omp_get_max_threads();
    pl->npos = ah->alpha * aw->alpha;
    pl->nterm = ah->nterm * aw->nterm;
    pl->icg = p->ic / p->g;
    pl->ocg = p->oc / p->g;
    pl->kg = pl->nterm * pl->icg;
    pl->ocp = (int)up((size_t)pl->ocg, WG_MR);
    pl->nsub = ah->nph * aw->nph;
    pl->sub = calloc((size_t)pl->nsub, sizeof *pl->sub);
    if (!pl->sub) goto nomem;
    long tmax = 0;
    for (int i = 0; i < pl->nsub; i++) {
        wg_sub *sb = &pl->sub[i];
        sb->ah = i / aw->nph;
        sb->aw = i % aw->nph;
        sb->mh = sb->ah < p->oh ? (p->oh - sb->ah + ah->nph - 1) / ah->nph : 0;
        sb->mw = sb->aw < p->ow ? (p->ow - sb->aw + aw->nph - 1) / aw->nph : 0;
        sb->th = (sb->mh + ah->m - 1) / ah->m;
        sb->tw = (sb->mw + aw->m - 1) / aw->m;
        long t = (long)p->n * sb->th * sb->tw;
        tmax = t > tmax ? t : tmax;
    }

    /* Tiles per block (see WG_L2_BUDGET), then no more than every thread's
     * share even below the floor: slicing OC instead repeats the input
     * transform, which costs more than passes of U (2 threads, res3a mb 1:
     * 0.60 ms as 2 blocks, 0.74 ms as 1 block in 2 slices; res5a mb 8:
     * 4.2-4.7 ms as 2 blocks, 5.3-5.6 ms as 1). Then less, down to WG_VL,
     * while the plan is over the workspace cap. */
    const size_t per_tile =
        (size_t)pl->npos * (pl->kg + pl->ocp) * sizeof(float);
    const size_t ubytes = (size_t)pl->npos * pl->ocp * pl->kg * sizeof(float);
    const size_t floor_tb = ubytes > WG_L2_BUDGET ? WG_TB_UHEAVY : WG_VL;
    size_t tb = WG_L2_BUDGET / per_tile / WG_VL * WG_VL;
    if (tb < floor_tb) tb = floor_tb;
    size_t fair = up((size_t)(tmax + pl->nthr - 1) / pl->nthr, WG_VL);
    if (tb > fair) tb = fair;
    if (tb > up((size_t)tmax, WG_VL)) tb = up((size_t)tmax, WG_VL);
    if (tb > WG_MAX_TB) tb = WG_MAX_TB;
    if (tb < WG_VL) tb = WG_VL;
    pl->bytes = size_blocks(pl, tb);
    while (pl->bytes > ctx->workspace_cap && tb > WG_VL) {
        tb = tb / 2 / WG_VL * WG_VL;
        if (tb < WG_VL) tb = WG_VL;
        pl->bytes = size_blocks(pl, tb);
    }
    const size_t usz = (size_t)p->g * pl->npos * pl->ocp * pl->kg;
    if (pl->bytes > ctx->workspace_cap) {
        st =
            conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "needs %zu bytes (transformed weights %zu, scratch "
                     "%zu per thread x %d), cap %zu",
                     pl->bytes, usz * sizeof(float),
                     pl->per_thr * sizeof(float), pl->nthr, ctx->workspace_cap);
        goto cleanup;
    }
    const size_t wsz =
        pl->icg <= 2 ? (size_t)p->oc * pl->icg * p->kh * p->kw : 0;
    pl->u = alloc_floats(usz + WG_VL);
    pl->scratch = alloc_floats(pl->per_thr * pl->nthr);
    pl->b = p->bias ? malloc((size_t)p->oc * sizeof *pl->b) : NULL;
    pl->w = wsz ? malloc(wsz * sizeof *pl->w) : NULL;
    pl->cnt = malloc((size_t)(p->oh + p->ow) * sizeof *pl->cnt);
    if (!pl->u || !pl->scratch || (p->bias && !pl->b) || (wsz && !pl->w) ||
        !pl->cnt)
        goto nomem;
    /* Zero: U's padding rows, and scratch that junk lanes read first. */
    memset(pl->u, 0, (usz + WG_VL) * sizeof *pl->u);
    memset(pl->scratch, 0, pl->per_thr * pl->nthr * sizeof *pl->scratch);
    for (int o = 0; p->bias && o < p->oc; o++) pl->b[o] = b[o];
    if (wsz) memcpy(pl->w, w, wsz * sizeof *w);
    for (int r = 0; r < p->oh; r++)
        pl->cnt[r] = taps_inside(r, p->sh, p->pt, p->dh, p->kh, p->ih);
    for (int q = 0; q < p->ow; q++)
        pl->cnt[p->oh + q] = taps_inside(q, p->sw, p->pl, p->dw, p->kw, p->iw);
    weight_transform(pl, w);
    name_impl(pl);
    *out = pl;
    pl = NULL;
    st = CONV_OK;
    goto cleanup;
nomem:
    st = conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                  "allocation failed (plan of %zu bytes)", pl ? pl->bytes : 0);
cleanup:
    wg_destroy(pl);
    return st;
}

static conv_status wg_execute(conv_plan *pl, const float *x, float *y)
{
    const conv_problem *p = &pl->p;
#pragma omp parallel num_threads(pl->nthr)
    {
        float *v = pl->scratch + (size_t)omp_get_thread_num() * pl->per_thr;
        float *m = v + (size_t)pl->npos * pl->kg * pl->ld;
        float *rb = m + (size_t)pl->npos * pl->crow * pl->ld;
        float *z = rb + 8 * pl->ldr;
        long have = -1; /* block whose V is in v */
#pragma omp for schedule(dynamic, 1)
        for (long it = 0; it < pl->nitem; it++) {
            int si = 0;
            while (si + 1 < pl->nsub && pl->sub[si + 1].first <= it) si++;
            const wg_sub *sb = &pl->sub[si];
            const long rel = it - sb->first, key = it / pl->nsplit;
            const int slice = (int)(rel % pl->nsplit);
            const int g = (int)(rel / pl->nsplit / sb->nblk);
            const long blk = rel / pl->nsplit % sb->nblk;
            const long t0 = blk * sb->bs, tall = (long)p->n * sb->th * sb->tw;
            const int nt = (int)(tall - t0 < sb->bs ? tall - t0 : sb->bs);
            const int o0 = slice * pl->crow;
            const int nrow = pl->ocg - o0 < pl->crow ? pl->ocg - o0 : pl->crow;
            const int npan = (nrow + WG_MR - 1) / WG_MR;
            if (key != have) {
                input_block(pl, sb, g, t0, nt, x, v, rb);
                have = key;
            }
            const float *u = pl->u + (size_t)g * pl->npos * pl->ocp * pl->kg +
                             (size_t)o0 * pl->kg;
            gemm_block(pl, u, npan, v, nt, m);
            output_block(pl, sb, g, t0, nt, o0, nrow, npan, m, x, y, z);
        }
    }
    return CONV_OK;
}

static size_t wg_workspace(const conv_plan *pl)
{
    return pl ? pl->bytes : 0;
}

static const char *wg_impl(const conv_plan *pl)
{
    return pl ? pl->impl : NULL;
}

const conv_algo conv_algo_winograd_f2x3 = {
    .name = "winograd_f2x3",
    .supports = wg_supports,
    .plan = wg_plan,
    .execute = wg_execute,
    .workspace_bytes = wg_workspace,
    .destroy = wg_destroy,
    .impl = wg_impl,
    .tolerance = 1e-4, /* measured, see the top comment */
    .exact = false,
};
