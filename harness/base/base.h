/* base: what every stage of the harness may use and that knows nothing of
 * problems, rows or commands: exit codes, status names, clocks, files
 * written through a temporary, threads and the BLAS environment, installed
 * paths. Includes only algorithms/conv.h. */
#ifndef CONV_BASE_H
#define CONV_BASE_H

#include <stdbool.h>
#include <stdio.h>

#include "conv.h"

/* Exit codes (docs/design.md §5). */
enum {
    CONV_EXIT_OK = 0,
    CONV_EXIT_FAIL = 1,
    CONV_EXIT_USAGE = 2,
    CONV_EXIT_UNSUPPORTED = 3
};

/* "OK", "INVALID", "UNSUPPORTED", "NOMEM", "BACKEND". */
const char *conv_status_name(conv_status s);

double conv_now_ms(void);

/* mkstemp with the permissions an ordinary file gets (umask), for the
 * write-to-temporary-then-rename pattern every output uses. */
int conv_mkstemp(char *tmpl);
/* Closes f (written to the temporary tmp) and renames it to path; on any
 * error removes tmp and says why. f may be NULL (then only cleans up). */
conv_status conv_file_commit(FILE *f, const char *tmp, const char *path,
                             char *err, size_t len);
/* The whole file into *out (free it), with a NUL after its n bytes;
 * *missing: it does not open. */
conv_status conv_file_read(const char *path, char **out, size_t *n,
                           bool *missing, char *err, size_t len);

/* Sets the thread count of OpenMP, OpenBLAS and oneDNN at once (and turns
 * off oneDNN's primitive cache so plan_ms stays honest). */
void conv_set_threads(int threads);
/* The OpenBLAS core in use, e.g. "SkylakeX", or "none". */
const char *conv_blas_core(void);
/* Sets OPENBLAS_THREAD_TIMEOUT and, where the CPU can run a better kernel
 * set than the one picked, OPENBLAS_CORETYPE, and re-executes argv so the
 * library sees them; returns only when nothing had to change. */
void conv_fix_blas_env(char **argv);

/* The folder of the named shape sets: share/convbench/shapes next to an
 * installed binary, else the source tree's harness/shapes. */
const char *conv_shapes_dir(void);

#endif
