#!/usr/bin/env bash
# The harness's architecture (docs/design.md §8), checked on the source:
#   - stages include only their own header and lower stages' headers
#     (base <- problem <- out <- run <- selftest; out <- tools; run <- cli);
#   - run/row.c alone calls an algorithm's plan, execute, destroy,
#     load_input and store_output;
#   - each stage folder has one header.
# Usage: test_layers.sh SOURCE_DIR
set -u
src=${1:?usage: test_layers.sh SOURCE_DIR}
cd "$src/harness" || exit 2
fail=0
# stage | the folders whose headers it may include
allowed=(
    "base|base"
    "problem|base problem"
    "out|base problem out"
    "run|base problem out run"
    "selftest|base problem out run selftest"
    "tools|base problem out tools"
    "cli|base problem out run cli"
)
for entry in "${allowed[@]}"; do
    stage=${entry%%|*}
    ok=" ${entry#*|} "
    [ -d "$stage" ] || { echo "FAIL: no folder harness/$stage"; fail=1; continue; }
    # every quoted include of a stage header: "folder/file.h"
    while IFS=: read -r file inc; do
        dir=${inc%%/*}
        case "$ok" in
        *" $dir "*) ;;
        *) echo "FAIL: harness/$file includes $inc: $stage may not depend on $dir"
           fail=1 ;;
        esac
    done < <(grep -oE '#include "[a-z]+/[a-z_]+\.h"' -r "$stage" |
             sed -E 's/#include "([^"]+)"/\1/')
    n=$(find "$stage" -maxdepth 1 -name '*.h' | wc -l)
    [ "$n" -eq 1 ] || { echo "FAIL: harness/$stage has $n headers, not one"; fail=1; }
done
# the old catch-all header is gone
[ ! -e harness.h ] || { echo "FAIL: harness/harness.h still exists"; fail=1; }
callers=$(grep -rlE -- '->(plan|execute|destroy|load_input|store_output)\(' . |
          sort | tr '\n' ' ')
if [ "$callers" != "./run/row.c " ]; then
    echo "FAIL: algorithm calls outside run/row.c: $callers"
    fail=1
fi
[ $fail -eq 0 ] && echo "layers: every stage depends downwards; run/row.c is the one caller"
exit $fail
