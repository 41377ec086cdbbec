/* The CSV stage (DESIGN §7): one table of columns, one row per algorithm x
 * problem, written to a temporary file and renamed into place. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

typedef enum {
    T_STR,
    T_CHARS,
    T_INT,
    T_BOOL,
    T_F3,
    T_G,
    T_SIZE,
    T_ORIGIN /* from the algo name: "builtin" or the plugin's file */
} col_type;
static const struct column {
    const char *name;
    col_type type;
    size_t off;
} columns[] = {
#define C(n, t, f)                                                             \
    {                                                                          \
        n, t, offsetof(conv_row, f)                                            \
    }
    C("algo", T_STR, algo),
    C("impl", T_CHARS, impl),
    C("name", T_CHARS, p.name),
    C("desc", T_CHARS, desc),
    C("n", T_INT, p.n),
    C("g", T_INT, p.g),
    C("ic", T_INT, p.ic),
    C("ih", T_INT, p.ih),
    C("iw", T_INT, p.iw),
    C("oc", T_INT, p.oc),
    C("oh", T_INT, p.oh),
    C("ow", T_INT, p.ow),
    C("kh", T_INT, p.kh),
    C("kw", T_INT, p.kw),
    C("sh", T_INT, p.sh),
    C("sw", T_INT, p.sw),
    C("pt", T_INT, p.pt),
    C("pb", T_INT, p.pb),
    C("pl", T_INT, p.pl),
    C("pr", T_INT, p.pr),
    C("dil_h", T_INT, p.dh),
    C("dil_w", T_INT, p.dw),
    C("bias", T_BOOL, p.bias),
    C("threads", T_INT, threads),
    C("status", T_STR, status),
    C("reason", T_CHARS, reason),
    C("plan_ms", T_F3, plan_ms),
    C("min_ms", T_F3, min_ms),
    C("median_ms", T_F3, median_ms),
    C("mean_ms", T_F3, mean_ms),
    C("stddev_ms", T_F3, stddev_ms),
    C("reps", T_INT, reps),
    C("gflops", T_F3, gflops),
    C("workspace_bytes", T_SIZE, workspace),
    C("max_abs_err", T_G, max_abs),
    C("max_rel_err", T_G, max_rel),
    C("tolerance", T_G, tol),
    /* Beyond DESIGN §7's fixed columns: */
    C("sgemm_gflops", T_F3, sgemm_gflops),
    C("sgemm_frac", T_F3, sgemm_frac),
    C("origin", T_ORIGIN, algo),
    /* Bytes malloc holds after plan() minus before (verify.c). */
    C("plan_alloc_bytes", T_SIZE, plan_alloc),
    /* --breakdown (breakdown.c): empty without it or without the phase */
    C("phase_lower_ms", T_F3, phase_ms[CONV_PH_LOWER]),
    C("phase_gemm_ms", T_F3, phase_ms[CONV_PH_GEMM]),
    C("phase_product_ms", T_F3, phase_ms[CONV_PH_PRODUCT]),
    C("phase_forward_ms", T_F3, phase_ms[CONV_PH_FORWARD]),
    C("phase_inverse_ms", T_F3, phase_ms[CONV_PH_INVERSE]),
    C("phase_input_ms", T_F3, phase_ms[CONV_PH_INPUT]),
    C("phase_output_ms", T_F3, phase_ms[CONV_PH_OUTPUT]),
    C("phase_reorder_in_ms", T_F3, phase_ms[CONV_PH_REORDER_IN]),
    C("phase_primitive_ms", T_F3, phase_ms[CONV_PH_PRIMITIVE]),
    C("phase_reorder_out_ms", T_F3, phase_ms[CONV_PH_REORDER_OUT]),
    C("median_ci", T_G, median_ci),
#undef C
};
#define NCOLUMNS (int)(sizeof columns / sizeof columns[0])

static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('"', f);
}

void conv_csv_row(FILE *f, const conv_row *r)
{
    for (int i = 0; i < NCOLUMNS; i++) {
        const void *at = (const char *)r + columns[i].off;
        if (i) fputc(',', f);
        switch (columns[i].type) {
        case T_STR:
            csv_str(f, *(const char *const *)at);
            break;
        case T_ORIGIN: {
            const char *file = conv_plugin_file(*(const char *const *)at);
            csv_str(f, file ? file : "builtin");
            break;
        }
        case T_CHARS:
            csv_str(f, (const char *)at);
            break;
        case T_INT:
            fprintf(f, "%d", *(const int *)at);
            break;
        case T_BOOL:
            fprintf(f, "%d", *(const bool *)at ? 1 : 0);
            break;
        case T_SIZE:
            fprintf(f, "%zu", *(const size_t *)at);
            break;
        case T_F3:
        case T_G: {
            double d = *(const double *)at;
            if (isnan(d)) break; /* empty: not measured */
            fprintf(f, columns[i].type == T_F3 ? "%.4f" : "%.3g", d);
            break;
        }
        }
    }
    fputc('\n', f);
}

int conv_csv_open(conv_csv *c, const char *path)
{
    snprintf(c->tmp, sizeof c->tmp, "%s.tmpXXXXXX", path);
    int fd = conv_mkstemp(c->tmp);
    c->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!c->f) {
        if (fd >= 0) close(fd), unlink(c->tmp);
        fprintf(stderr, "convbench: --csv: cannot create %s: %s\n", path,
                strerror(errno));
        return CONV_EXIT_USAGE;
    }
    for (int i = 0; i < NCOLUMNS; i++)
        fprintf(c->f, "%s%s", i ? "," : "", columns[i].name);
    fputc('\n', c->f);
    return 0;
}

int conv_csv_close(conv_csv *c, const char *path, bool keep)
{
    char err[600];
    if (!c->f) return 0;
    if (!keep) fclose(c->f), c->f = NULL; /* commit then only removes tmp */
    conv_status st = conv_file_commit(c->f, c->tmp, path, err, sizeof err);
    c->f = NULL;
    if (keep && st) {
        fprintf(stderr, "convbench: --csv: %s\n", err);
        return CONV_EXIT_USAGE;
    }
    return 0;
}
