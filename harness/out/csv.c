/* The CSV writer (docs/design.md §7): the columns of out.h, one row per
 * algorithm x problem, written to a temporary file and renamed into
 * place. The names of statuses and phases live here too: the CSV is
 * where they are spelled. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "out/out.h"

typedef enum {
    T_STR,
    T_DIR,
    T_STATUS,
    T_CHARS,
    T_INT,
    T_BOOL,
    T_F3,
    T_G,
    T_SIZE
} col_type;

static const struct column {
    col_type type;
    size_t off;
} columns[CONV_NCOLS] = {
#define C(id, name, type, field)                                               \
    [CONV_COL_##id] = {T_##type, offsetof(conv_row, field)},
#define PH(id, name) CONV_PHASE_COLUMN(C, id, name)
    CONV_CSV_COLUMNS(C, PH)
#undef PH
#undef C
};

const char *const conv_col_names[CONV_NCOLS] = {
#define C(id, name, type, field) [CONV_COL_##id] = name,
#define PH(id, name) CONV_PHASE_COLUMN(C, id, name)
    CONV_CSV_COLUMNS(C, PH)
#undef PH
#undef C
};

const char *const conv_phase_names[CONV_NPHASES] = {
#define X(id, name) [CONV_PH_##id] = #name,
    CONV_PHASES(X)
#undef X
};

const char *const conv_row_status_names[CONV_NROW_STATUSES] = {
#define X(s) [CONV_ROW_##s] = #s,
    CONV_ROW_STATUSES(X)
#undef X
};

int conv_row_status_parse(const char *s)
{
    for (int i = 0; i < CONV_NROW_STATUSES; i++)
        if (!strcmp(s, conv_row_status_names[i])) return i;
    return -1;
}

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
    for (int i = 0; i < CONV_NCOLS; i++) {
        const void *at = (const char *)r + columns[i].off;
        if (i) fputc(',', f);
        switch (columns[i].type) {
        case T_STR:
            csv_str(f, *(const char *const *)at);
            break;
        case T_DIR:
            csv_str(f, conv_dirs[*(const conv_dir *)at].name);
            break;
        case T_STATUS:
            csv_str(f, conv_row_status_names[*(const conv_row_status *)at]);
            break;
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
    for (int i = 0; i < CONV_NCOLS; i++)
        fprintf(c->f, "%s%s", i ? "," : "", conv_col_names[i]);
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
