/* <csv>.meta.json: what machine and software produced a results file. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "out/out.h"

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

const char *const conv_meta_row_keys[] = {
    "algos", "dirs",    "problems",   "problems_hash", "fill",
    "seed",  "threads", "git_commit", "compiler",
};
const int conv_meta_row_key_count =
    (int)(sizeof conv_meta_row_keys / sizeof conv_meta_row_keys[0]);

conv_status conv_meta_write(const char *csv_path, const conv_meta_args *m,
                            char *err, size_t len)
{
    const int argc = m->argc, threads = m->threads;
    char **argv = m->argv;
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
    put_str(f, "fill", m->fill, false);
    fprintf(f, "  \"seed\": %llu,\n", m->seed);
    put_str(f, "algos", m->algos ? m->algos : "", false);
    put_str(f, "dirs", m->dirs ? m->dirs : "", false);
    fprintf(f, "  \"problems\": %d,\n", m->problems);
    /* a string: a 64-bit hash is no JSON number a reader keeps exactly */
    snprintf(buf, sizeof buf, "%016llx", m->problems_hash);
    put_str(f, "problems_hash", buf, false);
    if (m->shard_n)
        snprintf(buf, sizeof buf, "%d/%d", m->shard_i, m->shard_n);
    else
        buf[0] = 0;
    put_str(f, "shard", buf, false);
    fprintf(f, "  \"sgemm_gflops\": %.3f\n}\n", m->sgemm_gflops);
    return conv_file_commit(f, tmp, path, err, len);
}

/* ---- reading a .meta.json back: a flat object of string, number and
 * literal (true, false, null: their text) members; nested values are
 * skipped. */

static char *skip_ws(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return s;
}

/* A JSON string at s (after its quote), unescaped in place to out (never
 * ahead of s); returns the end or NULL. Escapes other than quote,
 * backslash and slash become a space ('?' for \uXXXX): the readers only
 * compare and print the values. */
static char *json_string(char *s, char *out)
{
    for (; *s != '"'; s++) {
        char ch = *s;
        if (!ch || ch == '\n') return NULL;
        if (ch == '\\') {
            s++;
            if (strchr("\"\\/", *s) && *s)
                ch = *s;
            else if (strchr("ntrbf", *s) && *s)
                ch = ' ';
            else if (*s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!s[i]) return NULL;
                s += 4;
                ch = '?';
            } else
                return NULL;
        }
        *out++ = ch;
    }
    *out = '\0';
    return s + 1;
}

/* Skips one nested array or object. */
static char *json_skip_nested(char *s)
{
    int depth = 0;
    do {
        if (!*s) return NULL;
        if (*s == '"') {
            if (!(s = json_string(s + 1, s))) return NULL;
            continue;
        }
        if (*s == '{' || *s == '[') depth++;
        if (*s == '}' || *s == ']') depth--;
        s++;
    } while (depth > 0);
    return s;
}

/* One member's value at s; a string or number is recorded under key. */
static char *json_value(conv_meta *m, const char *key, char *s)
{
    if (*s == '"') {
        char *v = s + 1;
        if (!(s = json_string(s + 1, v))) return NULL;
        if (m->n < CONV_META_MAX)
            m->kv[m->n++] = (conv_meta_kv){key, v, false, NAN};
        return s;
    }
    if (*s == '{' || *s == '[') return json_skip_nested(s);
    static const char *const literals[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        const size_t n = strlen(literals[i]);
        if (strncmp(s, literals[i], n)) continue;
        if (m->n < CONV_META_MAX)
            m->kv[m->n++] = (conv_meta_kv){key, literals[i], false, NAN};
        return s + n;
    }
    char *end;
    const double v = strtod(s, &end);
    if (end == s) return NULL;
    if (m->n < CONV_META_MAX) {
        /* the number's text stays in place: cut it after the value */
        m->kv[m->n++] = (conv_meta_kv){key, s, true, v};
    }
    return end;
}

conv_status conv_meta_parse(char *text, const char *path, conv_meta *m,
                            char *err, size_t len)
{
    memset(m, 0, sizeof *m);
    m->found = true;
    m->buf = text;
    char *s = skip_ws(text);
    if (*s++ != '{') goto bad;
    s = skip_ws(s);
    if (*s == '}') return CONV_OK;
    for (;;) {
        char *key = s + 1;
        if (*s != '"' || !(s = json_string(s + 1, key))) goto bad;
        s = skip_ws(s);
        if (*s++ != ':') goto bad;
        s = skip_ws(s);
        char *num_end = NULL;
        const int before = m->n;
        if (!(s = json_value(m, key, s))) goto bad;
        if (m->n > before && m->kv[m->n - 1].is_num) num_end = s;
        s = skip_ws(s);
        const char sep = *s;
        if (num_end) *num_end = '\0'; /* may be sep's byte: read it first */
        if (sep == '}') return CONV_OK;
        if (sep != ',') goto bad;
        s = skip_ws(s + 1);
    }
bad:
    return conv_why(err, len, CONV_INVALID,
                    "%s: byte %ld: not a flat JSON object", path,
                    (long)(s - text));
}

conv_status conv_meta_read(const char *csv_path, conv_meta *m, char *err,
                           size_t len)
{
    char path[4200], *text;
    size_t n;
    bool missing;
    memset(m, 0, sizeof *m);
    if ((size_t)snprintf(path, sizeof path, "%s.meta.json", csv_path) >=
        sizeof path)
        return conv_why(err, len, CONV_INVALID, "%s: path too long", csv_path);
    conv_status st = conv_file_read(path, &text, &n, &missing, err, len);
    if (st) return missing ? CONV_OK : st;
    if (strlen(text) != n) {
        free(text);
        return conv_why(err, len, CONV_INVALID,
                        "%s: contains NUL bytes, not a text file", path);
    }
    return conv_meta_parse(text, path, m, err, len);
}

const char *conv_meta_get(const conv_meta *m, const char *key, double *num)
{
    if (num) *num = NAN;
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->kv[i].key, key)) {
            if (num) *num = m->kv[i].num;
            return m->kv[i].str;
        }
    return NULL;
}

void conv_meta_free(conv_meta *m)
{
    free(m->buf);
    memset(m, 0, sizeof *m);
}
