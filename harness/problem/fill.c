/* Test data. Every element is a hash of (seed, tensor, index), so the data
 * is the same for any thread count and any order of filling. */
#include <stdint.h>

#include "problem/problem.h"

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void fill(float *v, size_t count, uint64_t seed, uint64_t tensor,
                 conv_fill mode, int range)
{
    const uint64_t base = mix(seed * 0x9e3779b97f4a7c15ULL + tensor);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        uint64_t r = mix(base + i * 0x9e3779b97f4a7c15ULL);
        if (mode == CONV_FILL_INT)
            v[i] = (float)((int)(r % (uint64_t)(2 * range + 1)) - range);
        else /* uniform in [-1, 1) with 24 random bits */
            v[i] = (float)((double)(r >> 40) / (double)(1 << 23) - 1.0);
    }
}

/* Integer fill, as benchdnn does it: every product and every partial sum
 * must be an integer below 2^24, so that any summation order in fp32 is
 * exact. With K taps per output, |sum| <= K * rx * rw + rb: ranges start at
 * [-32, 32] and shrink until that bound holds. */
/* Integer ranges for x and w: from [-32, 32] down until the bound holds;
 * false when even [-1, 1] cannot keep the sums exact. */
static bool int_ranges(const conv_problem *p, int *rx, int *rw)
{
    const int64_t taps = (int64_t)(p->ic / p->g) * p->kh * p->kw;
    const int64_t limit = (1 << 24) - 64;
    *rx = *rw = 32;
    while (taps * *rx * *rw > limit && (*rx > 1 || *rw > 1)) {
        if (*rx >= *rw)
            *rx /= 2;
        else
            *rw /= 2;
    }
    return taps * *rx * *rw <= limit;
}

bool conv_fill_is_exact(const conv_problem *p)
{
    int rx, rw;
    return int_ranges(p, &rx, &rw);
}

/* Each input role has its own stream (conv_role.fill_id) and range: x
 * and w the int ranges above, b [-32, 32]. */
void conv_fill_inputs(const conv_problem *p, conv_dir d, conv_fill mode,
                      unsigned long long seed, float *const t[])
{
    int rx, rw;
    int_ranges(p, &rx, &rw);
    const int range[] = {[CONV_X] = rx, [CONV_W] = rw, [CONV_B] = 32};
    for (int k = 0; k < conv_dirs[d].ntensors; k++) {
        const conv_role *r = &conv_dirs[d].t[k];
        if (r->output || !conv_role_present(p, d, k)) continue;
        fill(t[k], conv_tensor_elems(p, r->shape), seed, r->fill_id, mode,
             range[r->shape]);
    }
}
