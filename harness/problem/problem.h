/* problem: what is computed, before anything runs: benchdnn descriptors,
 * shape lists (files, named sets, random sweeps), the directions and the
 * table of their tensors by role, and the deterministic test data.
 * Depends on base/ only. */
#ifndef CONV_PROBLEM_H
#define CONV_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base.h"

/* ---- descriptors (desc.c) ---------------------------------------------- */
/* Parse one benchdnn descriptor. CONV_INVALID: malformed (err names the
 * field); CONV_UNSUPPORTED: a valid 3D problem. mem_cap bounds the bytes of
 * x, w and y together (0 = no bound). */
conv_status conv_desc_parse(const char *s, size_t mem_cap, conv_problem *p,
                            char *err, size_t len);
/* Canonical benchdnn form, e.g. g1mb2ic3ih5iw5oc4oh5ow5kh3kw3sh1sw1ph1pw1
 * dh0dw0n"x"; 1D problems print w fields only. */
void conv_desc_format(const conv_problem *p, char *buf, size_t len);
/* Checks a filled-in problem (sizes, divisibility, memory); err names the
 * field. Used by the parser and by the sweep generator. */
conv_status conv_problem_check(const conv_problem *p, size_t mem_cap, char *err,
                               size_t len);

/* ---- tensors by role (tensors.c) ---------------------------------------
 * The shapes a tensor can have: x's (N, IC, [IH,] IW), w's (OC, IC/G,
 * [KH,] KW), b's (OC) and y's (N, OC, [OH,] OW); 1D problems drop the H
 * axis of the .npy dims. */
typedef enum conv_tensor { CONV_X, CONV_W, CONV_B, CONV_Y } conv_tensor;
size_t conv_tensor_elems(const conv_problem *p, conv_tensor t);
/* The .npy dims of a tensor of that shape; returns the rank. */
int conv_tensor_dims(const conv_problem *p, conv_tensor t, size_t dims[4]);
size_t conv_x_elems(const conv_problem *p);
size_t conv_w_elems(const conv_problem *p);
size_t conv_y_elems(const conv_problem *p);

/* Directions (conv_dir, conv.h): each a row of conv_dirs below and a
 * reference function (run/check.c). */

#define CONV_MAX_TENSORS 4
/* One tensor of a direction. Inputs are filled and checksummed, outputs
 * poisoned with NaN and checked against the reference; all are guarded. */
typedef struct conv_role {
    const char *name;  /* in reasons and messages: "x", "w", "dy", ... */
    conv_tensor shape; /* its shape */
    bool output;
    bool bias;        /* exists only when the problem has a bias */
    const char *npy;  /* exec's .npy option, e.g. "--input" */
    unsigned fill_id; /* the fill stream of an input (fill.c) */
    int factor;       /* an input's side of the products its outputs sum (0 or
                         1: int fill shares the exactness bound between them);
                         -1 for a bias, added once */
} conv_role;

typedef struct conv_dir_info {
    const char *name; /* "fwd", "bwd_d", "bwd_w", "bwd_wb" */
    int ntensors;
    conv_role t[CONV_MAX_TENSORS]; /* in the order the row driver binds */
} conv_dir_info;
extern const conv_dir_info conv_dirs[CONV_NDIRS];
/* Whether tensor k of direction d exists for p (a bias only with one). */
bool conv_role_present(const conv_problem *p, conv_dir d, int k);
/* The direction named s, or -1. */
int conv_dir_parse(const char *s);
/* p as direction d runs it: the forward keeps its bias; bwd_d and bwd_w
 * have none, bwd_wb has one (db). */
conv_problem conv_dir_problem(const conv_problem *p, conv_dir d);

/* ---- shape lists (shapes.c) -------------------------------------------- */
typedef struct conv_shape {
    conv_problem p;
    conv_status st;   /* CONV_OK, or CONV_UNSUPPORTED (3D) */
    char why[160];    /* reason when UNSUPPORTED */
    char text[256];   /* the descriptor as written */
    bool random_bias; /* a sweep problem: keeps the bias it drew */
    int count;        /* times the layer occurs in its network: 1, or N
                         from benchdnn's repeat suffix n"name*N" */
} conv_shape;

typedef struct conv_shape_list {
    conv_shape *v;
    int n, cap;
} conv_shape_list;

/* The repeat count of a name ending in benchdnn's "*N" (N >= 1), else 1;
 * 0 when the digits after the '*' are 0 or over 10^9. */
int conv_name_count(const char *name);
/* Append one descriptor; CONV_INVALID with err on a bad one. */
conv_status conv_shapes_add_desc(conv_shape_list *l, const char *desc,
                                 size_t mem_cap, char *err, size_t len);
/* Append every problem of a shape file, or of a named set in
 * harness/shapes/ when `name` is not a readable file; SET:MODEL names the
 * per-model set harness/shapes/SET.d/MODEL. err says file:line. */
conv_status conv_shapes_load(conv_shape_list *l, const char *name,
                             size_t mem_cap, char *err, size_t len);
/* The shape-file parser of conv_shapes_load on text[0..size) in memory (no
 * terminator needed; a NUL byte is refused); err says origin:line. */
conv_status conv_shapes_parse_text(conv_shape_list *l, const char *text,
                                   size_t size, const char *origin,
                                   size_t mem_cap, char *err, size_t len);
/* Random valid problems over the whole configuration space, every third
 * from a corner class in turn (docs/design.md §14). */
conv_status conv_shapes_sweep(conv_shape_list *l, int count,
                              unsigned long long seed, size_t mem_cap);
/* The corner classes of the sweep: a problem may fall in several. */
typedef struct conv_sweep_class {
    const char *name, *what;
    bool (*in)(const conv_problem *p);
} conv_sweep_class;
extern const conv_sweep_class conv_sweep_classes[];
extern const int conv_sweep_class_count;
void conv_shapes_free(conv_shape_list *l);

/* ---- data (fill.c) ----------------------------------------------------- */
typedef enum conv_fill { CONV_FILL_INT = 0, CONV_FILL_REAL } conv_fill;
/* Fills the inputs of direction d (t[k] for each input role k present;
 * outputs untouched), deterministic in (seed, problem), independent of
 * the thread count. */
void conv_fill_inputs(const conv_problem *p, conv_dir d, conv_fill mode,
                      unsigned long long seed, float *const t[]);
/* Whether int fill keeps every fp32 partial sum of direction d of p exact
 * (false only past 2^24 terms per output); bit-exactness is demanded only
 * then. */
bool conv_fill_is_exact(const conv_problem *p, conv_dir d);

#endif
