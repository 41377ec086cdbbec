/* Installed files: where an installed binary finds the named shape sets. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

/* bin/convbench finds ../share/convbench/shapes; a binary in the build
 * tree has none there and uses the source tree's, compiled in. */
const char *conv_shapes_dir(void)
{
    static char dir[PATH_MAX + 64];
    if (dir[0]) return dir;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    struct stat sb;
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(dir, sizeof dir, "%s/../share/convbench/shapes", exe);
        if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) return dir;
    }
    snprintf(dir, sizeof dir, "%s", CONV_SHAPES_DIR);
    return dir;
}
