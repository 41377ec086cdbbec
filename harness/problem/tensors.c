/* Tensors by role: for each direction, which tensors exist, their shapes,
 * which are inputs and which outputs. Fill, poison, guards, checksums, the
 * reference, the error check and exec's .npy options all read this table,
 * so a new direction is new rows here, not new code in every stage. */
#include <string.h>

#include "problem/problem.h"

#define X_IN(f)                                                                \
    {                                                                          \
        "x", CONV_X, false, false, "--input", 1, f                             \
    }
#define W_IN(f)                                                                \
    {                                                                          \
        "w", CONV_W, false, false, "--weights", 2, f                           \
    }
#define DY_IN(f)                                                               \
    {                                                                          \
        "dy", CONV_Y, false, false, "--diff-dst", 4, f                         \
    }
const conv_dir_info conv_dirs[CONV_NDIRS] = {
    [CONV_DIR_FWD] = {"fwd",
                      4,
                      {X_IN(0),
                       W_IN(1),
                       {"b", CONV_B, false, true, "--bias", 3, -1},
                       {"y", CONV_Y, true, false, "--output", 0, 0}}},
    [CONV_DIR_BWD_D] = {"bwd_d",
                        3,
                        {W_IN(1),
                         DY_IN(0),
                         {"dx", CONV_X, true, false, "--output", 0, 0}}},
    [CONV_DIR_BWD_W] = {"bwd_w",
                        3,
                        {X_IN(0),
                         DY_IN(1),
                         {"dw", CONV_W, true, false, "--output", 0, 0}}},
    [CONV_DIR_BWD_WB] = {"bwd_wb",
                         4,
                         {X_IN(0),
                          DY_IN(1),
                          {"dw", CONV_W, true, false, "--output", 0, 0},
                          {"db", CONV_B, true, true, "--output-bias", 0, 0}}},
};

int conv_dir_parse(const char *s)
{
    for (int d = 0; d < CONV_NDIRS; d++)
        if (!strcmp(s, conv_dirs[d].name)) return d;
    return -1;
}

conv_problem conv_dir_problem(const conv_problem *p, conv_dir d)
{
    conv_problem q = *p;
    if (d != CONV_DIR_FWD) q.bias = d == CONV_DIR_BWD_WB;
    return q;
}

bool conv_role_present(const conv_problem *p, conv_dir d, int k)
{
    return !conv_dirs[d].t[k].bias || p->bias;
}

int conv_tensor_dims(const conv_problem *p, conv_tensor t, size_t dims[4])
{
    const size_t table[][4] = {
        [CONV_X] = {p->n, p->ic, p->ih, p->iw},
        [CONV_W] = {p->oc, p->ic / p->g, p->kh, p->kw},
        [CONV_B] = {p->oc},
        [CONV_Y] = {p->n, p->oc, p->oh, p->ow},
    };
    if (t == CONV_B) {
        dims[0] = table[t][0];
        return 1;
    }
    int k = 0;
    for (int i = 0; i < 4; i++)
        if (i != 2 || !p->is_1d) dims[k++] = table[t][i];
    return k;
}

size_t conv_tensor_elems(const conv_problem *p, conv_tensor t)
{
    size_t dims[4], e = 1;
    const int nd = conv_tensor_dims(p, t, dims);
    for (int i = 0; i < nd; i++) e *= dims[i];
    return e;
}

size_t conv_x_elems(const conv_problem *p)
{
    return conv_tensor_elems(p, CONV_X);
}
size_t conv_w_elems(const conv_problem *p)
{
    return conv_tensor_elems(p, CONV_W);
}
size_t conv_y_elems(const conv_problem *p)
{
    return conv_tensor_elems(p, CONV_Y);
}
