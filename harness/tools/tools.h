/* tools: commands that read results rather than run algorithms: compare
 * (regressions between two result files), summary (network totals) and
 * merge (shards into one result).
 * They read CSVs and metadata only through out/'s reader. Depends on out/
 * and below (summary takes named shape sets from problem/). */
#ifndef CONV_TOOLS_H
#define CONV_TOOLS_H

#include "out/out.h"

/* convbench compare BASELINE.csv CURRENT.csv: argv[0] is "compare".
 * Returns an exit code: 0 no regression, 1 regression, 2 bad input. */
int conv_compare_main(int argc, char **argv);
/* convbench summary RESULTS.csv [--per-layer] [--choice-out FILE]
 * [--networks SET]...: network totals; argv[0] is "summary". Returns 0, or
 * 2 on bad input. */
int conv_summary_main(int argc, char **argv);

/* convbench merge SHARD.csv... -o ALL.csv [--allow-missing]: the shards
 * of one run joined (docs/design.md §15); argv[0] is "merge". Returns 0,
 * or 2 after a message naming the file and what is wrong. */
int conv_merge_main(int argc, char **argv);

#endif
