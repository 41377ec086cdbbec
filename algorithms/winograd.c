/* winograd_f2x3 and winograd_f4x3: Winograd minimal filtering F(2x2,3x3)
 * and F(4x4,3x3) (F(2,3) and F(4,3) in 1D), every configuration. Both run
 * the same machinery; only the 1D transform kind (wg_kind: tile size m,
 * transform size alpha = m + 2, matrices) differs.
 *
 * Core (3x3 kernel, stride 1, dilation 1). The output is cut into m x m
 * tiles. Per tile and input channel the alpha x alpha input patch d becomes
 * V = Bt d B; the 3x3 kernel g becomes U = G g Gt once, in plan(). The
 * alpha^2 transform-domain positions are alpha^2 matrix products over
 * channels,
 *     M[pos] (OC/G x T) = U[pos] (OC/G x IC/G) . V[pos] (IC/G x T),
 * T tiles, and Y = At M A gives the m x m outputs: F(2x2,3x3) 16
 * multiplications per 4 outputs and channel pair instead of 36 (2.25x
 * fewer), F(4x4,3x3) 36 per 16 instead of 144 (4x); the transforms cost
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
 * - untransformed axes ("f2x3_w", "f4x3_h", "f1x1", ...): per output and
 *   channel pair F(m,3) costs alpha/m multiplications per piece (F(2,3) 2,
 *   F(4,3) 1.5), no transform (F(1,1), every tap its own piece) 1 per tap.
 *   An axis takes F(m,3) when every kernel phase has >= 3 taps and alpha x
 *   pieces < m x taps. F(2,3): 3 taps 2 (vs 3), 5 4, 6 4, 7 6; 4 taps
 *   untransformed. F(4,3): 3 taps 1.5, 4 3, 5 3, 7 4.5. Phases of 1 or 2
 *   taps (3x3 stride 2) go untransformed. 1D problems and 1x3 / 3x1
 *   kernels so get F(m,3) on one axis (alpha positions); 1x1 kernels are
 *   one product.
 * Multiplications per output and channel pair (cost_h x cost_w), F(2,3) /
 * F(4,3) against direct: 3x3 4 / 2.25 (9), 5x5 16 / 9 (25), 7x7 36 / 20.25
 * (49), 1x3 2 / 1.5 (3), 3x3 dilated 4 / 2.25 (9), 7x7 stride 2 (phases of
 * 4 and 3 taps) 36 / 20.25 (49), 3x3 stride 2 9 / 9 (9), 1x1 1 (1). The
 * impl column names the path, e.g. "f4x3", "f2x3+polyphase2x2+split7x7",
 * "f1x1+polyphase2x2", "f2x3+dilated2x2".
 *
 * F(4,3)'s matrices. Toom-Cook on 5 finite points and infinity: At[i][k] =
 * p_k^i, G row k = (1, p_k, p_k^2) / N_k with N_k = prod_{q != p_k} (p_k -
 * q), Bt row k the coefficients of prod_{q != p_k} (x - q). 0 and +-1 are
 * exact and cheap; the other two decide the accuracy. Magnitudes far from 1
 * grow At (p^3) or G (1/N_k), and {+-2} and {+-1/2} are mirror images
 * (p -> 1/p with 0 <-> inf reverses the tile), so equally accurate; mixing
 * them, {1/2, -2}, splits the growth between At and G. Simulated in fp32
 * (1D, uniform data, sums over 64 channels, 20000 tiles): max / mean
 * error relative to sum |x*g| 5.2e-7 / 3.30e-8 for 0, +-1, +-2; 5.9e-7 /
 * 3.30e-8 for +-1/2; 3.5e-7 / 2.94e-8 for 0, +-1, 1/2, -2; 1.3e-6 /
 * 4.5e-8 for +-3. So points 0, 1, -1, 1/2, -2, inf. Scaling: multiplying
 * At column k, G row k and Bt row k by factors whose product is 1 leaves
 * the result unchanged; a power of 2 changes no rounding at all, so the one
 * real choice is where the non-powers of 2 (1/3, 1/15 from N_k) go: into
 * G, computed in double and rounded once per weight in plan(), not into Bt
 * or At, which round on every tile. Bt then has entries 0, +-1/2, +-1,
 * +-3/2, +-2, +-5/2, At 1, +-1/2 ... +-8, all exact in fp32.
 *
 * Accuracy. The output transform cancels: in F(2,3) at a border, y0 =
 * x*g2 is formed as -x*g0 + x*(g0+g1+g2)/2 + x*(g0-g1+g2)/2, an error
 * ~eps*|x|*|g0| against docs/design.md §4's scale |x*g2|; F(4,3) sums 6 terms
 * with At entries up to 8 and mixes the tile's other inputs in. Summed over
 * many products that averages out; an output with only a few products in its
 * sum (IC/G small and the kernel mostly on padding) has no such bound, so
 * those are computed directly (fix_up): up to 2 products for F(2,3), up to
 * 4 for F(4,3). Measured, docs/design.md §4 error under real fill (`verify
 * --sweep 300 --fill real --threads 1`): F(2,3) max 8.6e-6 over seeds 100-499
 * (120000 problems), 3.4e-7 on seed 9; without fix_up already 7.8e-5 over
 * seeds 100-199. Int fill: 0 on every one of seeds 200-499. Tolerance
 * 1e-4, over 10x the largest seen. F(4,3) (native AVX2 build) max 1.24e-5
 * over seeds 100-499 (120000 problems), 1.44e-4 with fix_up at 2 products
 * as F(2,3); int fill (G has 1/3 and 1/15: not exact) max 8.7e-6 over seeds
 * 200-299. Tolerance 2e-4, 16x the largest seen.
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
 * than im2col_gemm (0.55-0.9x). Those figures are F(2,3) on AVX-512.
 * On AVX2 (Zen 3, 2 cores, 6 x 16 kernel), per-phase thread CPU time, 1
 * thread, ResNet-50's 3x3 layers: F(4,3)'s products take 0.55-0.85x
 * F(2,3)'s (res2a-res5a, mb 1 and 8) except res5a at mb 1 (1.9x: 4 tiles
 * per image, and U, 36 x 512 x 512 floats = 38 MB, streams from memory
 * for them; F(2,3)'s is 17 MB), but its transforms take 1.1-2.2x F(2,3)'s
 * and 35-64% of its time (mb 8 res2a: input 9.6 ms, products 8.7,
 * output 6.0), so F(4,3) ended 0.94-1.18x F(2,3) there. What the profile
 * (perf, sampled) showed and what changed: the column input transform of
 * F(4,3) ran in 4-lane and scalar code for 8 lanes (a GCC peeling for a
 * gap, see input_group); the 6 x 8 tail kernel had 6 FMA chains where the
 * latency needs 8 (kernel_tail2); rows of 4 or 2 tiles (14x14 and 7x7
 * outputs) left half or 3/4 of every transform vector junk (groups across
 * tile rows); stores of y compiled to a compare and branch per float
 * (memcpy); F(4,3)'s column output transform stored one float per
 * vextractps (per chunk); at_rows waited on M from L3 (prefetch of the
 * next row); and with few tiles per thread each thread streamed all of a
 * large U (WG_FEW). Results are bit-identical to before (the same
 * operations in the same order: max errors equal over 400 sweep rows).
 * What remains (mb 1, 2 threads): res5a, where F(4,3)'s 38 MB of U for 4
 * tiles per image would take 1.27 ms even at the 30 GB/s a plain summing
 * loop read with two threads here, against F(2,3)'s 17 MB; its products
 * take 1.6-2.1 ms. (Those figures predate WG_KERNEL_ATTR: on a Rocket
 * Lake build GCC had kept the 12 x 32 kernel's accumulators in memory;
 * with it the forward ran 3-7x faster single-threaded on ResNet-50's 3x3
 * layers, F(2,3) res2a 30 -> 190 GFLOP/s, results bit-identical.)
 *
 * Backward directions (docs/design.md §14). Weights change every training
 * step, so every weight-side transform runs in execute.
 *
 * bwd_d. dx of stride S splits into S_h x S_w phases, positions ph + S*t
 * (polyphase, "+polyphaseSHxSW"); a phase is reached by the taps i with
 * S | (ph + PT - i*D), every S/gcd(S, D)-th tap, and with them is a
 * stride-1 correlation over dy: kernel reversed, IC and OC swapped within
 * each group, dilation D/gcd(S, D), padding -(ph + PT - last*D)/S before
 * (at S = 1: D*(K-1) - PT, negative = crop). Each phase is a forward
 * problem, run by the forward engine above on dy with the weights read
 * through a rotated, transposed view of w (conv_plan.wsrc and strides)
 * and its outputs written into dx's phase lattice (conv_plan.y*); so
 * dilation, larger kernels (pieces), groups and 1D come as in the forward,
 * and so does fix_up. A phase no tap reaches is zeroed. Phases run one
 * after another and share U and scratch. U = G g Gt (u_piece) is computed
 * in execute, in float: when all of a phase's tiles are one block (few
 * tiles, e.g. ResNet-50 res4a/res5a at mb 1) each work item transforms
 * its own panels, two at a time and WG_KC channels at a time, each chunk
 * just before its products (added into M), so U (17-38 MB at res5a)
 * never passes through memory; otherwise U is transformed once, in
 * parallel, before the products. Either way the work is split over the
 * threads by panels of OC (IC of the layer). u_piece gathers a panel's
 * taps by 8 x 8 and 4 x 4 transposes where a row's taps are one run (the
 * rotated 3x3 kernel) and transforms each vector of lanes with its 9
 * taps and 36 results in registers (u_tf).
 *
 * Small images: F(4,3) stays F(4,3) on outputs smaller than its tile (a
 * 1x1 output is one 6x6 tile of which one point is used); there a few
 * tiles meet the whole weight-side transform, and winograd_f2x3, with 16
 * positions to 36, is the one to choose: both are benchmarked, neither
 * borrows the other's tile.
 *
 * bwd_w. dw[j] = sum_i dy[i] x[i + j] per axis is the forward's
 * trilinear form sum_{i,j} e_i g_j d_{i+j} = sum_k (At^T e)_k (G g)_k (Bt
 * d)_k read for g: with e = dy, dw = G^T [(At^T dy) . (Bt x)]. So the
 * weight update F(3, m) ("f3x2" for F(3x3, 2x2), "f3x4" for F(3x3, 4x4))
 * uses the forward's own matrices: x tiles of alpha x alpha by Bt (the
 * forward's input transform, unchanged), m x m dy tiles by A = At^T
 * (att_*: rows (1, p, .., p^(m-1)) per point, exact in fp32), and one
 * output transform G^T M G per weight (1/3 and 1/15 there, once per
 * weight, not per tile). Checked in exact rational arithmetic on random
 * integers for both kinds. The published F(3x3, 2x2) set (B^T = [[1, 0,
 * -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, -1, 0, 1]], G = [[1, 0], [1/2,
 * 1/2], [1/2, -1/2], [0, 1]], A^T = [[1, 1, 1, 0], [0, 1, -1, 0], [0, 1,
 * 1, 1]]) is this one with the inf row's sign flipped and the 1/2 moved
 * from the output into the dy transform; F(3x3, 4x4) here is on the
 * points 0, 1, -1, 1/2, -2, inf of the forward's F(4,3). Between the
 * transforms, for each of the alpha^2 positions, M[o][kk] = sum over
 * tiles D[o][tile] X[kk][tile]: the forward's kernels with the tiles as
 * the reduction (M += per block), on D packed in WG_MR-row panels and X
 * as [tile][kk], both by 8 x 8 transposes (tr8). The decompositions are
 * the forward's: output phases (dilation) each with their own dy lattice
 * and tile grid, summed into one M; kernel phases (stride) and pieces
 * (kernels over 3 taps) as columns kk = piece x IC/G of M, each piece's
 * 3 x 3 result going to its taps; untransformed axes F(1,1). Work items
 * are (group, OC slice, tile chunk). When one block holds every tile
 * (fused), each panel's output transform follows its products at once
 * and M stays in cache; otherwise each chunk sums into its own M and the
 * output transform adds the chunks. dw elements with at most nfix
 * products (tiny problems) are computed directly and ones with none are
 * exactly 0 (w_direct, from per-tap product lists made in plan; the
 * output transform skips rows no weight takes). db is dy summed.
 *
 * Accuracy of the backward directions, docs/design.md §4's error (`verify
 * --sweep 300`, seeds 1-23 real and 1-3, 104-123 int, 6900 problems per
 * direction and fill): bwd_d F(2,3) max 6.9e-6 real, 0 int; F(4,3) 1.2e-5
 * real, 1.55e-5 int. bwd_w F(2,3) 1.5e-6 real, 0 int; F(4,3) 3.5e-6 real,
 * 2.6e-6 int (without w_direct: 1.8e-4 and 1.3e-3 in 8 seeds). Measured
 * again on the same seeds after bwd_d's chunked sums and u_tf: bwd_d
 * 6.9e-6 / 0 and
 * 1.19e-5 / 1.55e-5, bwd_w 1.5e-6 / 0 and 3.1e-6 / 2.6e-6. On the 3x3
 * layers of ResNet-50 and VGG-19 at mb 1 and 8: bwd_d up to 1.3e-6, bwd_w
 * up to 1.4e-6 (F(4,3), res5a, mb 1). bwd_w's error does not grow with mb
 * x OH x OW here (a common test driver widens its Winograd bwd_w bound by
 * (mb*oh*ow/8)^0.4): the error is relative to the sum of |terms|, which
 * grows as fast as the terms, and M adds per-block partial sums (at mb 8
 * every layer's error was at or below its mb 1 error).
 *
 * Speed of the backward directions (GFLOP/s, forward FLOP count, `bench
 * --shapes resnet50 --mb 1 --threads 1`, median of 3 runs on a shared,
 * loaded 2-core AVX-512 machine; F(2,3) / F(4,3) against onednn and
 * im2col_gemm): bwd_d res2a 173 / 208 vs 152 and 106, res3a 189 / 230 vs
 * 163 and 120, res4a 135 / 137 vs 150 and 122, res5a 39 / 16 vs 108 and
 * 69; bwd_w res2a 123 / 121 vs 154 and 87, res3a 126 / 194 vs 161 and 121,
 * res4a 151 / 152 vs 137 and 132, res5a 34 / 28 vs 34 and 104. At res5a
 * (7x7) the weight-side transforms, in execute and over all 512 x 512
 * kernels, meet 16 (F(2,3)) or 4 (F(4,3)) tiles of products; at mb 8
 * F(4,3) matched onednn there. Two-thread runs on that machine were
 * bimodal for every OpenMP code (a barrier waits for a descheduled
 * thread), so they are not quoted.
 *
 * Small images, SSD-ResNet34's layers at mb 4 (`bench --threads 2`,
 * medians in ms, before -> after the small-image work, F(4,3) / F(2,3),
 * onednn_native beside): bwd_w 1x1 image 6.2 / 5.1 -> 0.49 / 0.29 (0.82),
 * 3x3 to 1x1 3.2 / 0.14 -> 0.24 / 0.15 (0.27); bwd_d 1x1 1.0 / 0.46 ->
 * 0.63 / 0.30 (0.21), 3x3 1.04 / 0.61 -> 0.80 / 0.61 (0.61). bwd_w's
 * direct weights had searched every image and output per weight (96% of
 * F(4,3)'s instructions on the 1x1 image, callgrind); bwd_d's time went
 * to U's gather and transform, to the column kernels (4 tiles: FMA
 * latency, V rows of 32 floats) and to U of all channels passing through
 * L3. ResNet-50 res5a at mb 1, 1 thread: bwd_d F(4,3) 7.1 -> 3.7, F(2,3)
 * 3.5 -> 2.2.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

/* Micro-kernel: WG_MR rows of U x WG_NR tile columns held in registers;
 * WG_VL columns is the narrow tail (and the lane granularity of every
 * loop), WG_CL the lanes of the one-column kernel (WG_MR rounded up to a
 * vector). AVX-512: 12 x 32 in 24 of the 32 zmm registers ran at 220
 * GFLOP/s on one core with data in cache, 14 x 32 and 8 x 32 at 185 (GCC
 * 12). With 16 ymm registers that block spills (48 accumulators); 6 x 16
 * keeps 12 accumulators, 2 loads of V and a broadcast of U in registers. */
#ifdef __AVX512F__
enum { WG_MR = 12, WG_NR = 32, WG_VL = 16, WG_CL = 16 };
#else
enum { WG_MR = 6, WG_NR = 16, WG_VL = 8, WG_CL = 8 };
#endif
/* GCC 12's -march=native on Rocket Lake (and -march=icelake-server,
 * skylake-avx512) prefers 256-bit vectors: a 32-column row is then 4 ymm
 * chunks, the unroll-1 loop over them cannot keep acc in registers, and
 * every FMA loads and stores its accumulator (the kernels' samples were
 * one vfmadd213ps from memory and one vmovaps back). 512-bit vectors in
 * the kernels give the 24 zmm accumulators the block was sized for. */
