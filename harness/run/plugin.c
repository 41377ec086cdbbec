/* Plugins (docs/design.md §12): algorithms from shared libraries named by
 * --plugin, checked once at load and then looked up next to the built-in table.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "run/run.h"

#define MAX_PLUGIN_ALGOS 64

static struct {
    const conv_algo *algo;
    char file[1024]; /* as given on the command line */
} loaded[MAX_PLUGIN_ALGOS];
static int nloaded;

int conv_plugin_count(void)
{
    return nloaded;
}
const conv_algo *conv_plugin_algo(int i)
{
    return loaded[i].algo;
}

const char *conv_plugin_file(const char *name)
{
    for (int i = 0; i < nloaded; i++)
        if (!strcmp(loaded[i].algo->name, name)) return loaded[i].file;
    return NULL;
}

const conv_algo *conv_algo_lookup(const char *name, const char **missing)
{
    const conv_algo_entry *e = conv_algo_find(name);
    *missing = e && !e->algo ? e->missing : NULL;
    if (e) return e->algo;
    for (int i = 0; i < nloaded; i++)
        if (!strcmp(loaded[i].algo->name, name)) return loaded[i].algo;
    return NULL;
}

/* Names are CSV keys and --algo list items: no commas, quotes or spaces. */
static bool good_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63) return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_.+-",
                    *s))
            return false;
    return true;
}

/* What is wrong with algorithm i of a table, or NULL. */
static const char *check_algo(const conv_algo *a, char *buf, size_t len)
{
    const char *missing;
    if (!a) return "is NULL";
    if (!a->name) return "has no name";
    if (!good_name(a->name))
        return snprintf(buf, len,
                        "'%.80s': a name is 1-63 letters, digits or _.+-",
                        a->name),
               buf;
    if (!a->supports || !a->plan || !a->execute || !a->workspace_bytes ||
        !a->destroy)
        return snprintf(buf, len,
                        "'%s': supports, plan, execute, workspace_bytes and "
                        "destroy are required",
                        a->name),
               buf;
    if (!a->load_input != !a->store_output)
        return snprintf(buf, len,
                        "'%s': load_input and store_output come together",
                        a->name),
               buf;
    if (!isfinite(a->tolerance) || a->tolerance < 0)
        return snprintf(buf, len,
                        "'%s': tolerance %g is not a finite number >= 0",
                        a->name, a->tolerance),
               buf;
    if (!a->supports_bwd != !a->plan_bwd ||
        (a->supports_bwd && !a->execute_bwd_d && !a->execute_bwd_w))
        return snprintf(buf, len,
                        "'%s': supports_bwd, plan_bwd and an execute_bwd_d "
                        "or execute_bwd_w come together",
                        a->name),
               buf;
    if (!(a->tolerance_bwd_d >= 0 && isfinite(a->tolerance_bwd_d)) ||
        !(a->tolerance_bwd_w >= 0 && isfinite(a->tolerance_bwd_w)))
        return snprintf(buf, len,
                        "'%s': a backward tolerance is not a finite number "
                        ">= 0",
                        a->name),
               buf;
    if (conv_algo_find(a->name) || conv_algo_lookup(a->name, &missing)) {
        const char *f = conv_plugin_file(a->name);
        return snprintf(buf, len, "'%s' is already the name of %s%s", a->name,
                        f ? "an algorithm of plugin " : "a built-in algorithm",
                        f ? f : ""),
               buf;
    }
    return NULL;
}

static conv_status load_one(const char *path, char *err, size_t len)
{
    struct stat sb;
    char full[1100], what[400];
    if (stat(path, &sb) != 0)
        return conv_why(err, len, CONV_INVALID, "--plugin %s: %s", path,
                        strerror(errno));
    /* Without a slash dlopen would search the library path, not here. */
    snprintf(full, sizeof full, "%s%s", strchr(path, '/') ? "" : "./", path);
    void *h = dlopen(full, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return conv_why(err, len, CONV_INVALID, "--plugin %s: cannot load: %s",
                        path, dlerror());
    /* Kept open for the whole run: its code and names are used to the end. */
    const conv_plugin *e = dlsym(h, "conv_plugin_entry");
    if (!e)
        return conv_why(err, len, CONV_INVALID,
                        "--plugin %s: no symbol conv_plugin_entry (export "
                        "`const conv_plugin conv_plugin_entry`, see conv.h)",
                        path);
    if (e->abi_version != CONV_ABI_VERSION)
        return conv_why(err, len, CONV_INVALID,
                        "--plugin %s: ABI version %d, this convbench has %d "
                        "(rebuild the plugin against its conv.h)",
                        path, e->abi_version, CONV_ABI_VERSION);
    if (e->count <= 0)
        return conv_why(err, len, CONV_INVALID,
                        "--plugin %s: conv_plugin_entry.count is %d: needs at "
                        "least one algorithm",
                        path, e->count);
    if (!e->algos)
        return conv_why(err, len, CONV_INVALID,
                        "--plugin %s: conv_plugin_entry.algos is NULL", path);
    if (nloaded + e->count > MAX_PLUGIN_ALGOS)
        return conv_why(err, len, CONV_INVALID,
                        "--plugin %s: %d algorithms, more than the %d plugins "
                        "may add in all",
                        path, e->count, MAX_PLUGIN_ALGOS);
    const int first = nloaded;
    for (int i = 0; i < e->count; i++) {
        const char *bad = check_algo(e->algos[i], what, sizeof what);
        if (bad) {
            nloaded = first; /* all or nothing */
            return conv_why(err, len, CONV_INVALID,
                            "--plugin %s: algorithm %d of %d %s", path, i,
                            e->count, bad);
        }
        loaded[nloaded].algo = e->algos[i];
        snprintf(loaded[nloaded].file, sizeof loaded[nloaded].file, "%s", path);
        nloaded++;
    }
    return CONV_OK;
}

int conv_plugins_load_args(int argc, char **argv)
{
    char err[1600];
    for (int i = 0; i < argc && strcmp(argv[i], "--"); i++) {
        if (strcmp(argv[i], "--plugin")) continue;
        if (i + 1 >= argc) break; /* the option parser says what is missing */
        if (load_one(argv[++i], err, sizeof err) != CONV_OK) {
            fprintf(stderr, "convbench: %s\n", err);
            return CONV_EXIT_USAGE;
        }
    }
    return 0;
}
