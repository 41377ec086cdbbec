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
 * exact. With T terms per output, |sum| <= T * r0 * r1 + rb: the ranges
 * of the two factors start at [-32, 32] and the larger halves until that
 * bound holds (false when even [-1, 1] cannot keep the sums exact). */
static int64_t terms(const conv_problem *p, conv_dir d)
{
    const int64_t k = (int64_t)p->kh * p->kw,
                  per_image = (int64_t)p->n * p->oh * p->ow;
    const int64_t t[CONV_NDIRS] = {
        [CONV_DIR_FWD] = (int64_t)(p->ic / p->g) * k,
        [CONV_DIR_BWD_D] = (int64_t)(p->oc / p->g) * k,
        [CONV_DIR_BWD_W] = per_image,
        [CONV_DIR_BWD_WB] = per_image,
    };
    return t[d];
}

static bool int_ranges(const conv_problem *p, conv_dir d, int r[2])
{
    const int64_t n = terms(p, d);
    const int64_t limit = (1 << 24) - 64;
    r[0] = r[1] = 32;
    while (n * r[0] * r[1] > limit && (r[0] > 1 || r[1] > 1)) {
        if (r[0] >= r[1])
            r[0] /= 2;
        else
            r[1] /= 2;
    }
    return n * r[0] * r[1] <= limit;
}

bool conv_fill_is_exact(const conv_problem *p, conv_dir d)
{
    int r[2];
    return int_ranges(p, d, r);
}

/* Each input role has its own stream (conv_role.fill_id) and range: its
 * factor's from above, or [-32, 32] for a bias. */
void conv_fill_inputs(const conv_problem *p, conv_dir d, conv_fill mode,
                      unsigned long long seed, float *const t[])
{
    int r[2];
    int_ranges(p, d, r);
    for (int k = 0; k < conv_dirs[d].ntensors; k++) {
        const conv_role *ro = &conv_dirs[d].t[k];
        if (ro->output || !conv_role_present(p, d, k)) continue;
        fill(t[k], conv_tensor_elems(p, ro->shape), seed, ro->fill_id, mode,
             ro->factor < 0 ? 32 : r[ro->factor]);
    }
}