#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#define WG_KERNEL_ATTR __attribute__((target("prefer-vector-width=512")))
#else
#define WG_KERNEL_ATTR
#endif
/* Tiles per block: V + M of a block within half of a 2 MB L2, but at least
 * WG_TB_UHEAVY where U alone is over that: then each block streams all of U
 * from L3, and that costs more than V and M spilling (ResNet-50, 1
 * thread: res3a mb 1, 196 tiles, 1.10 ms as one block, 1.20 ms as 4;
 * res5a mb 8, 10.3 ms with blocks of 64 tiles, 11.5 ms with 16). */
#define WG_L2_BUDGET ((size_t)1 << 20)
#define WG_TB_UHEAVY 128
#define WG_MAX_TB 512
/* Below WG_FEW tiles per thread, U over the L2 budget is not split by
 * tiles but by OC (one block, nsplit slices): each thread then streams
 * its slice of U, not all of it, for a handful of tiles, at the price of
 * transforming the block's input in every slice (ResNet-50 res4a, VGG-19
 * conv4_2 and conv5_1 at mb 1: U of 9-38 MB for 16-49 F(4,3) tiles). */
#define WG_FEW 32
/* Tiles per transform call: a multiple of WG_VL; rows of 4 x 64 floats
 * keep a call's 2 x alpha_h row buffers within L1. */
#define WG_GROUP 64

typedef struct wg_kind wg_kind;

typedef struct wg_axis {
    const wg_kind *k; /* its 1D transform */
    int m, alpha, r;  /* outputs per tile, transform size, taps per piece */
    int step;         /* pitch of every input view: lcm(s, d) */
    int nph;          /* output phases: step / s */
    int nterm;        /* pieces over all kernel phases */
    int nkph;         /* non-empty kernel phases */
    int *off;         /* per piece: input offset of its first tap */
    int *tap;         /* per piece, r kernel indices; -1 = weight 0 */
} wg_axis;

typedef struct wg_sub { /* one output phase: its own tile grid */
    int ah, aw;         /* phase */
    int mh, mw;         /* outputs of the phase lattice */
    int th, tw;         /* tiles */
    long nblk;          /* tile blocks over the batch */
    int bs;             /* tiles per block (the last may have fewer) */
    long first;         /* first work item */
} wg_sub;

/* --breakdown phases (conv.h): the index is what conv_phase_mark takes.
 * By the stage of the transform, in every direction: input, the data
 * tensors into the Winograd domain (x; bwd_d dy; bwd_w x and dy); product;
 * output, out of it into the data tensor (y, with the bias; bwd_d dx, and
 * its phases no tap reaches zeroed); kernel, the weight side that the
 * forward does once in plan (bwd_d U from w; bwd_w dw out of the domain,
 * with the few-tap weights and db). */
enum { WG_INPUT, WG_PRODUCT, WG_OUTPUT, WG_WEIGHTS };
static const char *const wg_phases[] = {"input", "product", "output", "kernel",
                                        NULL};

struct conv_plan {
    conv_problem p;
    const conv_phase_hook *hook; /* NULL but in the --breakdown pass */
    wg_axis ax[2];               /* h, w */
    int npos, nterm, icg, ocg, kg, ocp;
    int tb;           /* tiles per block, multiple of WG_VL */
    int nsplit, crow; /* OC slices per block, rows per slice */
    int nsub;
    wg_sub *sub;
    long nitem;
    int nthr;
    int nfix;  /* outputs of at most nfix products are computed directly */
    bool zcol; /* some output column has no tap inside the input */
    float *u;  /* [g][pos][ocp / MR][kg][MR] */
    float *b;
    /* Outputs with few taps inside the input in all (see fix_up):
     * taps inside per output row (cnt) and column (cnt + oh), and the
     * weights, kept only when IC/G <= nfix. */
    int *cnt;
    float *w;
    float *scratch;
    size_t per_thr; /* floats of scratch per thread */
    size_t ld;      /* row length of V, M and z: >= tb */
    size_t ldr;     /* row length of the row buffers */
    size_t nrb;     /* floats of the row buffers */
    size_t bytes;
    char impl[96];

    conv_dir dir;
    bool shared; /* u and scratch belong to the bwd_d plan above */
    /* bwd_d with one block of tiles: each item transforms the weights of
     * its panels itself, two at a time, just before their products (U is
     * used once: no pass of all of it through memory). */
    bool fuse;
    /* Weight (g, o, c, i, j) of the engine's problem (o, c within the
     * group) is wsrc[w0 + g*wg + o*wo + c*wc + i*wi + j*wj]: the plan's
     * copy forward, the caller's w, rotated and transposed, for bwd_d. */
    const float *wsrc;
    ptrdiff_t w0, wg, wo, wc, wi, wj;
    /* Output (n, o, r, q) of the engine's problem is y[y0 + n*yn + o*yc +
     * r*yr + q*yq]: y itself forward, one phase of dx for bwd_d. */
    size_t y0, yn, yc, yr, yq;
    float gf[2][6][3]; /* G per axis, in float (execute-time transforms) */
    /* bwd_d: one engine per phase of dx (stride), sharing u and scratch;
     * a phase no tap reaches (engine NULL) is zeroed. */
    int nphd;
    struct wg_dphase *phd;
    /* bwd_w: work items (group, OC slice, tile chunk); each chunk of the
     * tiles sums into its own M, [chunk][g][pos][ocp][kgp]. */
    int nchunk, tbw; /* tile chunks, tiles per block */
    size_t kgp, msz; /* M's row length (kg up to a vector), one chunk's M */
    float *mw;
    /* Per tap (i * KW + j): its products, images x outputs whose read is
     * inside x, capped at nfix + 1, and the first of its ndir entries in
     * dprod when at most nfix (w_direct). */
    int *nprod, *dfirst, ndir;
    struct wg_dprod *dprod;
    bool taps9;   /* one 3x3 piece: the rows of the result are the taps */
    bool need[9]; /* result rows some weight takes (over nfix products) */
};

typedef struct wg_dprod { /* a product dy[dy] x[x] of image 0, channel 0 */
    size_t dy, x;
} wg_dprod;

typedef struct wg_dphase {
    int ph, pw;   /* dx positions ph + SH*t, pw + SW*t */
    conv_plan *e; /* the forward engine of the phase; NULL: no tap */
} wg_dphase;

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

/* The 1D transforms, d -> V = Bt d (input), g -> U = G g (weights, in
 * plan(), double), M -> Y = At M (output), one per kind: F(1,1) (no
 * transform), F(2,3) and F(4,3). 2D tiles apply them along h, then w.
 * Each loop runs over lanes (tiles) or elements of a row, so it vectorises
 * the same on any ISA; rows are ld floats apart. */
static void bt_rows_f2(float *restrict r, size_t ld, int cnt)
{
    float *restrict r0 = r, *restrict r1 = r + ld, *restrict r2 = r + 2 * ld,
                    *restrict r3 = r + 3 * ld;
    for (int u = 0; u < cnt; u++) {
        const float d0 = r0[u], d1 = r1[u], d2 = r2[u], d3 = r3[u];
        r0[u] = d0 - d2;
        r1[u] = d1 + d2;
        r2[u] = d2 - d1;
        r3[u] = d1 - d3;
    }
}

/* Bt of F(4,3) on points 0, 1, -1, 1/2, -2, inf (see the top comment):
 * d[0..5] -> v[0..5], with e[0..1] a second reading of d[2..3] (the same
 * values: bt_cols6 has them from both row copies). */
static inline void bt4(const float d[6], const float e[2], float v[6])
{
    const float t31 = d[3] - d[1], t42 = d[4] - e[0];
    v[0] = (d[0] - 2.0f * d[2] + d[4]) + 1.5f * t31;
    v[1] = (d[4] - d[1]) + (0.5f * e[0] + 2.5f * e[1]);
    v[2] = (d[4] + d[1]) + (0.5f * d[3] - 2.5f * d[2]);
    v[3] = t42 + 2.0f * t31;
    v[4] = t42 - 0.5f * t31;
    v[5] = (d[1] - 2.0f * e[1] + d[5]) + 1.5f * t42;
}

/* Rows as restrict parameters: GCC does not take restrict from pointers
 * declared in the body here, and 15 pairs of rows exceed its limit of 10
 * run-time alias checks, so the loop would stay scalar. */
static void bt_rows6(float *restrict r0, float *restrict r1, float *restrict r2,
                     float *restrict r3, float *restrict r4, float *restrict r5,
                     int cnt)
{
    for (int u = 0; u < cnt; u++) {
        const float d[6] = {r0[u], r1[u], r2[u], r3[u], r4[u], r5[u]};
        float v[6];
        bt4(d, d + 2, v);
        r0[u] = v[0];
        r1[u] = v[1];
        r2[u] = v[2];
        r3[u] = v[3];
        r4[u] = v[4];
        r5[u] = v[5];
    }
}

static void bt_rows_f4(float *restrict r, size_t ld, int cnt)
{
    bt_rows6(r, r + ld, r + 2 * ld, r + 3 * ld, r + 4 * ld, r + 5 * ld, cnt);
}

/* Along w: tile l's inputs are d[m*l + j], j < m, and e[m*l + j - 2], j
 * >= 2 (e: the row gathered 2 columns on, see input_group), so F(4,3) has
 * columns 2 and 3 in both; V to v + j * vpos. */
static void bt_cols_f1(const float *restrict d, const float *restrict e,
                       int lanes, float *restrict v, size_t vpos)
{
    (void)e, (void)vpos;
    for (int l = 0; l < lanes; l++) v[l] = d[l];
}

static void bt_cols_f2(const float *restrict d, const float *restrict e,
                       int lanes, float *restrict v, size_t vpos)
{
    float *restrict v0 = v, *restrict v1 = v + vpos,
                    *restrict v2 = v + 2 * vpos, *restrict v3 = v + 3 * vpos;
    for (int l = 0; l < lanes; l++) {
        const float d0 = d[2 * l], d1 = d[2 * l + 1], d2 = e[2 * l],
                    d3 = e[2 * l + 1];
        v0[l] = d0 - d2;
        v1[l] = d1 + d2;
        v2[l] = d2 - d1;
        v3[l] = d1 - d3;
    }
}

static void bt_cols6(const float *restrict d, const float *restrict e,
                     int lanes, float *restrict v0, float *restrict v1,
                     float *restrict v2, float *restrict v3, float *restrict v4,
                     float *restrict v5)
{
    for (int l = 0; l < lanes; l++) {
        /* Columns 2 and 3 from both copies: every load of a group of 4 is
         * used, so GCC vectorises it without peeling (see input_group). */
        const float t[6] = {d[4 * l],     d[4 * l + 1], d[4 * l + 2],
                            d[4 * l + 3], e[4 * l + 2], e[4 * l + 3]};
        const float t2[2] = {e[4 * l], e[4 * l + 1]};
        float o[6];
        bt4(t, t2, o);
        v0[l] = o[0];
        v1[l] = o[1];
        v2[l] = o[2];
        v3[l] = o[3];
        v4[l] = o[4];
        v5[l] = o[5];
    }
}

static void bt_cols_f4(const float *restrict d, const float *restrict e,
                       int lanes, float *restrict v, size_t vpos)
{
    bt_cols6(d, e, lanes, v, v + vpos, v + 2 * vpos, v + 3 * vpos, v + 4 * vpos,
             v + 5 * vpos);
}

/* Along h: z + i * zs = sum_j At[i][j] (m + j * ms), i < m. */
static void at_rows_f1(const float *restrict m, size_t ms, int lanes,
                       float *restrict z, size_t zs)
{
    (void)ms, (void)zs;
    for (int l = 0; l < lanes; l++) z[l] = m[l];
}

static void at_rows_f2(const float *restrict m, size_t ms, int lanes,
                       float *restrict z, size_t zs)
{
    const float *restrict m0 = m, *restrict m1 = m + ms,
                          *restrict m2 = m + 2 * ms, *restrict m3 = m + 3 * ms;
    float *restrict z0 = z, *restrict z1 = z + zs;
    for (int l = 0; l < lanes; l++) {
        z0[l] = m0[l] + m1[l] + m2[l];
        z1[l] = m1[l] - m2[l] - m3[l];
    }
}

/* At of F(4,3): m[0..5] -> y[0..3]. */
static inline void at4(const float m[6], float y[4])
{
    const float a12 = m[1] + m[2], s12 = m[1] - m[2];
    y[0] = (m[0] + a12) + (m[3] + m[4]);
    y[1] = s12 + (0.5f * m[3] - 2.0f * m[4]);
    y[2] = a12 + (0.25f * m[3] + 4.0f * m[4]);
    y[3] = s12 + (0.125f * m[3] - 8.0f * m[4]) + m[5];
}

static void at_rows_f4(const float *restrict m, size_t ms, int lanes,
                       float *restrict z, size_t zs)
{
    const float *restrict m0 = m, *restrict m1 = m + ms,
                          *restrict m2 = m + 2 * ms, *restrict m3 = m + 3 * ms,
                          *restrict m4 = m + 4 * ms, *restrict m5 = m + 5 * ms;
    float *restrict z0 = z, *restrict z1 = z + zs, *restrict z2 = z + 2 * zs,
                    *restrict z3 = z + 3 * zs;
    for (int l = 0; l < lanes; l++) {
        float y[4];
        const float t[6] = {m0[l], m1[l], m2[l], m3[l], m4[l], m5[l]};
        at4(t, y);
        z0[l] = y[0];
        z1[l] = y[1];
        z2[l] = y[2];
        z3[l] = y[3];
    }
}

/* Along w: ob[m*l + i] = sum_j At[i][j] (z + j * ldz)[l] + bias. */
static void at_cols_f1(const float *restrict z, size_t ldz, int lanes,
                       float bias, float *restrict ob)
{
    (void)ldz;
    for (int l = 0; l < lanes; l++) ob[l] = z[l] + bias;
}

static void at_cols_f2(const float *restrict z, size_t ldz, int lanes,
                       float bias, float *restrict ob)
{
    const float *restrict z0 = z, *restrict z1 = z + ldz,
                          *restrict z2 = z + 2 * ldz,
                          *restrict z3 = z + 3 * ldz;
    for (int l = 0; l < lanes; l++) {
        const float a0 = z0[l], a1 = z1[l], a2 = z2[l], a3 = z3[l];
        ob[2 * l] = a0 + a1 + a2 + bias;
        ob[2 * l + 1] = a1 - a2 - a3 + bias;
    }
}

static void at_cols_f4(const float *restrict z, size_t ldz, int lanes,
                       float bias, float *restrict ob)
{
    const float *restrict z0 = z, *restrict z1 = z + ldz,
                          *restrict z2 = z + 2 * ldz,
                          *restrict z3 = z + 3 * ldz,
                          *restrict z4 = z + 4 * ldz,
                          *restrict z5 = z + 5 * ldz;
    /* Per chunk, then interleaved: storing the 4 outputs of each lane
     * straight to ob[4l + i] became one vextractps store per float. */
    for (int l0 = 0; l0 < lanes; l0 += WG_VL) {
        float y[4][WG_VL];
        for (int l = 0; l < WG_VL; l++) {
            float o[4];
            const float t[6] = {z0[l0 + l], z1[l0 + l], z2[l0 + l],
                                z3[l0 + l], z4[l0 + l], z5[l0 + l]};
            at4(t, o);
            for (int i = 0; i < 4; i++) y[i][l] = o[i] + bias;
        }
        for (int l = 0; l < WG_VL; l++)
            for (int i = 0; i < 4; i++) ob[4 * (l0 + l) + i] = y[i][l];
    }
}

/* bwd_w's transform of dy, A = At transposed (alpha x m): the weight
 * update F(3, m) reads the forward's matrices transposed (see the top
 * comment). Rows: o + a * os = sum_i At[i][a] (d + i * ds), a < alpha. */
static void att_rows_f1(const float *restrict d, size_t ds, int cnt,
                        float *restrict o, size_t os)
{
    (void)ds, (void)os;
    for (int u = 0; u < cnt; u++) o[u] = d[u];
}

static void att_rows_f2(const float *restrict d, size_t ds, int cnt,
                        float *restrict o, size_t os)
{
    const float *restrict d0 = d, *restrict d1 = d + ds;
    float *restrict o0 = o, *restrict o1 = o + os, *restrict o2 = o + 2 * os,
                    *restrict o3 = o + 3 * os;
    for (int u = 0; u < cnt; u++) {
        o0[u] = d0[u];
        o1[u] = d0[u] + d1[u];
        o2[u] = d0[u] - d1[u];
        o3[u] = -d1[u];
    }
}

