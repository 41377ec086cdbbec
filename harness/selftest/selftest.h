/* selftest: the verifier proven (docs/design.md §10). A catalogue of
 * deliberately wrong algorithms (faults.c), each run through the row
 * driver on problems chosen to expose it; the real algorithms must pass
 * the same problems. Depends on run/ and below. */
#ifndef CONV_SELFTEST_H
#define CONV_SELFTEST_H

#include "run/run.h"

/* The problems the self-test runs, chosen to expose the faults. */
typedef struct conv_selftest_problem {
    const char *name, *desc;
    bool bias;
} conv_selftest_problem;

/* One run of a faulty algorithm: problem (a name above), fill, threads,
 * what the FAILED row's reason must contain (NULL: the row must pass) and
 * direction. */
typedef struct conv_fault_case {
    const char *problem;
    conv_fill fill;
    int threads;
    const char *expect;
    conv_dir dir; /* the direction it runs (forward when not given) */
} conv_fault_case;

/* A deliberately wrong algorithm: the catalogue's correct base with one
 * piece replaced. Never in the registry. */
typedef struct conv_fault {
    const char *what;         /* the fault, in words */
    conv_algo algo;           /* algo.name is the fault's name */
    conv_fault_case cases[2]; /* unused ones have problem NULL */
} conv_fault;

extern const conv_selftest_problem conv_selftest_problems[];
extern const int conv_selftest_problem_count;
extern const conv_fault conv_faults[];
extern const int conv_fault_count;
extern const conv_algo conv_fault_base; /* the correct base itself */

/* convbench selftest: every fault through the row driver, and the real
 * algorithms on the same problems. Returns an exit code. */
int conv_selftest(conv_opts *o);

#endif
