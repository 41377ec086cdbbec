/* <csv>.meta.json: what machine and software produced a results file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifdef CONV_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef CONV_HAVE_FFTW
#include <fftw3.h>
#endif
#ifdef CONV_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

static void put_str(FILE *f, const char *key, const char *v, bool last)
{
    fprintf(f, "  \"%s\": \"", key);
    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 32)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fprintf(f, "\"%s\n", last ? "" : ",");
}

/* The value of "key\t: value" from /proc/cpuinfo, first CPU. */
static void cpuinfo(const char *key, char *out, size_t len)
{
    char line[8192];
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        size_t k = strlen(key);
        if (strncmp(line, key, k) == 0 && (line[k] == '\t' || line[k] == ' ')) {
            char *v = strchr(line, ':');
            if (!v) break;
            v += 1 + (v[1] == ' ');
            v[strcspn(v, "\n")] = 0;
            snprintf(out, len, "%s", v);
            break;
        }
    }
    fclose(f);
}

static void git_commit(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *p =
        popen("git -C '" CONV_SOURCE_DIR "' rev-parse HEAD 2>/dev/null", "r");
    if (!p) return;
    char buf[64];
    if (fgets(buf, sizeof buf, p)) {
        buf[strcspn(buf, "\n")] = 0;
        if (buf[0]) snprintf(out, len, "%s", buf);
    }
    pclose(p);
}

conv_status conv_meta_write(const char *csv_path, int argc, char **argv,
                            int threads, double sgemm_gflops, const char *fill,
                            unsigned long long seed, char *err, size_t len)
{
    char path[4096], tmp[4200], model[256], flags[4096], commit[64], date[64],
        cmd[4096] = "", buf[256];
    snprintf(path, sizeof path, "%s.meta.json", csv_path);
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);
    int fd = conv_mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd), unlink(tmp);
        return conv_why(err, len, CONV_INVALID, "%s: cannot create: %s", path,
                        strerror(errno));
    }
    cpuinfo("model name", model, sizeof model);
    cpuinfo("flags", flags, sizeof flags);
    git_commit(commit, sizeof commit);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    for (int i = 0; i < argc; i++)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s",
                 i ? " " : "", argv[i]);

    fprintf(f, "{\n");
    put_str(f, "cpu_model", model, false);
    put_str(f, "cpu_flags", flags, false);
    fprintf(f, "  \"cores\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(f, "  \"threads\": %d,\n", threads);
    put_str(f, "blas_core", conv_blas_core(), false);
    const char *ct = getenv("OPENBLAS_CORETYPE");
    put_str(f, "blas_coretype_env", ct ? ct : "", false);
    const char *to = getenv("OPENBLAS_THREAD_TIMEOUT");
    put_str(f, "blas_thread_timeout_env", to ? to : "", false);
#ifdef CONV_HAVE_OPENBLAS
    put_str(f, "openblas_config", openblas_get_config(), false);
#else
    put_str(f, "openblas_config", "not built", false);
#endif
#ifdef CONV_HAVE_FFTW
    put_str(f, "fftw_version", fftwf_version, false);
#else
    put_str(f, "fftw_version", "not built", false);
#endif
#ifdef CONV_HAVE_DNNL
    const dnnl_version_t *dv = dnnl_version();
    snprintf(buf, sizeof buf, "%d.%d.%d (%s)", dv->major, dv->minor, dv->patch,
             dv->hash);
    put_str(f, "dnnl_version", buf, false);
#else
    put_str(f, "dnnl_version", "not built", false);
#endif
    snprintf(buf, sizeof buf, "gcc %s", __VERSION__);
    put_str(f, "compiler", buf, false);
    put_str(f, "git_commit", commit, false);
    put_str(f, "date", date, false);
    put_str(f, "command", cmd, false);
    put_str(f, "fill", fill, false);
    fprintf(f, "  \"seed\": %llu,\n", seed);
    fprintf(f, "  \"sgemm_gflops\": %.3f\n}\n", sgemm_gflops);
    return conv_file_commit(f, tmp, path, err, len);
}