/* A of F(4,3): rows (1, p, p^2, p^3) for p = 0, 1, -1, 1/2, -2 and inf. */
static inline void att4(const float d[4], float o[6])
{
    const float e = d[0] + d[2], f = d[1] + d[3];
    o[0] = d[0];
    o[1] = e + f;
    o[2] = e - f;
    o[3] = (d[0] + 0.25f * d[2]) + (0.5f * d[1] + 0.125f * d[3]);
    o[4] = (d[0] + 4.0f * d[2]) - (2.0f * d[1] + 8.0f * d[3]);
    o[5] = d[3];
}

static void att_rows_f4(const float *restrict d, size_t ds, int cnt,
                        float *restrict o, size_t os)
{
    const float *restrict d0 = d, *restrict d1 = d + ds,
                          *restrict d2 = d + 2 * ds, *restrict d3 = d + 3 * ds;
    float *restrict o0 = o, *restrict o1 = o + os, *restrict o2 = o + 2 * os,
                    *restrict o3 = o + 3 * os, *restrict o4 = o + 4 * os,
                    *restrict o5 = o + 5 * os;
    for (int u = 0; u < cnt; u++) {
        const float t[4] = {d0[u], d1[u], d2[u], d3[u]};
        float r[6];
        att4(t, r);
        o0[u] = r[0];
        o1[u] = r[1];
        o2[u] = r[2];
        o3[u] = r[3];
        o4[u] = r[4];
        o5[u] = r[5];
    }
}

/* Along w: tile l's m inputs d[m*l + j] -> v[b * vpos + l], b < alpha. */
static void att_cols_f1(const float *restrict d, int lanes, float *restrict v,
                        size_t vpos)
{
    (void)vpos;
    for (int l = 0; l < lanes; l++) v[l] = d[l];
}

static void att_cols_f2(const float *restrict d, int lanes, float *restrict v,
                        size_t vpos)
{
    float *restrict v0 = v, *restrict v1 = v + vpos,
                    *restrict v2 = v + 2 * vpos, *restrict v3 = v + 3 * vpos;
    for (int l = 0; l < lanes; l++) {
        const float d0 = d[2 * l], d1 = d[2 * l + 1];
        v0[l] = d0;
        v1[l] = d0 + d1;
        v2[l] = d0 - d1;
        v3[l] = -d1;
    }
}

static void att_cols_f4(const float *restrict d, int lanes, float *restrict v,
                        size_t vpos)
{
    float *restrict v0 = v, *restrict v1 = v + vpos,
                    *restrict v2 = v + 2 * vpos, *restrict v3 = v + 3 * vpos,
                    *restrict v4 = v + 4 * vpos, *restrict v5 = v + 5 * vpos;
    for (int l = 0; l < lanes; l++) {
        const float t[4] = {d[4 * l], d[4 * l + 1], d[4 * l + 2], d[4 * l + 3]};
        float r[6];
        att4(t, r);
        v0[l] = r[0];
        v1[l] = r[1];
        v2[l] = r[2];
        v3[l] = r[3];
        v4[l] = r[4];
        v5[l] = r[5];
    }
}

struct wg_kind {
    const char *name;
    const char *wname; /* bwd_w's name of it: F(3, m) */
    int m, alpha, r;
    int nfix;                                      /* see fix_up */
    double g[6][3];                                /* G, alpha x r */
    void (*bt_rows)(float *restrict, size_t, int); /* NULL: identity */
    void (*bt_cols)(const float *restrict, const float *restrict, int,
                    float *restrict, size_t);
    void (*at_rows)(const float *restrict, size_t, int, float *restrict,
                    size_t);
    void (*at_cols)(const float *restrict, size_t, int, float, float *restrict);
    void (*att_rows)(const float *restrict, size_t, int, float *restrict,
                     size_t);
    void (*att_cols)(const float *restrict, int, float *restrict, size_t);
};

static const wg_kind wg_f1 = {.name = "f1x1",
                              .wname = "f1x1",
                              .m = 1,
                              .alpha = 1,
                              .r = 1,
                              .g = {{1}},
                              .bt_cols = bt_cols_f1,
                              .at_rows = at_rows_f1,
                              .at_cols = at_cols_f1,
                              .att_rows = att_rows_f1,
                              .att_cols = att_cols_f1};
static const wg_kind wg_f2 = {
    .name = "f2x3",
    .wname = "f3x2",
    .m = 2,
    .alpha = 4,
    .r = 3,
    .nfix = 2,
    .g = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
    .bt_rows = bt_rows_f2,
    .bt_cols = bt_cols_f2,
    .at_rows = at_rows_f2,
    .at_cols = at_cols_f2,
    .att_rows = att_rows_f2,
    .att_cols = att_cols_f2};
/* Points 0, 1, -1, 1/2, -2, inf; row k of G is (1, p, p^2) / N_k, N_k =
 * prod over the other finite points q of (p - q): the factors 1/3 and 1/15
 * live here, rounded once per weight, not in Bt or At. */
static const wg_kind wg_f4 = {.name = "f4x3",
                              .wname = "f3x4",
                              .m = 4,
                              .alpha = 6,
                              .r = 3,
                              .nfix = 4,
                              .g = {{1, 0, 0},
                                    {1.0 / 3, 1.0 / 3, 1.0 / 3},
                                    {-1.0 / 3, 1.0 / 3, -1.0 / 3},
                                    {-16.0 / 15, -8.0 / 15, -4.0 / 15},
                                    {1.0 / 15, -2.0 / 15, 4.0 / 15},
                                    {0, 0, 1}},
                              .bt_rows = bt_rows_f4,
                              .bt_cols = bt_cols_f4,
                              .at_rows = at_rows_f4,
                              .at_cols = at_cols_f4,
                              .att_rows = att_rows_f4,
                              .att_cols = att_cols_f4};

/* Whether an axis of k taps, stride s and dilation d takes the
 * transform big: where it saves multiplications (see the top comment);
 * its taps, pieces and non-empty kernel phases into the pointers. */
static bool axis_tf(int k, int s, int d, const wg_kind *big, int *taps,
                    int *pieces, int *nkph)
{
    const int nb = s / gcd(s, d);
    int lmin = k;
    *taps = *pieces = *nkph = 0;
    for (int b = 0; b < nb && b < k; b++) {
        int l = (k - b + nb - 1) / nb;
        *taps += l;
        *pieces += (l + 2) / 3;
        lmin = l < lmin ? l : lmin;
        ++*nkph;
    }
    return lmin >= 3 && big->alpha * *pieces < big->m * *taps;
}

/* Cuts one axis into phases and pieces (see the comment at the top);
 * the axis takes the transform big where it saves multiplications. */
static conv_status axis_init(wg_axis *a, int k, int s, int d,
                             const wg_kind *big)
{
    const int step = s / gcd(s, d) * d, nb = step / d;
    int taps, pieces;
    a->step = step;
    a->nph = step / s;
    const bool tf = axis_tf(k, s, d, big, &taps, &pieces, &a->nkph);
    a->k = tf ? big : &wg_f1;
    a->m = a->k->m;
    a->alpha = a->k->alpha;
    a->r = a->k->r;
    a->nterm = tf ? pieces : taps;
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

/* Weight (g, o, c, i, j) of the engine's problem (see conv_plan). */
static inline float w_at(const conv_plan *pl, const float *w, int g, int o,
                         int c, int i, int j)
{
    return w[pl->w0 + g * pl->wg + o * pl->wo + c * pl->wc + i * pl->wi +
             j * pl->wj];
}

/* U = G g Gt per piece, in double, packed in WG_MR-row panels. */
static void weight_transform(conv_plan *pl, const float *w)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const double(*gh)[3] = ah->k->g, (*gw)[3] = aw->k->g;
    const size_t posz = (size_t)pl->ocp * pl->kg;
    for (int g = 0; g < p->g; g++)
        for (int o = 0; o < pl->ocg; o++)
            for (int tm = 0; tm < pl->nterm; tm++)
                for (int c = 0; c < pl->icg; c++) {
                    const int th = tm / aw->nterm, tw = tm % aw->nterm;
                    double gp[3][3] = {{0}}, t[6][3] = {{0}};
                    for (int i = 0; i < ah->r; i++)
                        for (int j = 0; j < aw->r; j++) {
                            int ki = ah->tap[th * ah->r + i];
                            int kj = aw->tap[tw * aw->r + j];
                            if (ki >= 0 && kj >= 0)
                                gp[i][j] = w_at(pl, w, g, o, c, ki, kj);
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

/* Tiles lt .. lt + len - 1 of a block, one channel (src: the channel in
 * image 0), into v[pos * vpos + l] for l < lanes (a multiple of WG_VL;
 * lanes past len hold finite junk). The tiles may span tile rows and
 * images ("parts", one per tile row): lanes are tiles in block order, so
 * a 14x14 output's 4 F(4,3) tiles per row fill 8-lane vectors instead of
 * leaving half of every vector junk. rb holds 2 x alpha_h rows of ldr
 * floats: with a transform along w the rows are gathered twice, the second
 * time 2 columns on (alpha - m = 2: the columns a tile shares with the
 * next), so that a tile's inputs past its first m are read at the
 * alignment they were stored with (an unaligned reload of just-stored data
 * stalls store forwarding), and bt_cols reads each copy as whole groups of
 * m. F(4,3) reading only e[4l], e[4l+1] of a copy m columns on leaves a gap
 * in each group, and GCC 12 then peels the last lane off the vector loop:
 * 8 lanes (a 28x28 image's 7 tiles) ran in 4-lane and scalar code, 16% of
 * ResNet-50 res3a's samples at mb 1. */
static void input_group(const conv_plan *pl, const wg_sub *sb, long t0, int lt,
                        int len, int lanes, const float *src, int bh, int bw,
                        float *restrict v, size_t vpos, float *restrict rb)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t ldr = pl->ldr, plane = (size_t)p->ih * p->iw;
    const int copies = aw->alpha > 1 ? 2 : 1;
    for (int k = 0; k < copies; k++) {
        float *restrict rk = rb + (size_t)(ah->alpha * k) * ldr;
        wg_seg s = {0, 0, 0, 0, lt};
        while (next_seg(sb, t0, lt + len, &s)) {
            const int base = bw + (aw->m * s.tw0 + 2 * k) * aw->step;
            const int u0 = aw->m * (s.lt - lt);
            const int cnt =
                aw->m * (s.lt + s.len < lt + len ? s.len : lanes - (s.lt - lt));
            const float *sn = src + (size_t)s.n * p->ic * plane;
            for (int i = 0; i < ah->alpha; i++) {
                const int row = bh + (ah->m * s.th + i) * ah->step;
                const float *sr = sn + (size_t)(row < 0 ? 0 : row) * p->iw;
                float *restrict d = rk + i * ldr + u0;
                if (row < 0 || row >= p->ih)
                    for (int u = 0; u < cnt; u++) d[u] = 0;
                else if (aw->step == 1)
                    gather(sr, base, p->iw, cnt, d);
                else
                    gather_step(sr, base, aw->step, p->iw, cnt, d);
            }
        }
        if (ah->k->bt_rows) ah->k->bt_rows(rk, ldr, aw->m * lanes);
    }
    for (int r = 0; r < ah->alpha; r++)
        aw->k->bt_cols(rb + r * ldr, rb + (ah->alpha + r) * ldr, lanes,
                       v + (size_t)(r * aw->alpha) * vpos, vpos);
}

/* V of a block: v[pos][kk][ld], kk = piece * IC/G + c, in groups of
 * WG_GROUP tiles (the last one's junk lanes cover the columns up to the
 * multiple of WG_VL). */
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
            for (int lt = 0; lt < nt; lt += WG_GROUP) {
                const int len = nt - lt < WG_GROUP ? nt - lt : WG_GROUP;
                input_group(pl, sb, t0, lt, len, lt + len < nt ? len : ntp - lt,
                            src, bh, bw, vk + lt, vpos, rb);
            }
        }
    }
}

/* m (WG_MR x NRW) = u (kg x WG_MR panel) . v (kg x NRW, rows ldv apart),
 * or m += that when add (bwd_w sums blocks of tiles into M). Every kernel
 * below takes add; the forward passes false and stores as it always did.
 * Plain C, vectorised along j; acc stays in registers. Unrolling j first
 * (GCC does for 16) would leave only a poor straight-line vectorisation.
 * U is read once per block, mostly from L3 when it is large: prefetching
 * 1.5 KB ahead (into the next panel) cut the products of ResNet-50 res5
 * at mb 1 by 15%. */
#define WG_KERNEL(name, NRW)                                                   \
    WG_KERNEL_ATTR static void name(int kg, const float *restrict u,           \
                                    const float *restrict v, size_t ldv,       \
                                    float *restrict m, size_t ldm, bool add)   \
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
        if (add)                                                               \
            for (int i = 0; i < WG_MR; i++)                                    \
                for (int j = 0; j < NRW; j++) m[i * ldm + j] += acc[i][j];     \
        else                                                                   \
            for (int i = 0; i < WG_MR; i++)                                    \
                for (int j = 0; j < NRW; j++) m[i * ldm + j] = acc[i][j];      \
    }
WG_KERNEL(kernel_wide, WG_NR)
WG_KERNEL(kernel_tail, WG_VL)

/* The narrow tail for two panels at once (u and u + upan), into rows
 * 0 .. 2 WG_MR - 1 of m: alone, WG_MR x WG_VL has one accumulator per row,
 * 6 FMA chains on AVX2 where 2 units of latency 4 need 8, and one load of
 * V per WG_MR FMAs. A block of 25 tiles (F(4,3), 28x28 image at mb 1, 2
 * threads) runs 16 columns wide and 8 in the tail, and the tail took
 * 0.8x the wide kernel's time for half its columns. */
WG_KERNEL_ATTR static void kernel_tail2(int kg, const float *restrict u,
                                        size_t upan, const float *restrict v,
                                        size_t ldv, float *restrict m,
                                        size_t ldm, bool add)
{
    float acc[2 * WG_MR][WG_VL];
    for (int i = 0; i < 2 * WG_MR; i++)
        for (int j = 0; j < WG_VL; j++) acc[i][j] = 0;
    for (int k = 0; k < kg; k++) {
        const float *vk = v + (size_t)k * ldv;
        const float *u0 = u + (size_t)k * WG_MR, *u1 = u0 + upan;
        __builtin_prefetch(u0 + 384);
        __builtin_prefetch(u1 + 384);
        for (int i = 0; i < WG_MR; i++)
            _Pragma("GCC unroll 1") for (int j = 0; j < WG_VL; j++) acc[i][j] =
                fmaf(u0[i], vk[j], acc[i][j]);
        for (int i = 0; i < WG_MR; i++)
            _Pragma("GCC unroll 1") for (int j = 0; j < WG_VL; j++)
                acc[WG_MR + i][j] = fmaf(u1[i], vk[j], acc[WG_MR + i][j]);
    }
    if (add)
        for (int i = 0; i < 2 * WG_MR; i++)
            for (int j = 0; j < WG_VL; j++) m[i * ldm + j] += acc[i][j];
    else
        for (int i = 0; i < 2 * WG_MR; i++)
            for (int j = 0; j < WG_VL; j++) m[i * ldm + j] = acc[i][j];
}

/* One column, vectorised along the WG_MR rows instead (WG_CL lanes: U
 * has WG_VL >= WG_CL - WG_MR floats of slack at its end) and over 4
 * partial sums, so that it is not bound by the FMA latency: a block's last
 * tile then costs a fraction of a WG_VL-lane kernel (49 tiles, as a 14x14
 * image has, would otherwise run as 56 or 64). */
WG_KERNEL_ATTR static void kernel_col(int kg, const float *restrict u,
                                      const float *restrict v, size_t ldv,
                                      float *restrict m, size_t ldm, bool add)
{
    float acc[4][WG_CL] = {{0}};
    int k = 0;
    for (; k + 4 <= kg; k += 4)
        for (int q = 0; q < 4; q++) {
            const float b = v[(size_t)(k + q) * ldv];
            const float *uk = u + (size_t)(k + q) * WG_MR;
            _Pragma("GCC unroll 1") for (int i = 0; i < WG_CL; i++) acc[q][i] =
                fmaf(uk[i], b, acc[q][i]);
        }
    for (; k < kg; k++) {
        const float b = v[(size_t)k * ldv];
        const float *uk = u + (size_t)k * WG_MR;
        _Pragma("GCC unroll 1") for (int i = 0; i < WG_CL; i++) acc[0][i] =
            fmaf(uk[i], b, acc[0][i]);
    }
    for (int i = 0; i < WG_MR; i++) {
        const float s = (acc[0][i] + acc[1][i]) + (acc[2][i] + acc[3][i]);
        m[(size_t)i * ldm] = add ? m[(size_t)i * ldm] + s : s;
    }
}

/* NC = 2 to 4 columns in one pass over U, one chain each: a block of 4
 * tiles (F(4,3) on a 7x7 image at mb 1) otherwise streams U, 36 positions
 * of OC x IC x pieces, once per column, from L3 or memory. */
#define WG_KERNEL_COLS(name, NC)                                               \
    WG_KERNEL_ATTR static void name(int kg, const float *restrict u,           \
                                    const float *restrict v, size_t ldv,       \
                                    float *restrict m, size_t ldm, bool add)   \
    {                                                                          \
        float acc[NC][WG_CL] = {{0}};                                          \
        for (int k = 0; k < kg; k++) {                                         \
            const float *uk = u + (size_t)k * WG_MR;                           \
            __builtin_prefetch(uk + 384);                                      \
            for (int q = 0; q < NC; q++) {                                     \
                const float b = v[(size_t)k * ldv + q];                        \
                _Pragma("GCC unroll 1") for (int i = 0; i < WG_CL; i++)        \
                    acc[q][i] = fmaf(uk[i], b, acc[q][i]);                     \
            }                                                                  \
        }                                                                      \
        for (int q = 0; q < NC; q++)                                           \
            for (int i = 0; i < WG_MR; i++)                                    \
                m[(size_t)i * ldm + q] =                                       \
                    add ? m[(size_t)i * ldm + q] + acc[q][i] : acc[q][i];      \
    }
WG_KERNEL_COLS(kernel_col2, 2)
WG_KERNEL_COLS(kernel_col3, 3)
WG_KERNEL_COLS(kernel_col4, 4)

typedef void (*wg_kernel_fn)(int, const float *restrict, const float *restrict,
                             size_t, float *restrict, size_t, bool);
static const wg_kernel_fn kernel_cols[5] = {NULL, kernel_col, kernel_col2,
                                            kernel_col3, kernel_col4};

/* The same NC = 1 to 4 columns for two panels at once (u and u + upan,
 * rows 0 .. 2 WG_MR - 1 of m), each panel's sums in the order of the
 * one-panel kernel: one panel's NC chains (4 for one column) left the
 * FMA units waiting on their latency when a block has 4 tiles or fewer
 * (bwd_d of a 1x1 image, F(4,3): 4 tiles, kernel_col4 0.77 of 1.84 ms
 * with 1 thread). */
#define WG_KERNEL_COLS2(name, NC)                                              \
    WG_KERNEL_ATTR static void name(                                           \
        int kg, const float *restrict u, size_t upan, const float *restrict v, \
        size_t ldv, float *restrict m, size_t ldm, bool add)                   \
    {                                                                          \
        enum { NP = NC > 1 ? NC : 4 }; /* chains per panel */                  \
        float acc[2][NP][WG_CL] = {{{0}}};                                     \
        int k = 0;                                                             \
        if (NC == 1)                                                           \
            for (; k + 4 <= kg; k += 4)                                        \
                for (int q = 0; q < 4; q++)                                    \
                    for (int h = 0; h < 2; h++) {                              \
                        const float b = v[(size_t)(k + q) * ldv];              \
                        const float *uk =                                      \
                            u + h * upan + (size_t)(k + q) * WG_MR;            \
                        _Pragma("GCC unroll 1") for (int i = 0; i < WG_CL;     \
                                                     i++) acc[h][q][i] =       \
                            fmaf(uk[i], b, acc[h][q][i]);                      \
                    }                                                          \
        for (; k < kg; k++) {                                                  \
            __builtin_prefetch(u + (size_t)k * WG_MR + 384);                   \
            __builtin_prefetch(u + upan + (size_t)k * WG_MR + 384);            \
            for (int h = 0; h < 2; h++) {                                      \
                const float *uk = u + h * upan + (size_t)k * WG_MR;            \
                for (int q = 0; q < NC; q++) {                                 \
                    const float b = v[(size_t)k * ldv + q];                    \
                    _Pragma("GCC unroll 1") for (int i = 0; i < WG_CL; i++)    \
                        acc[h][q][i] = fmaf(uk[i], b, acc[h][q][i]);           \
                }                                                              \
            }                                                                  \
        }                                                                      \
        for (int h = 0; h < 2; h++)                                            \
            for (int q = 0; q < NC; q++)                                       \
                for (int i = 0; i < WG_MR; i++) {                              \
                    float *mi = m + (size_t)(h * WG_MR + i) * ldm + q;         \
                    const float s = NC == 1                                    \
                                        ? (acc[h][0][i] + acc[h][1][i]) +      \
                                              (acc[h][2][i] + acc[h][3][i])    \
                                        : acc[h][q][i];                        \
                    *mi = add ? *mi + s : s;                                   \
                }                                                              \
    }
WG_KERNEL_COLS2(kernel_col_2p, 1)
WG_KERNEL_COLS2(kernel_col2_2p, 2)
WG_KERNEL_COLS2(kernel_col3_2p, 3)
WG_KERNEL_COLS2(kernel_col4_2p, 4)

typedef void (*wg_kernel2_fn)(int, const float *restrict, size_t,
                              const float *restrict, size_t, float *restrict,
                              size_t, bool);
static const wg_kernel2_fn kernel_cols_2p[5] = {
    NULL, kernel_col_2p, kernel_col2_2p, kernel_col3_2p, kernel_col4_2p};

/* M[pos] = U[pos] . V[pos] for npan panels of rows and the nt columns
 * of a block (columns past nt up to a multiple of WG_VL may get junk),
 * over kr rows of V from v (V's positions kg x ld apart), or M += that
 * when add; U's positions are upos floats apart, its panels upan. */
static void gemm_block(const conv_plan *pl, const float *u, size_t upos,
                       size_t upan, int npan, int kr, const float *v, int nt,
                       float *m, bool add)
{
    const size_t ld = pl->ld;
    const size_t vpos = (size_t)pl->kg * ld;
    const size_t mpos = (size_t)npan * WG_MR * ld;
    const int rem = nt % WG_VL;
    const int wide =
        rem > 0 && rem <= 4 ? nt - rem : (int)up((size_t)nt, WG_VL);
    const int jt = wide / WG_NR * WG_NR; /* the tail: jt .. wide */
    for (int pos = 0; pos < pl->npos; pos++)
        for (int ip = 0; ip < npan; ip++) {
            const float *up_ = u + pos * upos + ip * upan;
            float *mp = m + pos * mpos + (size_t)ip * WG_MR * ld;
            const float *vp = v + pos * vpos;
            for (int j = 0; j < jt; j += WG_NR)
                kernel_wide(kr, up_, vp + j, ld, mp + j, ld, add);
            if (jt < wide && ip % 2 == 0 && ip + 1 < npan)
                kernel_tail2(kr, up_, upan, vp + jt, ld, mp + jt, ld, add);
            else if (jt < wide && ip % 2 == 0)
                kernel_tail(kr, up_, vp + jt, ld, mp + jt, ld, add);
            if (nt > wide && ip % 2 == 0 && ip + 1 < npan)
                kernel_cols_2p[nt - wide](kr, up_, upan, vp + wide, ld,
                                          mp + wide, ld, add);
            else if (nt > wide && ip % 2 == 0)
                kernel_cols[nt - wide](kr, up_, vp + wide, ld, mp + wide, ld,
                                       add);
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

/* An output whose sum has 1 to nfix products (IC/G small and the kernel
 * mostly over padding) gets it directly: there the cancellation (e.g.
 * F(2,3)'s y0 = x*g2 formed as -x*g0 + x*(g0+g1+g2)/2 + x*(g0-g1+g2)/2) is
 * not averaged over other products, and its error relative to |x*g2|
 * would be unbounded as g2 -> 0. One with no tap inside the input gets
 * the bias exactly: F(2,3) gives 0 + bias there anyway (each output's
 * positions see only its own taps), F(4,3) does not (Bt mixes the tile's
 * other inputs into every position and At's cancellation leaves rounding
 * noise). Weights are kept only when IC/G <= nfix, the only case in which
 * 1 to nfix products occur. */
static void fix_up(const conv_plan *pl, const float *x, int n, int o, int r,
                   int q0, int qstep, int cnt, float *ob)
{
    const conv_problem *p = &pl->p;
    const int g = o / pl->ocg, ch = pl->cnt[r] * pl->icg;
    for (int u = 0; u < cnt; u++) {
        const int q = q0 + u * qstep, tot = ch * pl->cnt[p->oh + q];
        if (tot > pl->nfix) continue;
        float acc = pl->b ? pl->b[o] : 0.0f;
        for (int c = 0; c < pl->icg; c++) {
            const float *xc =
                x +
                ((size_t)n * p->ic + (size_t)g * pl->icg + c) * p->ih * p->iw;
            for (int i = 0; i < p->kh; i++) {
                const int ih = r * p->sh - p->pt + i * p->dh;
                if (ih < 0 || ih >= p->ih) continue;
                for (int j = 0; j < p->kw; j++) {
                    const int iw = q * p->sw - p->pl + j * p->dw;
                    if (iw < 0 || iw >= p->iw) continue;
                    acc += xc[(size_t)ih * p->iw + iw] *
                           w_at(pl, pl->wsrc, g, o - g * pl->ocg, c, i, j);
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
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t ld = pl->ld, mpos = (size_t)npan * WG_MR * ld;
    const size_t ldz = pl->ld; /* z[i][sw][l], then ob */
    float *restrict ob = z + (size_t)(ah->m * aw->alpha) * ldz;
    const int ahph = ah->nph, awph = aw->nph;
    for (int ol = 0; ol < nrow; ol++) {
        const int o = g * pl->ocg + o0 + ol;
        const float bias = pl->b ? pl->b[o] : 0.0f;
        const float *mo = m + (size_t)ol * ld;
        /* The next row's M, alpha^2 runs a block of M apart (L3 when the
         * block is large): at_rows_f4 waited on them, 10% of VGG-19
         * conv2_2's samples at mb 1 with 1 thread, 6.5% with this. */
        for (int pos = 0; ol + 1 < nrow && pos < pl->npos; pos++)
            for (int j = 0; j < nt; j += 16)
                __builtin_prefetch(mo + ld + pos * mpos + j);
        for (int lt = 0; lt < nt; lt += WG_GROUP) {
            const int len = nt - lt < WG_GROUP ? nt - lt : WG_GROUP;
            const int lanes = (int)up((size_t)len, WG_VL);
            /* z[i][sw]: At along h of column position sw, i < m_h. */
            for (int sw = 0; sw < aw->alpha; sw++)
                ah->k->at_rows(mo + (size_t)sw * mpos + lt,
                               (size_t)aw->alpha * mpos, lanes,
                               z + (size_t)sw * ldz, (size_t)aw->alpha * ldz);
            for (int i = 0; i < ah->m; i++) {
                aw->k->at_cols(z + (size_t)(i * aw->alpha) * ldz, ldz, lanes,
                               bias, ob);
                /* The group's parts: one per tile row. */
                wg_seg s = {0, 0, 0, 0, lt};
                while (next_seg(sb, t0, lt + len, &s)) {
                    const int vr = ah->m * s.th + i;
                    if (vr >= sb->mh) continue;
                    float *restrict os = ob + aw->m * (s.lt - lt);
                    const int c0 = aw->m * s.tw0, r = sb->ah + vr * ahph;
                    int cnt = aw->m * s.len;
                    if (cnt > sb->mw - c0) cnt = sb->mw - c0;
                    if (pl->cnt[r] * pl->icg <= pl->nfix || pl->zcol)
                        fix_up(pl, x, s.n, o, r, sb->aw + c0 * awph, awph, cnt,
                               os);
                    float *restrict yr = y + pl->y0 + (size_t)s.n * pl->yn +
                                         (size_t)o * pl->yc +
                                         (size_t)r * pl->yr +
                                         (sb->aw + (size_t)c0 * awph) * pl->yq;
                    /* Not a conditional store per lane: GCC 12 tuned for
                     * Zen 3 makes those compare-and-branch, not masked. */
                    if (awph * pl->yq == 1)
                        memcpy(yr, os, (size_t)cnt * sizeof *yr);
                    else
                        for (int u = 0; u < cnt; u++)
                            yr[(size_t)u * awph * pl->yq] = os[u];
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
    for (int k = 0; pl->phd && k < pl->nphd; k++) wg_destroy(pl->phd[k].e);
    free(pl->phd);
    free(pl->sub);
    if (!pl->shared) {
        free(pl->u);
        free(pl->scratch);
    }
    free(pl->b);
    free(pl->cnt);
    free(pl->w);
    free(pl->mw);
    free(pl->nprod);
    free(pl->dfirst);
    free(pl->dprod);
    free(pl);
}

static void *alloc_floats(size_t n)
{
    return aligned_alloc(64, up(n * sizeof(float), 64));
}

/* The path, e.g. "f2x3+polyphase2x2"; bwd_w names the weight-update
 * transform, F(3, m) per axis ("f3x2" for F(3x3, 2x2)). */
static void name_impl(conv_plan *pl)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const wg_kind *k = ah->m > 1 ? ah->k : aw->k;
    const char *sfx = ah->m > 1 && aw->m > 1 ? ""
                      : aw->m > 1            ? "_w"
                      : ah->m > 1            ? "_h"
                                             : "";
    const bool wu = pl->dir == CONV_DIR_BWD_W || pl->dir == CONV_DIR_BWD_WB;
    size_t n = (size_t)snprintf(pl->impl, sizeof pl->impl, "%s%s",
                                wu ? k->wname : k->name, sfx);
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

/* The plan, its phases, axes and per-output tap counts. */
static size_t small_bytes(const conv_plan *pl)
{
    return sizeof *pl + pl->nsub * sizeof *pl->sub +
           (size_t)(pl->p.oh + pl->p.ow) * sizeof(int) +
           (size_t)(pl->ax[0].nterm + pl->ax[1].nterm) * 4 * sizeof(int);
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
    /* Scratch per thread: V, M, 2 x alpha_h row buffers, z (m_h x alpha_w
     * rows) and ob (m_w rows). */
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    /* Rows a whole number of cache lines apart: with WG_VL 8, tb + WG_VL
     * alone would make half the kernels' vector loads split a line. A
     * block of one vector of tiles gets rows of one vector: its column
     * kernels read one V row per step of the reduction, and with 32-float
     * rows V of one position no longer stayed in L1 beside two panels of U
     * (bwd_d, 1x1 image, F(4,3), 4 tiles: 1.6 -> 1.2 ms with 1 thread). */
    pl->ld = tb <= WG_VL ? up(tb, 16) : up(tb + WG_VL, 16);
    pl->ldr = (size_t)aw->m * pl->ld;
    pl->nrb = (size_t)2 * ah->alpha * pl->ldr;
    pl->per_thr = (size_t)pl->npos * (pl->kg + pl->crow) * pl->ld + pl->nrb +
                  (size_t)(ah->m * aw->alpha + aw->m) * pl->ld;
    const size_t usz = (size_t)p->g * pl->npos * pl->ocp * pl->kg;
    const size_t wsz =
        pl->icg <= pl->nfix ? (size_t)p->oc * pl->icg * p->kh * p->kw : 0;
    /* For a bwd_d phase's engine, which holds only its geometry (U and
     * scratch are the bwd_d plan's, the weights the caller's), this is
     * what it would need alone: wg_tiles fits that under the cap. */
    return small_bytes(pl) +
           (usz + WG_VL + wsz + (p->bias ? (size_t)p->oc : 0) +
            pl->per_thr * pl->nthr) *
               sizeof(float);
}

/* The engine's geometry for p: axes, output phases and their tile grids,
 * taps inside the input per output row and column; weights and y in the
 * forward's layout (bwd_d's phases change both). */
static conv_status wg_geometry(conv_plan *pl, const conv_problem *p,
                               const conv_ctx *ctx, const wg_kind *big)
{
    pl->p = *p;
    pl->hook = ctx->phase_hook;
    if (axis_init(&pl->ax[0], p->kh, p->sh, p->dh, big) != CONV_OK ||
        axis_init(&pl->ax[1], p->kw, p->sw, p->dw, big) != CONV_OK)
        return CONV_NOMEM;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    pl->nthr = ctx->threads > 0 ? ctx->threads : omp_get_max_threads();
    pl->nfix = big->nfix;
    pl->npos = ah->alpha * aw->alpha;
    pl->nterm = ah->nterm * aw->nterm;
    pl->icg = p->ic / p->g;
    pl->ocg = p->oc / p->g;
    pl->kg = pl->nterm * pl->icg;
    pl->ocp = (int)up((size_t)pl->ocg, WG_MR);
    pl->nsub = ah->nph * aw->nph;
    pl->sub = calloc((size_t)pl->nsub, sizeof *pl->sub);
    pl->cnt = malloc((size_t)(p->oh + p->ow) * sizeof *pl->cnt);
    if (!pl->sub || !pl->cnt) return CONV_NOMEM;
    for (int i = 0; i < pl->nsub; i++) {
        wg_sub *sb = &pl->sub[i];
        sb->ah = i / aw->nph;
        sb->aw = i % aw->nph;
        sb->mh = sb->ah < p->oh ? (p->oh - sb->ah + ah->nph - 1) / ah->nph : 0;
        sb->mw = sb->aw < p->ow ? (p->ow - sb->aw + aw->nph - 1) / aw->nph : 0;
        sb->th = (sb->mh + ah->m - 1) / ah->m;
        sb->tw = (sb->mw + aw->m - 1) / aw->m;
    }
    for (int a = 0; a < 2; a++)
        for (int k = 0; k < pl->ax[a].alpha; k++)
            for (int i = 0; i < pl->ax[a].r; i++)
                pl->gf[a][k][i] = (float)pl->ax[a].k->g[k][i];
    const ptrdiff_t khw = (ptrdiff_t)p->kh * p->kw;
    pl->w0 = 0;
    pl->wg = (ptrdiff_t)pl->ocg * pl->icg * khw;
    pl->wo = pl->icg * khw;
    pl->wc = khw;
    pl->wi = p->kw;
    pl->wj = 1;
    pl->y0 = 0;
    pl->yn = (size_t)p->oc * p->oh * p->ow;
    pl->yc = (size_t)p->oh * p->ow;
    pl->yr = (size_t)p->ow;
    pl->yq = 1;
    for (int r = 0; r < p->oh; r++)
        pl->cnt[r] = taps_inside(r, p->sh, p->pt, p->dh, p->kh, p->ih);
    for (int q = 0; q < p->ow; q++) {
        pl->cnt[p->oh + q] = taps_inside(q, p->sw, p->pl, p->dw, p->kw, p->iw);
        pl->zcol |= pl->cnt[p->oh + q] == 0;
    }
    name_impl(pl);
    return CONV_OK;
}

/* Tiles per block of the forward engine (see WG_L2_BUDGET), then no more
 * than every thread's share even below the floor: slicing OC instead
 * repeats the input transform, which costs more than passes of U (2
 * threads, res3a mb 1: 0.60 ms as 2 blocks, 0.74 ms as 1 block in 2
 * slices; res5a mb 8: 4.2-4.7 ms as 2 blocks, 5.3-5.6 ms as 1), unless
 * that share is below WG_FEW tiles and U over the budget. Then less, down
 * to WG_VL, while the plan is over the workspace cap. */
static void wg_tiles(conv_plan *pl, size_t cap)
{
    const conv_problem *p = &pl->p;
    long tmax = 0;
    for (int i = 0; i < pl->nsub; i++) {
        const long t = (long)p->n * pl->sub[i].th * pl->sub[i].tw;
        tmax = t > tmax ? t : tmax;
    }
    const size_t per_tile =
        (size_t)pl->npos * (pl->kg + pl->ocp) * sizeof(float);
    const size_t ubytes = (size_t)pl->npos * pl->ocp * pl->kg * sizeof(float);
    const size_t floor_tb = ubytes > WG_L2_BUDGET ? WG_TB_UHEAVY : WG_VL;
    size_t tb = WG_L2_BUDGET / per_tile / WG_VL * WG_VL;
    if (tb < floor_tb) tb = floor_tb;
    size_t fair = up((size_t)(tmax + pl->nthr - 1) / pl->nthr, WG_VL);
    if (tb > fair && (ubytes <= WG_L2_BUDGET || fair >= WG_FEW)) tb = fair;
    if (tb > up((size_t)tmax, WG_VL)) tb = up((size_t)tmax, WG_VL);
    if (tb > WG_MAX_TB) tb = WG_MAX_TB;
    if (tb < WG_VL) tb = WG_VL;
    pl->bytes = size_blocks(pl, tb);
    while (pl->bytes > cap && tb > WG_VL) {
        tb = tb / 2 / WG_VL * WG_VL;
        if (tb < WG_VL) tb = WG_VL;
        pl->bytes = size_blocks(pl, tb);
    }
}

static conv_status wg_plan(const conv_problem *p, const float *w,
                           const float *b, const conv_ctx *ctx,
                           const wg_kind *big, conv_plan **out)
{
    conv_status st = CONV_NOMEM;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl) goto nomem;
    pl->dir = CONV_DIR_FWD;
    if (wg_geometry(pl, p, ctx, big) != CONV_OK) goto nomem;
    wg_tiles(pl, ctx->workspace_cap);
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
        pl->icg <= pl->nfix ? (size_t)p->oc * pl->icg * p->kh * p->kw : 0;
    pl->u = alloc_floats(usz + WG_VL);
    pl->scratch = alloc_floats(pl->per_thr * pl->nthr);
    pl->b = p->bias ? malloc((size_t)p->oc * sizeof *pl->b) : NULL;
    pl->w = wsz ? malloc(wsz * sizeof *pl->w) : NULL;
    if (!pl->u || !pl->scratch || (p->bias && !pl->b) || (wsz && !pl->w))
        goto nomem;
    /* Zero: U's padding rows, and scratch that junk lanes read first. */
    memset(pl->u, 0, (usz + WG_VL) * sizeof *pl->u);
    memset(pl->scratch, 0, pl->per_thr * pl->nthr * sizeof *pl->scratch);
    for (int o = 0; p->bias && o < p->oc; o++) pl->b[o] = b[o];
    if (wsz) memcpy(pl->w, w, wsz * sizeof *w);
    pl->wsrc = pl->w;
    weight_transform(pl, w);
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

/* Channels per u_piece pass: its gathered taps and the rows of G applied
 * along h (12 x WG_WC x WG_MR floats, 18 KB with WG_MR 12) stay in L1. */
#define WG_WC 32
/* Channels per chunk of fused bwd_d (see run_items). */
#define WG_KC 32
static const size_t wg_wt_floats = (size_t)12 * WG_WC * WG_MR;

/* dst[l * ldd + c] = src[c * lds + l] for c, l < 8 (bwd_w's packing and
 * dw, bwd_d's gather of taps): bwd_w's transforms run along tiles, its
 * products want tiles as rows. Scalar stores, one per element each to
 * its own cache line, took half the time of the transforms at ResNet-50
 * res2a; GCC does not vectorise a transpose by itself, hence the
 * shuffles (vunpck, vshufps, vperm2f128 on AVX2). */
typedef float wg_v8 __attribute__((vector_size(32)));
typedef int wg_v8i __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) void
tr8(const float *src, size_t lds, float *dst, ptrdiff_t ldd)
{
    wg_v8 r[8], t[8], u[8];
    for (int i = 0; i < 8; i++) memcpy(&r[i], src + i * lds, sizeof r[i]);
    for (int i = 0; i < 8; i += 2) {
        t[i] = __builtin_shuffle(r[i], r[i + 1],
                                 (wg_v8i){0, 8, 1, 9, 4, 12, 5, 13});
        t[i + 1] = __builtin_shuffle(r[i], r[i + 1],
                                     (wg_v8i){2, 10, 3, 11, 6, 14, 7, 15});
    }
    for (int i = 0; i < 8; i += 4)
        for (int k = 0; k < 2; k++) {
            u[i + 2 * k] = __builtin_shuffle(
                t[i + k], t[i + k + 2], (wg_v8i){0, 1, 8, 9, 4, 5, 12, 13});
            u[i + 2 * k + 1] = __builtin_shuffle(
                t[i + k], t[i + k + 2], (wg_v8i){2, 3, 10, 11, 6, 7, 14, 15});
        }
    for (int k = 0; k < 4; k++) {
        const wg_v8 lo = __builtin_shuffle(u[k], u[k + 4],
                                           (wg_v8i){0, 1, 2, 3, 8, 9, 10, 11});
        const wg_v8 hi = __builtin_shuffle(
            u[k], u[k + 4], (wg_v8i){4, 5, 6, 7, 12, 13, 14, 15});
        memcpy(dst + k * ldd, &lo, sizeof lo);
        memcpy(dst + (k + 4) * ldd, &hi, sizeof hi);
    }
}

/* The same for c, l < 4. */
typedef float wg_v4 __attribute__((vector_size(16)));
typedef int wg_v4i __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) void
tr4(const float *src, size_t lds, float *dst, ptrdiff_t ldd)
{
    wg_v4 r[4], t[4];
    for (int i = 0; i < 4; i++) memcpy(&r[i], src + i * lds, sizeof r[i]);
    for (int i = 0; i < 4; i += 2) {
        t[i] = __builtin_shuffle(r[i], r[i + 1], (wg_v4i){0, 4, 1, 5});
        t[i + 1] = __builtin_shuffle(r[i], r[i + 1], (wg_v4i){2, 6, 3, 7});
    }
    for (int k = 0; k < 2; k++) {
        const wg_v4 lo =
            __builtin_shuffle(t[k], t[k + 2], (wg_v4i){0, 1, 4, 5});
        const wg_v4 hi =
            __builtin_shuffle(t[k], t[k + 2], (wg_v4i){2, 3, 6, 7});
        memcpy(dst + (2 * k) * ldd, &lo, sizeof lo);
        memcpy(dst + (2 * k + 1) * ldd, &hi, sizeof hi);
    }
}

/* u_piece's gather when a row's 9 taps are one descending run (bwd_d's
 * rotated 3x3 kernel: tap k at blk[r * ls + 8 - k]): q[k * lq + r] for r
 * < nrow by transposes, tap 8 - e from element e (8 rows: elements 0-7
 * and 1-8; 4 rows: 0-3, 4-7, 5-8). One scalar load and store per tap
 * took a third of bwd_d's time on SSD-ResNet34's 1x1 and 3x3 layers. */
static void gather_run9(const float *blk, size_t ls, int nrow, float *q,
                        size_t lq)
{
    const ptrdiff_t back = -(ptrdiff_t)lq;
    int r = 0;
    for (; r + 8 <= nrow; r += 8) {
        tr8(blk + r * ls, ls, q + 8 * lq + r, back);
        tr8(blk + r * ls + 1, ls, q + 7 * lq + r, back);
    }
    for (; r + 4 <= nrow; r += 4) {
        tr4(blk + r * ls, ls, q + 8 * lq + r, back);
        tr4(blk + r * ls + 4, ls, q + 4 * lq + r, back);
        tr4(blk + r * ls + 5, ls, q + 3 * lq + r, back);
    }
    for (; r < nrow; r++)
        for (int e = 0; e < 9; e++) q[(8 - e) * lq + r] = blk[r * ls + e];
}

/* U = G g Gt of nl lanes (q: tap k at q + k * lq, readable up to nl
 * rounded up to WG_VL), both axes 3 taps and alpha A, into d + pos *
 * dpos: per WG_VL lanes, 9 taps in, 3 x A and A x A values in vector
 * registers out (two passes through buffers, t = G g then U, loaded and
 * stored 3 floats per output; as a plain loop over lanes GCC kept it
 * scalar, the 36 rows of d being one pointer). G's first and last rows
 * are (1, 0, 0) and (0, 0, 1) in both kinds (points 0 and inf): copies,
 * not sums with zeros (the same values but for the sign of a zero). */
typedef float wg_vf __attribute__((vector_size(WG_VL * sizeof(float))));
/* Unaligned loads and stores of it (memcpy into a wg_vf became two
 * 32-byte stores and a 64-byte reload on the stack: a failed store
 * forward, half of u_tf's time). */
typedef float wg_vfu
    __attribute__((vector_size(WG_VL * sizeof(float)), aligned(4), may_alias));

static inline __attribute__((always_inline)) void
u_tf(const int A, const float (*gh)[3], const float (*gw)[3],
     const float *restrict q, size_t lq, int nl, float *restrict d, size_t dpos)
{
    float ch[6][3], cw[6][3];
    memcpy(ch, gh, sizeof ch);
    memcpy(cw, gw, sizeof cw);
    for (int l = 0; l < nl; l += WG_VL) {
        /* the last chunk stores only its lanes */
        const size_t nb = (size_t)(nl - l < WG_VL ? nl - l : WG_VL) * 4;
        wg_vf gv[9], t[6][3];
        for (int k = 0; k < 9; k++) gv[k] = *(const wg_vfu *)(q + k * lq + l);
        for (int j = 0; j < 3; j++) {
            t[0][j] = gv[j];
            t[A - 1][j] = gv[6 + j];
            for (int a = 1; a < A - 1; a++)
                t[a][j] = (ch[a][0] * gv[j] + ch[a][1] * gv[3 + j]) +
                          ch[a][2] * gv[6 + j];
        }
        for (int a = 0; a < A; a++)
            for (int b = 0; b < A; b++) {
                const wg_vf u =
                    b == 0       ? t[a][0]
                    : b == A - 1 ? t[a][2]
                                 : (cw[b][0] * t[a][0] + cw[b][1] * t[a][1]) +
                                       cw[b][2] * t[a][2];
                float *da = d + (size_t)(a * A + b) * dpos + l;
                if (nb == sizeof u)
                    *(wg_vfu *)da = u;
                else
                    memcpy(da, &u, nb);
            }
    }
}

WG_KERNEL_ATTR static void u_tf4(const float (*gh)[3], const float (*gw)[3],
                                 const float *restrict q, size_t lq, int nl,
                                 float *restrict d, size_t dpos)
{
    u_tf(4, gh, gw, q, lq, nl, d, dpos);
}

WG_KERNEL_ATTR static void u_tf6(const float (*gh)[3], const float (*gw)[3],
                                 const float *restrict q, size_t lq, int nl,
                                 float *restrict d, size_t dpos)
{
    u_tf(6, gh, gw, q, lq, nl, d, dpos);
}

/* bwd_d's U = G g Gt, in execute (weights change every step) and in
 * float, of panel ip (WG_MR rows) and piece tm of group g, into dst +
 * pos * dpos + (tm * IC/G + c) * WG_MR + row. Lanes are (c, row), the
 * order U stores them in, so every loop runs over contiguous lanes of one
 * position. A row's taps are read together: for bwd_d's rotated,
 * transposed kernel they are one run of KH x KW floats, and the gather
 * took a third of bwd_d at ResNet-50 res5a tap by tap. Those runs lie a
 * channel of w apart (18 KB at res5a), which the hardware prefetcher
 * does not follow: without the prefetch below the loads waited on memory
 * for two thirds of u_piece's samples there. */
WG_KERNEL_ATTR static void u_piece(const conv_plan *pl, const float *w, int g,
                                   int ip, int tm, int clo, int chi, float *dst,
                                   size_t dpos, float *tmp)
{
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const int rh = ah->r, rw = aw->r, ntap = rh * rw;
    const int th = tm / aw->nterm, tw = tm % aw->nterm;
    const size_t lmax = (size_t)WG_WC * WG_MR;
    const int nr = pl->ocg - ip * WG_MR < WG_MR ? pl->ocg - ip * WG_MR : WG_MR;
    float *gq = tmp, *t = tmp + 9 * lmax;
    ptrdiff_t toff[9];
    bool tok[9];
    for (int k = 0; k < ntap; k++) {
        const int ki = ah->tap[th * rh + k / rw],
                  kj = aw->tap[tw * rw + k % rw];
        tok[k] = ki >= 0 && kj >= 0;
        toff[k] = tok[k] ? ki * pl->wi + kj * pl->wj : 0;
    }
    bool run = ntap == 9 && pl->wo > 0;
    ptrdiff_t lo = 0, hi = 0; /* the taps' span in a row */
    for (int k = 0; k < ntap; k++) {
        run &= tok[k] && toff[k] == toff[ntap - 1] + (ntap - 1 - k);
        lo = toff[k] < lo ? toff[k] : lo;
        hi = toff[k] > hi ? toff[k] : hi;
    }
    /* The panel's weights of one channel: rows wo apart. */
    const ptrdiff_t span = (nr - 1) * (pl->wo > 0 ? pl->wo : -pl->wo) + hi - lo;
    const ptrdiff_t first = pl->wo > 0 ? lo : lo + (nr - 1) * pl->wo;
    for (int c0 = clo; c0 < chi; c0 += WG_WC) {
        const int nc = chi - c0 < WG_WC ? chi - c0 : WG_WC;
        const int nl = nc * WG_MR;
        for (int c = 0; c < nc; c++) {
            const float *src = w + pl->w0 + g * pl->wg +
                               (ptrdiff_t)ip * WG_MR * pl->wo +
                               (c0 + c) * pl->wc;
            /* 8 channels on, every line of them once, only inside w (a
             * prefetch does not fault, but the pointer must stay within
             * the object) */
            if (c0 + c + 8 < pl->icg)
                for (ptrdiff_t e = 0; e <= span + 15; e += 16)
                    __builtin_prefetch(src + 8 * pl->wc + first +
                                       (e < span ? e : span));
            if (run) {
                gather_run9(src + toff[8], (size_t)pl->wo, nr, gq + c * WG_MR,
                            lmax);
                for (int k = 0; k < 9; k++)
                    for (int r = nr; r < WG_MR; r++)
                        gq[k * lmax + c * WG_MR + r] = 0.0f;
                continue;
            }
            for (int k = 0; k < ntap; k++) {
                float *restrict q = gq + k * lmax + c * WG_MR;
                const float *sk = src + toff[k];
                if (tok[k] && nr == WG_MR)
                    for (int r = 0; r < WG_MR; r++) q[r] = sk[r * pl->wo];
                else
                    for (int r = 0; r < WG_MR; r++)
                        q[r] = tok[k] && r < nr ? sk[r * pl->wo] : 0.0f;
            }
        }
        if (rh == 3 && rw == 3 && ah->alpha == aw->alpha &&
            (ah->alpha == 4 || ah->alpha == 6)) {
            float *d = dst + (size_t)(c0 - clo) * WG_MR;
            (ah->alpha == 4 ? u_tf4 : u_tf6)(pl->gf[0], pl->gf[1], gq, lmax, nl,
                                             d, dpos);
            continue;
        }
        for (int a = 0; a < ah->alpha; a++) {
            /* t[j] = sum_i G_h[a][i] g[i][j] */
            for (int j = 0; j < rw; j++) {
                float *restrict tj = t + (size_t)j * lmax;
                const float *restrict q0 = gq + (size_t)j * lmax;
                const float c0f = pl->gf[0][a][0];
                if (rh == 1)
                    for (int l = 0; l < nl; l++) tj[l] = c0f * q0[l];
                else {
                    const float *restrict q1 = q0 + (size_t)rw * lmax,
                                          *restrict q2 = q1 + (size_t)rw * lmax;
                    const float c1f = pl->gf[0][a][1], c2f = pl->gf[0][a][2];
                    for (int l = 0; l < nl; l++)
                        tj[l] = (c0f * q0[l] + c1f * q1[l]) + c2f * q2[l];
                }
            }
            /* U[a][b] = sum_j t[j] G_w[b][j] */
            for (int b = 0; b < aw->alpha; b++) {
                float *restrict d = dst + (size_t)(a * aw->alpha + b) * dpos +
                                    (size_t)(c0 - clo) * WG_MR;
                const float *restrict t0 = t;
                const float c0f = pl->gf[1][b][0];
                if (rw == 1)
                    for (int l = 0; l < nl; l++) d[l] = c0f * t0[l];
                else {
                    const float *restrict t1 = t0 + lmax, *restrict t2 =
                                                              t1 + lmax;
                    const float c1f = pl->gf[1][b][1], c2f = pl->gf[1][b][2];
                    for (int l = 0; l < nl; l++)
                        d[l] = (c0f * t0[l] + c1f * t1[l]) + c2f * t2[l];
                }
            }
        }
    }
}

/* The engine's work items (blocks x groups x OC slices) of the calling
 * thread (inside a parallel region, without the closing barrier); scr is
 * its scratch. */
static void run_items(const conv_plan *pl, const float *x, float *y, int tid,
                      float *scr)
{
    const conv_problem *p = &pl->p;
    float *v = scr;
    float *m = v + (size_t)pl->npos * pl->kg * pl->ld;
    float *rb = m + (size_t)pl->npos * pl->crow * pl->ld;
    float *z = rb + pl->nrb;
    long have = -1; /* block whose V is in v */
#pragma omp for schedule(dynamic, 1) nowait
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
            conv_phase_mark(pl->hook, tid, WG_INPUT);
            input_block(pl, sb, g, t0, nt, x, v, rb);
            have = key;
        }
        if (pl->fuse) {
            /* Scratch past z: U of two panels and WG_KC channels,
             * u_piece's buffer. Per chunk of channels its U, then its
             * products added into M: U of all channels (1.1-1.7 MB for
             * SSD-ResNet34's 1x1 and 5x5 layers) went through L3. */
            float *ub =
                z +
                (size_t)(pl->ax[0].m * pl->ax[1].alpha + pl->ax[1].m) * pl->ld;
            float *wt =
                ub + up((size_t)pl->npos * 2 * WG_MR * WG_KC + WG_VL, 16);
            for (int ip = 0; ip < npan; ip += 2) {
                const int np2 = npan - ip < 2 ? npan - ip : 2;
                const int r0 = ip * WG_MR;
                for (int tm = 0; tm < pl->nterm; tm++)
                    for (int c0 = 0; c0 < pl->icg; c0 += WG_KC) {
                        const int nc =
                            pl->icg - c0 < WG_KC ? pl->icg - c0 : WG_KC;
                        const size_t upan = (size_t)nc * WG_MR;
                        conv_phase_mark(pl->hook, tid, WG_WEIGHTS);
                        for (int q = 0; q < np2; q++)
                            u_piece(pl, pl->wsrc, g, (o0 + r0) / WG_MR + q, tm,
                                    c0, c0 + nc, ub + q * upan, np2 * upan, wt);
                        conv_phase_mark(pl->hook, tid, WG_PRODUCT);
                        gemm_block(pl, ub, np2 * upan, upan, np2, nc,
                                   v + ((size_t)tm * pl->icg + c0) * pl->ld, nt,
                                   m, tm > 0 || c0 > 0);
                    }
                conv_phase_mark(pl->hook, tid, WG_OUTPUT);
                output_block(pl, sb, g, t0, nt, o0 + r0,
                             nrow - r0 < np2 * WG_MR ? nrow - r0 : np2 * WG_MR,
                             np2, m, x, y, z);
            }
            continue;
        }
        const float *u = pl->u + (size_t)g * pl->npos * pl->ocp * pl->kg +
                         (size_t)o0 * pl->kg;
        conv_phase_mark(pl->hook, tid, WG_PRODUCT);
        gemm_block(pl, u, (size_t)pl->ocp * pl->kg, (size_t)pl->kg * WG_MR,
                   npan, pl->kg, v, nt, m, false);
        conv_phase_mark(pl->hook, tid, WG_OUTPUT);
        output_block(pl, sb, g, t0, nt, o0, nrow, npan, m, x, y, z);
    }
}

static conv_status wg_execute(conv_plan *pl, const float *x, float *y)
{
#pragma omp parallel num_threads(pl->nthr)
    {
        const int tid = omp_get_thread_num();
        run_items(pl, x, y, tid, pl->scratch + (size_t)tid * pl->per_thr);
        conv_phase_mark(pl->hook, tid, CONV_PHASE_END);
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

static conv_status wg_plan_f2(const conv_problem *p, const float *w,
                              const float *b, const conv_ctx *ctx,
                              conv_plan **out)
{
    return wg_plan(p, w, b, ctx, &wg_f2, out);
}

static conv_status wg_plan_f4(const conv_problem *p, const float *w,
                              const float *b, const conv_ctx *ctx,
                              conv_plan **out)
{
    return wg_plan(p, w, b, ctx, &wg_f4, out);
}

/* ---- bwd_d ------------------------------------------------------------ */

/* bwd_d along one axis for the dx positions ph + s*t, t < out: the taps i
 * with s | (ph + pad - i*d) reach them, every st-th (st = s / gcd(s, d))
 * up to the last, and tap i of position t reads dy at t + (ph + pad -
 * i*d) / s. So the phase is a stride-1 correlation over dy with those taps
 * reversed (tap i' = last - i'*st), dilation d / gcd(s, d) and padding
 * -(ph + pad - last*d) / s before. */
typedef struct wg_dax {
    int out, taps, last, st, dil, pad;
} wg_dax;

static void d_axis(int in, int k, int s, int d, int pad, int ph, wg_dax *r)
{
    const int g = gcd(s, d);
    r->out = ph < in ? (in - ph + s - 1) / s : 0;
    r->st = s / g;
    r->dil = d / g;
    r->taps = 0;
    r->last = -1;
    r->pad = 0;
    for (int i = 0; i < k; i++)
        if ((ph + pad - i * d) % s == 0) {
            r->taps++;
            r->last = i;
        }
    if (r->taps) r->pad = -((ph + pad - r->last * d) / s);
}

static conv_status wg_plan_d(const conv_problem *p, const conv_ctx *ctx,
                             const wg_kind *big, conv_plan **out)
{
    conv_status st = CONV_NOMEM;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl) goto nomem;
    pl->dir = CONV_DIR_BWD_D;
    pl->p = *p;
    pl->hook = ctx->phase_hook;
    pl->nthr = ctx->threads > 0 ? ctx->threads : omp_get_max_threads();
    pl->phd = calloc((size_t)p->sh * p->sw, sizeof *pl->phd);
    if (!pl->phd) goto nomem;
    size_t usz = 0,
           small = sizeof *pl + (size_t)p->sh * p->sw * sizeof *pl->phd;
    int best = -1, most = 0;
    pl->per_thr = wg_wt_floats;
    for (int ph = 0; ph < p->sh; ph++)
        for (int pw = 0; pw < p->sw; pw++) {
            wg_dax dh, dw;
            d_axis(p->ih, p->kh, p->sh, p->dh, p->pt, ph, &dh);
            d_axis(p->iw, p->kw, p->sw, p->dw, p->pl, pw, &dw);
            if (!dh.out || !dw.out) continue; /* no dx positions */
            wg_dphase *d = &pl->phd[pl->nphd++];
            d->ph = ph;
            d->pw = pw;
            if (!dh.taps || !dw.taps) continue; /* zeros */
            /* The phase as a forward problem: dy in, dx's phase out, the
             * kernel reversed with IC and OC swapped per group. */
            conv_problem q = *p;
            q.ic = p->oc;
            q.oc = p->ic;
            q.ih = p->oh;
            q.iw = p->ow;
            q.oh = dh.out;
            q.ow = dw.out;
            q.kh = dh.taps;
            q.kw = dw.taps;
            q.sh = q.sw = 1;
            q.dh = dh.dil;
            q.dw = dw.dil;
            q.pt = dh.pad;
            q.pl = dw.pad;
            q.pb = q.oh + q.dh * (q.kh - 1) - q.ih - q.pt;
            q.pr = q.ow + q.dw * (q.kw - 1) - q.iw - q.pl;
            q.bias = false;
            conv_plan *e = d->e = calloc(1, sizeof *e);
            if (!e) goto nomem;
            e->dir = CONV_DIR_BWD_D;
            e->shared = true;
            if (wg_geometry(e, &q, ctx, big) != CONV_OK) goto nomem;
            const ptrdiff_t khw = (ptrdiff_t)p->kh * p->kw;
            e->w0 = (ptrdiff_t)dh.last * p->kw + dw.last;
            e->wg = (ptrdiff_t)(p->oc / p->g) * (p->ic / p->g) * khw;
            e->wo = khw;
            e->wc = (ptrdiff_t)(p->ic / p->g) * khw;
            e->wi = -(ptrdiff_t)dh.st * p->kw;
            e->wj = -(ptrdiff_t)dw.st;
            e->y0 = (size_t)ph * p->iw + pw;
            e->yn = (size_t)p->ic * p->ih * p->iw;
            e->yc = (size_t)p->ih * p->iw;
            e->yr = (size_t)p->sh * p->iw;
            e->yq = (size_t)p->sw;
            wg_tiles(e, ctx->workspace_cap);
            e->bytes = small_bytes(e);
            small += e->bytes;
            e->fuse = e->nsub == 1 && e->sub[0].nblk <= 1;
            if (e->fuse)
                e->per_thr +=
                    up((size_t)e->npos * 2 * WG_MR * WG_KC + WG_VL, 16) +
                    wg_wt_floats;
            const size_t eu =
                e->fuse ? 0 : (size_t)q.g * e->npos * e->ocp * e->kg;
            usz = eu > usz ? eu : usz;
            pl->per_thr = e->per_thr > pl->per_thr ? e->per_thr : pl->per_thr;
            if (q.kh * q.kw > most) most = q.kh * q.kw, best = pl->nphd - 1;
        }
    pl->bytes = small + (usz + WG_VL + pl->per_thr * pl->nthr) * sizeof(float);
    if (pl->bytes > ctx->workspace_cap) {
        st =
            conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "needs %zu bytes (transformed weights %zu, scratch %zu "
                     "per thread x %d), cap %zu",
                     pl->bytes, usz * sizeof(float),
                     pl->per_thr * sizeof(float), pl->nthr, ctx->workspace_cap);
        goto cleanup;
    }
    pl->u = alloc_floats(usz + WG_VL);
    pl->scratch = alloc_floats(pl->per_thr * pl->nthr);
    if (!pl->u || !pl->scratch) goto nomem;
    memset(pl->u, 0, (usz + WG_VL) * sizeof *pl->u);
    memset(pl->scratch, 0, pl->per_thr * pl->nthr * sizeof *pl->scratch);
    for (int k = 0; k < pl->nphd; k++)
        if (pl->phd[k].e) {
            pl->phd[k].e->u = pl->u;
            pl->phd[k].e->scratch = pl->scratch;
        }
    if (best < 0)
        snprintf(pl->impl, sizeof pl->impl, "zero");
    else if (p->sh > 1 || p->sw > 1)
        snprintf(pl->impl, sizeof pl->impl, "%.70s+polyphase%dx%d",
                 pl->phd[best].e->impl, p->sh, p->sw);
    else
        snprintf(pl->impl, sizeof pl->impl, "%s", pl->phd[best].e->impl);
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

/* dx = the phases of dx, each one forward engine over dy with U of the
 * rotated, transposed kernel transformed first; a phase no tap reaches is
 * 0. Phases run one after another: they share U and scratch. */
static conv_status wg_bwd_d(conv_plan *pl, const float *w, const float *dy,
                            float *dx)
{
    const conv_problem *p = &pl->p;
    for (int k = 0; k < pl->nphd; k++)
        if (pl->phd[k].e) pl->phd[k].e->wsrc = w;
#pragma omp parallel num_threads(pl->nthr)
    {
        const int tid = omp_get_thread_num();
        float *scr = pl->scratch + (size_t)tid * pl->per_thr;
        for (int k = 0; k < pl->nphd; k++) {
            const wg_dphase *d = &pl->phd[k];
            const conv_plan *e = d->e;
            if (!e) {
                conv_phase_mark(pl->hook, tid, WG_OUTPUT);
#pragma omp for schedule(static) nowait
                for (long nc = 0; nc < (long)p->n * p->ic; nc++) {
                    float *xp = dx + (size_t)nc * p->ih * p->iw;
                    for (int h = d->ph; h < p->ih; h += p->sh)
                        for (int v = d->pw; v < p->iw; v += p->sw)
                            xp[(size_t)h * p->iw + v] = 0.0f;
                }
                continue;
            }
            /* Marked in every thread, items or not: a wait at the barriers
             * below counts to the phase before it. Fused, each item makes
             * its own U after its input transform. */
            conv_phase_mark(pl->hook, tid, e->fuse ? WG_INPUT : WG_WEIGHTS);
            if (!e->fuse) {
                const long nwt = (long)e->p.g * (e->ocp / WG_MR) * e->nterm;
#pragma omp for schedule(dynamic, 1)
                for (long it = 0; it < nwt; it++) {
                    const int npan = e->ocp / WG_MR;
                    const int tm = (int)(it % e->nterm);
                    const int ip = (int)(it / e->nterm % npan);
                    const int g = (int)(it / e->nterm / npan);
                    u_piece(e, w, g, ip, tm, 0, e->icg,
                            e->u + (size_t)g * e->npos * e->ocp * e->kg +
                                (size_t)ip * e->kg * WG_MR +
                                (size_t)tm * e->icg * WG_MR,
                            (size_t)e->ocp * e->kg, scr);
                }
            }
            run_items(e, dy, dx, tid, scr);
            /* The next phase rewrites U (the condition is the same in every
             * thread, as a barrier needs). */
            if (k + 1 < pl->nphd) {
#pragma omp barrier
            }
        }
        conv_phase_mark(pl->hook, tid, CONV_PHASE_END);
    }
    return CONV_OK;
}

/* ---- bwd_w ------------------------------------------------------------ */

/* A thread's scratch for bwd_w: tmp, the transforms of 8 channels
 * [c][pos][WG_GROUP]; rb, their row buffers; xt, x's transforms of a
 * block [pos][tile][kgp]; dt, dy's [pos][tile][up(crow, 8)], and dp, the
 * same in panels [pos][panel][tile][WG_MR]; mp, fused M of one panel
 * [pos][WG_MR][kgp]; ot, the output transform's rows and w_direct's
 * row; xd, w_direct's x (w_xd) [product][IC/G]. Returns the floats
 * per thread. */
typedef struct wg_wscr {
    float *tmp, *rb, *xt, *dt, *dp, *mp, *ot, *xd;
} wg_wscr;

static size_t wscr(const conv_plan *pl, float *base, wg_wscr *s)
{
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t sz[8] = {
        (size_t)8 * pl->npos * WG_GROUP,
        pl->nrb,
        (size_t)pl->npos * pl->tbw * pl->kgp,
        (size_t)pl->npos * pl->tbw * up((size_t)pl->crow, 8),
        (size_t)pl->npos * pl->crow * pl->tbw + WG_VL,
        pl->fuse ? (size_t)pl->npos * WG_MR * pl->kgp : 0,
        ((size_t)pl->npos + (size_t)ah->r * aw->alpha + (size_t)ah->r * aw->r +
         1) *
            pl->kgp,
        (size_t)pl->ndir * up((size_t)pl->icg, 16),
    };
    float **at[8] = {&s->tmp, &s->rb, &s->xt, &s->dt,
                     &s->dp,  &s->mp, &s->ot, &s->xd};
    size_t off = 0;
    for (int i = 0; i < 8; i++) {
        *at[i] = base ? base + off : NULL;
        off += up(sz[i], 16);
    }
    return off;
}

/* 8 channels' transforms tmp[c][pos][l], l < len, to dst[pos * dpos + l *
 * ldd + c]. Rows up to len rounded up to 8 get written (dst has them);
 * channels past the last valid one carry finite junk into padding. */
static void pack8(const float *tmp, int npos, int len, float *dst, size_t dpos,
                  size_t ldd)
{
    for (int pos = 0; pos < npos; pos++)
        for (int l0 = 0; l0 < len; l0 += 8)
            tr8(tmp + (size_t)pos * WG_GROUP + l0, (size_t)npos * WG_GROUP,
                dst + pos * dpos + l0 * ldd, ldd);
}

/* dy's transform, D = A dy At (A = At transposed), of tiles lt .. lt +
 * len - 1 of a block, one channel (src: its plane in image 0), into
 * v[pos * vpos + l], l < lanes: a tile is m x m outputs of the phase's
 * lattice of dy, zero past its end. */
static void dy_group(const conv_plan *pl, const wg_sub *sb, long t0, int lt,
                     int len, int lanes, const float *src, float *restrict v,
                     size_t vpos, float *restrict rb)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t ldr = pl->ldr, plane = (size_t)p->oh * p->ow;
    wg_seg s = {0, 0, 0, 0, lt};
    while (next_seg(sb, t0, lt + len, &s)) {
        const int u0 = aw->m * (s.lt - lt);
        const int cnt =
            aw->m * (s.lt + s.len < lt + len ? s.len : lanes - (s.lt - lt));
        const int base = sb->aw + aw->m * s.tw0 * aw->nph;
        const float *sn = src + (size_t)s.n * p->oc * plane;
        for (int i = 0; i < ah->m; i++) {
            const int vr = ah->m * s.th + i;
            float *restrict d = rb + i * ldr + u0;
            if (vr >= sb->mh)
                for (int u = 0; u < cnt; u++) d[u] = 0;
            else {
                const float *sr = sn + (size_t)(sb->ah + vr * ah->nph) * p->ow;
                if (aw->nph == 1)
                    gather(sr, base, p->ow, cnt, d);
                else
                    gather_step(sr, base, aw->nph, p->ow, cnt, d);
            }
        }
    }
    float *hb = rb + (size_t)ah->alpha * ldr;
    ah->k->att_rows(rb, ldr, aw->m * lanes, hb, ldr);
    for (int a = 0; a < ah->alpha; a++)
        aw->k->att_cols(hb + a * ldr, lanes, v + (size_t)(a * aw->alpha) * vpos,
                        vpos);
}

/* Transforms of a block of nt tiles, 8 channels at a time: x's (the
 * forward's V, every piece and channel of group g) into xt[pos][tile][kk],
 * dy's (rows o0 .. o0 + nrow - 1 of the group) into dp[pos][panel][tile]
 * [WG_MR] by way of dt. */
static void w_block(const conv_plan *pl, const wg_sub *sb, int g, long t0,
                    int nt, int o0, int nrow, int npan, const float *x,
                    const float *dy, const wg_wscr *ws)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t plane = (size_t)p->ih * p->iw, oplane = (size_t)p->oh * p->ow;
    const size_t kgp = pl->kgp, tbw = (size_t)pl->tbw;
    const size_t cs = (size_t)pl->npos * WG_GROUP; /* tmp per channel */
    for (int lt = 0; lt < nt; lt += WG_GROUP) {
        const int len = nt - lt < WG_GROUP ? nt - lt : WG_GROUP;
        const int lanes = (int)up((size_t)len, WG_VL);
        for (int kk0 = 0; kk0 < pl->kg; kk0 += 8) {
            for (int q = 0; q < 8 && kk0 + q < pl->kg; q++) {
                const int tm = (kk0 + q) / pl->icg, c = (kk0 + q) % pl->icg;
                const int bh = sb->ah * p->sh - p->pt + ah->off[tm / aw->nterm];
                const int bw = sb->aw * p->sw - p->pl + aw->off[tm % aw->nterm];
                input_group(pl, sb, t0, lt, len, lanes,
                            x + ((size_t)g * pl->icg + c) * plane, bh, bw,
                            ws->tmp + q * cs, WG_GROUP, ws->rb);
            }
            pack8(ws->tmp, pl->npos, len, ws->xt + lt * kgp + kk0, tbw * kgp,
                  kgp);
        }
        const size_t dts = up((size_t)pl->crow, 8);
        for (int o8 = 0; o8 < nrow; o8 += 8) {
            for (int q = 0; q < 8 && o8 + q < nrow; q++)
                dy_group(pl, sb, t0, lt, len, lanes,
                         dy + ((size_t)g * pl->ocg + o0 + o8 + q) * oplane,
                         ws->tmp + q * cs, WG_GROUP, ws->rb);
            pack8(ws->tmp, pl->npos, len, ws->dt + lt * dts + o8, tbw * dts,
                  dts);
        }
    }
    /* dt to WG_MR-row panels, the kernels' u. */
    const size_t dts = up((size_t)pl->crow, 8);
    for (int pos = 0; pos < pl->npos; pos++)
        for (int ip = 0; ip < npan; ip++) {
            float *restrict d =
                ws->dp + ((size_t)pos * npan + ip) * tbw * WG_MR;
            const float *restrict sr =
                ws->dt + (size_t)pos * tbw * dts + (size_t)ip * WG_MR;
            for (int t = 0; t < nt; t++)
                for (int r = 0; r < WG_MR; r++)
                    d[(size_t)t * WG_MR + r] = sr[(size_t)t * dts + r];
        }
}

/* M[pos] (+)= D[pos] . X[pos] over the nt tiles of a block: the
 * forward's kernels with the tiles as the reduction, for panels ip0 ..
 * ip0 + nip - 1 of the npan in dp and the kg columns (pieces x IC/G) of
 * M, with its column tails; M's positions are mpos floats apart. */
static void gemm_w(const conv_plan *pl, const float *dp, int npan, int ip0,
                   int nip, const float *xt, int nt, float *m, size_t mpos,
                   bool add)
{
    const size_t kgp = pl->kgp, tbw = (size_t)pl->tbw;
    const int nc = pl->kg, rem = nc % WG_VL;
    const int wide =
        rem > 0 && rem <= 4 ? nc - rem : (int)up((size_t)nc, WG_VL);
    const int jt = wide / WG_NR * WG_NR;
    for (int pos = 0; pos < pl->npos; pos++)
        for (int q = 0; q < nip; q++) {
            const int ip = ip0 + q;
            const float *u = dp + ((size_t)pos * npan + ip) * tbw * WG_MR;
            const float *v = xt + (size_t)pos * tbw * kgp;
            float *mp = m + pos * mpos + (size_t)q * WG_MR * kgp;
            for (int j = 0; j < jt; j += WG_NR)
                kernel_wide(nt, u, v + j, kgp, mp + j, kgp, add);
            if (jt < wide && q % 2 == 0 && q + 1 < nip)
                kernel_tail2(nt, u, tbw * WG_MR, v + jt, kgp, mp + jt, kgp,
                             add);
            else if (jt < wide && q % 2 == 0)
                kernel_tail(nt, u, v + jt, kgp, mp + jt, kgp, add);
            if (nc > wide)
                kernel_cols[nc - wide](nt, u, v + wide, kgp, mp + wide, kgp,
                                       add);
        }
}

/* A weight whose sum has 1 to nfix products (N x rows x columns inside
 * x, a tiny problem) gets it directly, for the reason fix_up gives: there
 * the output transform's cancellation is not averaged over other products
 * (one product, dy * x_j, comes out of terms with the tile's other x in
 * them, its error relative to |dy * x_j| unbounded as x_j -> 0; measured
 * without this, 1.3e-3 on F(4,3) and 1.8e-4 on F(2,3) in 8 sweeps of 300
 * problems). One with none gets exactly 0. The products come from plan()
 * (w_taps), in image, row, column order, their x across the channels of
 * the group from xd (w_xd, once per work item), so a tap costs its few
 * products per channel in vector loops: searching every image and output
 * for them per weight took 96% of F(4,3)'s bwd_w on a 1x1 image
 * (callgrind), strided x reads per weight half of the rest on a 3x3.
 * Output channel o's weights into dwo; with taps9 into their rows of res
 * instead (kgp apart), for the transposes that write the others. */
static void w_direct(const conv_plan *pl, const float *dy, int g, int o,
                     const float *xd, float *res, size_t kgp, float *dwo,
                     float *tmp)
{
    const conv_problem *p = &pl->p;
    const size_t khw = (size_t)p->kh * p->kw, icgp = up((size_t)pl->icg, 16);
    const float *yo = dy + ((size_t)g * pl->ocg + o) * p->oh * p->ow;
    for (size_t t = 0; t < khw; t++) {
        const int np = pl->nprod[t], e0 = pl->dfirst[t];
        if (np > pl->nfix) continue;
        float *restrict dt = pl->taps9 ? res + t * kgp : tmp;
        for (int c = 0; c < pl->icg; c++) dt[c] = 0.0f;
        for (int k = 0; k < np; k++) {
            const float dv = yo[pl->dprod[e0 + k].dy];
            const float *restrict xs = xd + (size_t)(e0 + k) * icgp;
            for (int c = 0; c < pl->icg; c++) dt[c] += dv * xs[c];
        }
        if (!pl->taps9)
            for (int c = 0; c < pl->icg; c++) dwo[(size_t)c * khw + t] = dt[c];
    }
}

/* xd[e][c]: x of w_direct's product e for channel c of group g. */
static void w_xd(const conv_plan *pl, const float *x, int g, float *xd)
{
    const conv_problem *p = &pl->p;
    const size_t plane = (size_t)p->ih * p->iw, icgp = up((size_t)pl->icg, 16);
    const float *xg = x + (size_t)g * pl->icg * plane;
    for (int e = 0; e < pl->ndir; e++) {
        const float *xe = xg + pl->dprod[e].x;
        float *restrict de = xd + (size_t)e * icgp;
        for (int c = 0; c < pl->icg; c++) de[c] = xe[(size_t)c * plane];
    }
}

/* d[l] = sum_{a < n} c[a] s[a * ss + l], l < cnt, n = alpha (1, 4 or
 * 6): one pass over each row, not one per term. */
WG_KERNEL_ATTR static void comb(float *restrict d, const float *restrict s,
                                size_t ss, const float *c, int n, int cnt)
{
    const float *restrict s0 = s, *restrict s1 = s + ss,
                          *restrict s2 = s + 2 * ss, *restrict s3 = s + 3 * ss;
    if (n == 1)
        for (int l = 0; l < cnt; l++) d[l] = c[0] * s0[l];
    else if (n == 4)
        for (int l = 0; l < cnt; l++)
            d[l] =
                (c[0] * s0[l] + c[1] * s1[l]) + (c[2] * s2[l] + c[3] * s3[l]);
    else {
        const float *restrict s4 = s + 4 * ss, *restrict s5 = s + 5 * ss;
        for (int l = 0; l < cnt; l++)
            d[l] = ((c[0] * s0[l] + c[1] * s1[l]) +
                    (c[2] * s2[l] + c[3] * s3[l])) +
                   (c[4] * s4[l] + c[5] * s5[l]);
    }
}

/* dw of output channel o of group g from its rows of M (mo: position 0;
 * positions mps apart; nch chunks chs apart, summed first): G_h^T M G_w
 * per piece, in float, once per weight, then each channel's taps written
 * together. */
static void w_output(const conv_plan *pl, int g, int o, const float *mo,
                     size_t mps, int nch, size_t chs, const float *xd,
                     const float *dy, float *dw, float *ot)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t kgp = pl->kgp;
    const int kg = pl->kg, rh = ah->r, rw = aw->r;
    float *ms = ot, *hr = ot + (size_t)pl->npos * kgp;
    float *res = hr + (size_t)rh * aw->alpha * kgp;
    float *tmp = res + (size_t)rh * rw * kgp;
    if (nch > 1) {
        for (int pos = 0; pos < pl->npos; pos++) {
            float *restrict d = ms + (size_t)pos * kgp;
            const float *restrict s0 = mo + pos * mps;
            for (int l = 0; l < kg; l++) d[l] = s0[l];
            for (int ch = 1; ch < nch; ch++) {
                const float *restrict sc = s0 + (size_t)ch * chs;
                for (int l = 0; l < kg; l++) d[l] += sc[l];
            }
        }
        mo = ms;
        mps = kgp;
    }
    /* hr[i][b] = sum_a G_h[a][i] M[a][b], res[i][j] = sum_b G_w[b][j]
     * hr[i][b], only the rows some weight takes (none on a 1x1 image
     * with F(4,3): every tap there is direct or 0). */
    for (int i = 0; i < rh; i++) {
        bool any = false;
        for (int j = 0; j < rw; j++) any |= pl->need[i * rw + j];
        if (!any) continue;
        float c[6];
        for (int a = 0; a < ah->alpha; a++) c[a] = pl->gf[0][a][i];
        for (int b = 0; b < aw->alpha; b++)
            comb(hr + ((size_t)i * aw->alpha + b) * kgp, mo + b * mps,
                 aw->alpha * mps, c, ah->alpha, kg);
    }
    for (int j = 0; j < rw; j++) {
        float c[6];
        for (int b = 0; b < aw->alpha; b++) c[b] = pl->gf[1][b][j];
        for (int i = 0; i < rh; i++)
            if (pl->need[i * rw + j])
                comb(res + (size_t)(i * rw + j) * kgp,
                     hr + (size_t)i * aw->alpha * kgp, kgp, c, aw->alpha, kg);
    }
    const size_t khw = (size_t)p->kh * p->kw;
    float *dwo = dw + ((size_t)g * pl->ocg + o) * pl->icg * khw;
    w_direct(pl, dy, g, o, xd, res, kgp, dwo, tmp);
    int c8 = 0;
    /* res rows are the taps (w_direct's included): dw[c][k] = res[k][c] */
    if (pl->taps9)
        for (; c8 + 8 <= pl->icg; c8 += 8) {
            tr8(res + c8, kgp, dwo + (size_t)c8 * khw, khw);
            for (int c = c8; c < c8 + 8; c++)
                dwo[(size_t)c * khw + 8] = res[8 * kgp + c];
        }
    for (int tm = 0; tm < pl->nterm; tm++) {
        const int th = tm / aw->nterm, tw = tm % aw->nterm;
        int at[9];
        for (int k = 0; k < rh * rw; k++) {
            const int ki = ah->tap[th * rh + k / rw];
            const int kj = aw->tap[tw * rw + k % rw];
            at[k] = ki >= 0 && kj >= 0 ? ki * p->kw + kj : -1;
            /* another piece's tap, or w_direct's (written) */
            if (at[k] >= 0 && !pl->taps9 && pl->nprod[at[k]] <= pl->nfix)
                at[k] = -1;
        }
        for (int c = c8; c < pl->icg; c++) {
            const size_t kk = (size_t)tm * pl->icg + c;
            for (int k = 0; k < rh * rw; k++)
                if (at[k] >= 0)
                    dwo[(size_t)c * khw + at[k]] = res[(size_t)k * kgp + kk];
        }
    }
}

/* db[o]: dy summed over images and positions, 16 partial sums. */
static float sum_dy(const conv_problem *p, const float *dy, int o)
{
    const size_t plane = (size_t)p->oh * p->ow;
    float acc[16] = {0};
    for (int n = 0; n < p->n; n++) {
        const float *restrict d = dy + ((size_t)n * p->oc + o) * plane;
        size_t k = 0;
        for (; k + 16 <= plane; k += 16)
            for (int l = 0; l < 16; l++) acc[l] += d[k + l];
        for (; k < plane; k++) acc[k % 16] += d[k];
    }
    float s = 0;
    for (int l = 0; l < 16; l++) s += acc[l];
    return s;
}

/* Work items (group, OC slice, tile chunk). Fused (one block holds all
 * tiles): per panel, products into the thread's mp, then at once its
 * output transform, M never leaving the cache. Otherwise every chunk sums
 * its blocks into its own M (the first block stores), and the output
 * transform sums the chunks after a barrier. */
static conv_status wg_bwd_w(conv_plan *pl, const float *x, const float *dy,
                            float *dw, float *db)
{
    const conv_problem *p = &pl->p;
    const long nitem = (long)p->g * pl->nsplit * pl->nchunk;
    const size_t kgp = pl->kgp, gm = (size_t)pl->npos * pl->ocp * kgp;
#pragma omp parallel num_threads(pl->nthr)
    {
        const int tid = omp_get_thread_num();
        wg_wscr ws;
        wscr(pl, pl->scratch + (size_t)tid * pl->per_thr, &ws);
        /* Not fused, every thread meets the barrier below: a thread
         * without items waits there in the phase it starts with. */
        if (!pl->fuse) conv_phase_mark(pl->hook, tid, WG_INPUT);
#pragma omp for schedule(dynamic, 1) nowait
        for (long it = 0; it < nitem; it++) {
            const int chunk = (int)(it % pl->nchunk);
            const int slice = (int)(it / pl->nchunk % pl->nsplit);
            const int g = (int)(it / pl->nchunk / pl->nsplit);
            const int o0 = slice * pl->crow;
            const int nrow = pl->ocg - o0 < pl->crow ? pl->ocg - o0 : pl->crow;
            const int npan = (nrow + WG_MR - 1) / WG_MR;
            if (pl->fuse) {
                const wg_sub *sb = &pl->sub[0];
                const int nt = (int)((long)p->n * sb->th * sb->tw);
                conv_phase_mark(pl->hook, tid, WG_INPUT);
                w_block(pl, sb, g, 0, nt, o0, nrow, npan, x, dy, &ws);
                w_xd(pl, x, g, ws.xd);
                for (int ip = 0; ip < npan; ip++) {
                    conv_phase_mark(pl->hook, tid, WG_PRODUCT);
                    gemm_w(pl, ws.dp, npan, ip, 1, ws.xt, nt, ws.mp,
                           WG_MR * kgp, false);
                    conv_phase_mark(pl->hook, tid, WG_WEIGHTS);
                    for (int r = 0; r < WG_MR && ip * WG_MR + r < nrow; r++)
                        w_output(pl, g, o0 + ip * WG_MR + r,
                                 ws.mp + (size_t)r * kgp, WG_MR * kgp, 1, 0,
                                 ws.xd, dy, dw, ws.ot);
                }
                continue;
            }
            float *m = pl->mw + (size_t)chunk * pl->msz + (size_t)g * gm +
                       (size_t)o0 * kgp;
            bool add = false;
            for (int si = 0; si < pl->nsub; si++) {
                const wg_sub *sb = &pl->sub[si];
                const long tall = (long)p->n * sb->th * sb->tw;
                const long lo = tall * chunk / pl->nchunk;
                const long hi = tall * (chunk + 1) / pl->nchunk;
                for (long t0 = lo; t0 < hi; t0 += pl->tbw) {
                    const int nt = (int)(hi - t0 < pl->tbw ? hi - t0 : pl->tbw);
                    conv_phase_mark(pl->hook, tid, WG_INPUT);
                    w_block(pl, sb, g, t0, nt, o0, nrow, npan, x, dy, &ws);
                    conv_phase_mark(pl->hook, tid, WG_PRODUCT);
                    gemm_w(pl, ws.dp, npan, 0, npan, ws.xt, nt, m,
                           (size_t)pl->ocp * kgp, add);
                    add = true;
                }
            }
            if (!add) /* no tiles in this chunk */
                for (int pos = 0; pos < pl->npos; pos++)
                    memset(m + pos * (size_t)pl->ocp * kgp, 0,
                           (size_t)npan * WG_MR * kgp * sizeof *m);
        }
        if (!pl->fuse) {
#pragma omp barrier
            conv_phase_mark(pl->hook, tid, WG_WEIGHTS);
            int xg = -1; /* group whose x is in ws.xd */
#pragma omp for schedule(dynamic, 1) nowait
            for (int go = 0; go < p->oc; go++) {
                const int g = go / pl->ocg, o = go % pl->ocg;
                if (g != xg) w_xd(pl, x, g, ws.xd), xg = g;
                w_output(pl, g, o, pl->mw + (size_t)g * gm + (size_t)o * kgp,
                         (size_t)pl->ocp * kgp, pl->nchunk, pl->msz, ws.xd, dy,
                         dw, ws.ot);
            }
        }
        if (db) {
            conv_phase_mark(pl->hook, tid, WG_WEIGHTS);
#pragma omp for schedule(static) nowait
            for (int o = 0; o < p->oc; o++) db[o] = sum_dy(p, dy, o);
        }
        conv_phase_mark(pl->hook, tid, CONV_PHASE_END);
    }
    return CONV_OK;
}

/* Work split, tiles per block and scratch of a bwd_w plan; returns the
 * bytes it would hold. */
static size_t size_w(conv_plan *pl, int nchunk, int nsplit, size_t tbw)
{
    const conv_problem *p = &pl->p;
    pl->nchunk = nchunk;
    pl->crow = (int)up((size_t)(pl->ocg + nsplit - 1) / nsplit, WG_MR);
    pl->nsplit = (pl->ocg + pl->crow - 1) / pl->crow;
    pl->tbw = (int)tbw;
    pl->msz = pl->fuse ? 0 : (size_t)p->g * pl->npos * pl->ocp * pl->kgp;
    pl->per_thr = wscr(pl, NULL, &(wg_wscr){0});
    const size_t khw = (size_t)p->kh * p->kw;
    return small_bytes(pl) +
           khw * (2 * sizeof(int) + pl->nfix * sizeof(wg_dprod)) +
           ((size_t)nchunk * pl->msz + pl->per_thr * pl->nthr) * sizeof(float);
}

/* Outputs of an axis whose read by tap i is inside the input: first and
 * count (a run: the reads move by s per output). */
static int inside_run(int o, int s, int pad, int d, int in, int i, int *first)
{
    int cnt = 0;
    *first = o;
    for (int r = 0; r < o; r++) {
        const int at = r * s - pad + i * d;
        if (at < 0 || at >= in) continue;
        if (!cnt) *first = r;
        cnt++;
    }
    return cnt;
}

/* bwd_w's per-tap products (see conv_plan): their counts, the offsets of
 * those of at most nfix in w_direct's sum order (image, row, column), and
 * which result rows of the output transform some weight takes. */
static conv_status w_taps(conv_plan *pl)
{
    const conv_problem *p = &pl->p;
    const wg_axis *ah = &pl->ax[0], *aw = &pl->ax[1];
    const size_t khw = (size_t)p->kh * p->kw;
    pl->nprod = malloc(khw * sizeof *pl->nprod);
    pl->dfirst = malloc(khw * sizeof *pl->dfirst);
    pl->dprod = malloc(khw * pl->nfix * sizeof *pl->dprod);
    if (!pl->nprod || !pl->dfirst || !pl->dprod) return CONV_NOMEM;
    for (int i = 0; i < p->kh; i++) {
        int r0, q0;
        const int nr = inside_run(p->oh, p->sh, p->pt, p->dh, p->ih, i, &r0);
        for (int j = 0; j < p->kw; j++) {
            const int nq =
                inside_run(p->ow, p->sw, p->pl, p->dw, p->iw, j, &q0);
            const long np = (long)p->n * nr * nq;
            const size_t t = (size_t)i * p->kw + j;
            pl->nprod[t] = np > pl->nfix ? pl->nfix + 1 : (int)np;
            pl->dfirst[t] = pl->ndir;
            if (np > pl->nfix) continue;
            wg_dprod *e = pl->dprod + pl->ndir;
            pl->ndir += (int)np;
            for (int n = 0; n < p->n; n++)
                for (int r = r0; r < r0 + nr; r++)
                    for (int q = q0; q < q0 + nq; q++, e++) {
                        const int h = r * p->sh - p->pt + i * p->dh;
                        const int v = q * p->sw - p->pl + j * p->dw;
                        e->dy = ((size_t)n * p->oc * p->oh + r) * p->ow + q;
                        e->x = ((size_t)n * p->ic * p->ih + h) * p->iw + v;
                    }
        }
    }
    pl->taps9 =
        pl->nterm == 1 && p->kh == 3 && p->kw == 3 && ah->r == 3 && aw->r == 3;
    for (int tm = 0; tm < pl->nterm; tm++) {
        const int th = tm / aw->nterm, tw = tm % aw->nterm;
        for (int k = 0; k < ah->r * aw->r; k++) {
            const int ki = ah->tap[th * ah->r + k / aw->r];
            const int kj = aw->tap[tw * aw->r + k % aw->r];
            if (ki >= 0 && kj >= 0 && pl->nprod[ki * p->kw + kj] > pl->nfix)
                pl->need[k] = true;
        }
    }
    return CONV_OK;
}

/* Fused bwd_w: one block of all tiles while its x and dy transforms take
 * at most this per thread. */
#define WG_FUSE_BYTES ((size_t)16 << 20)

static conv_status wg_plan_w(const conv_problem *p, conv_dir dir,
                             const conv_ctx *ctx, const wg_kind *big,
                             conv_plan **out)
{
    conv_status st = CONV_NOMEM;
    conv_plan *pl = calloc(1, sizeof *pl);
    if (!pl) goto nomem;
    pl->dir = dir;
    if (wg_geometry(pl, p, ctx, big) != CONV_OK) goto nomem;
    const wg_axis *aw = &pl->ax[1];
    pl->kgp = up((size_t)pl->kg, WG_VL);
    pl->ldr = (size_t)aw->m * WG_GROUP;
    pl->nrb = (size_t)2 * pl->ax[0].alpha * pl->ldr;
    if (w_taps(pl) != CONV_OK) goto nomem;
    long tg = 0, tmax = 0;
    for (int i = 0; i < pl->nsub; i++) {
        const long t = (long)p->n * pl->sub[i].th * pl->sub[i].tw;
        tg += t;
        tmax = t > tmax ? t : tmax;
    }
    const int f = p->g >= pl->nthr ? 1 : (pl->nthr + p->g - 1) / p->g;
    const int most = pl->ocp / WG_MR;
    /* Fused when one block holds every tile: OC slices for the threads
     * (each repeats x's transform, but no M goes through memory). */
    if (pl->nsub == 1 && tmax <= WG_MAX_TB) {
        pl->fuse = true;
        const size_t tbw = up((size_t)tmax, 8);
        pl->bytes = size_w(pl, 1, f < most ? f : most, tbw);
        if (pl->per_thr * sizeof(float) <= WG_FUSE_BYTES &&
            pl->bytes <= ctx->workspace_cap)
            goto alloc;
        pl->fuse = false;
    }
    /* Otherwise OC slices or tile chunks for the threads: a chunk costs
     * one more M to store and sum (OC/G x kg x alpha^2), a slice one more
     * pass of x's transform (kg x tiles x alpha^2): chunks when the tiles
     * are at least OC/G. */
    int nchunk = 1, nsplit = 1;
    if (f > 1 && tg >= pl->ocg)
        nchunk = f < tmax ? f : (int)(tmax > 0 ? tmax : 1);
    else if (f > 1)
        nsplit = f < most ? f : most;
    /* Tiles per block: one position's xt and dp within the L2 budget when
     * M is over it (each block then passes over its M slice once, the
     * expensive part), all positions' when M fits beside them. */
    for (;;) {
        size_w(pl, nchunk, nsplit, 8);
        const size_t row = (pl->kgp + (size_t)pl->crow) * sizeof(float);
        const size_t mslice =
            (size_t)pl->npos * pl->crow * pl->kgp * sizeof(float);
        size_t tbw =
            WG_L2_BUDGET / row / (mslice > WG_L2_BUDGET ? 1 : pl->npos);
        const long share = (tmax + nchunk - 1) / nchunk;
        if (tbw > (size_t)share) tbw = (size_t)share;
        if (tbw > WG_MAX_TB) tbw = WG_MAX_TB;
        tbw = up(tbw ? tbw : 1, 8); /* pack8 writes rows in 8s */
        pl->bytes = size_w(pl, nchunk, nsplit, tbw);
        while (pl->bytes > ctx->workspace_cap && tbw > 8) {
            tbw = up(tbw / 2, 8);
            pl->bytes = size_w(pl, nchunk, nsplit, tbw);
        }
        if (pl->bytes <= ctx->workspace_cap || nchunk == 1) break;
        nchunk = 1; /* one M, not one per thread */
    }
    if (pl->bytes > ctx->workspace_cap) {
        st =
            conv_why(ctx->why, ctx->why_len, CONV_NOMEM,
                     "needs %zu bytes (transform-domain dw %zu, scratch "
                     "%zu per thread x %d), cap %zu",
                     pl->bytes, pl->msz * pl->nchunk * sizeof(float),
                     pl->per_thr * sizeof(float), pl->nthr, ctx->workspace_cap);
        goto cleanup;
    }
alloc:
    pl->mw = pl->msz ? alloc_floats((size_t)pl->nchunk * pl->msz) : NULL;
    pl->scratch = alloc_floats(pl->per_thr * pl->nthr);
    if ((pl->msz && !pl->mw) || !pl->scratch) goto nomem;
    /* Finite padding: xt's columns past kg, dp's rows past OC/G. */
    memset(pl->scratch, 0, pl->per_thr * pl->nthr * sizeof *pl->scratch);
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

/* Every direction of every configuration: bwd_d by phases of dx, bwd_w
 * by the forward's decompositions (see the top comment). */
static conv_status wg_supports_bwd(const conv_problem *p, conv_dir dir,
                                   char *why, size_t len)
{
    (void)p, (void)dir, (void)why, (void)len;
    return CONV_OK;
}

static conv_status wg_plan_bwd(const conv_problem *p, conv_dir dir,
                               const conv_ctx *ctx, const wg_kind *big,
                               conv_plan **out)
{
    if (dir == CONV_DIR_BWD_D) return wg_plan_d(p, ctx, big, out);
    return wg_plan_w(p, dir, ctx, big, out);
}

static conv_status wg_plan_bwd_f2(const conv_problem *p, conv_dir dir,
                                  const conv_ctx *ctx, conv_plan **out)
{
    return wg_plan_bwd(p, dir, ctx, &wg_f2, out);
}

static conv_status wg_plan_bwd_f4(const conv_problem *p, conv_dir dir,
                                  const conv_ctx *ctx, conv_plan **out)
{
    return wg_plan_bwd(p, dir, ctx, &wg_f4, out);
}

const conv_algo conv_algo_winograd_f2x3 = {
    .name = "winograd_f2x3",
    .supports = wg_supports,
    .plan = wg_plan_f2,
    .execute = wg_execute,
    .workspace_bytes = wg_workspace,
    .destroy = wg_destroy,
    .impl = wg_impl,
    .tolerance = 1e-4, /* measured, see the top comment */
    .exact = false,
    .phases = wg_phases,
    .supports_bwd = wg_supports_bwd,
    .plan_bwd = wg_plan_bwd_f2,
    .execute_bwd_d = wg_bwd_d,
    .execute_bwd_w = wg_bwd_w,
    /* Measured (top comment): bwd_d max 6.9e-6 (real; int exact), the
     * forward's engine and bound; bwd_w max 1.5e-6 (int exact), 13x. */
    .tolerance_bwd_d = 1e-4,
    .tolerance_bwd_w = 2e-5,
};

const conv_algo conv_algo_winograd_f4x3 = {
    .name = "winograd_f4x3",
    .supports = wg_supports,
    .plan = wg_plan_f4,
    .execute = wg_execute,
    .workspace_bytes = wg_workspace,
    .destroy = wg_destroy,
    .impl = wg_impl,
    .tolerance = 2e-4, /* measured, see the top comment */
    .exact = false,
    .phases = wg_phases,
    .supports_bwd = wg_supports_bwd,
    .plan_bwd = wg_plan_bwd_f4,
    .execute_bwd_d = wg_bwd_d,
    .execute_bwd_w = wg_bwd_w,
    /* Measured (top comment): bwd_d max 1.55e-5 (int fill), 13x; bwd_w
     * max 3.5e-6 (real), 28x. */
    .tolerance_bwd_d = 2e-4,
    .tolerance_bwd_w = 1e-4,
};
