/* Long runs lose nothing: while a run with --csv goes, each complete row is
 * flushed to the CSV's temporary file as it is measured, and SIGINT or
 * SIGTERM commit the complete rows so far under the final name, with the
 * .meta.json marked "interrupted": true and the rows done and planned, then
 * exit 128 + the signal (130, 143).
 *
 * The handler may run on any thread (OpenMP, OpenBLAS workers) while the
 * main thread is in the middle of writing a row, so it never touches the
 * file being written: it copies the bytes of the rows counted complete into
 * a spare temporary file made at the start, renames that into place and
 * removes the original. Everything it calls is async-signal-safe; the meta
 * text is made at the start. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out/out.h"

static struct {
    char tmp[4200];                 /* the CSV being written */
    char path[4096], meta[4200];    /* final names */
    char spare[4200], mspare[4300]; /* spare temporaries, open as fd, mfd */
    int fd, mfd, planned;
    pid_t owner;
    char *prefix; /* meta.json without its closing brace */
    struct sigaction old_int, old_term;
    bool armed;
} g = {.fd = -1, .mfd = -1};

static atomic_long committed_bytes;
static atomic_int rows_done, committing, held_signal;
static atomic_bool holding;

/* ---- async-signal-safe helpers ------------------------------------------ */

static void put(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = write(fd, s, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return;
        s += k, n -= (size_t)k;
    }
}
static void puts_fd(int fd, const char *s)
{
    put(fd, s, strlen(s));
}
static void putint(int fd, long v)
{
    char b[24];
    int i = sizeof b;
    bool neg = v < 0;
    unsigned long u = neg ? 0UL - (unsigned long)v : (unsigned long)v;
    do b[--i] = (char)('0' + u % 10);
    while ((u /= 10) && i > 1);
    if (neg) b[--i] = '-';
    put(fd, b + i, sizeof b - (size_t)i);
}

static void meta_tail(int fd, bool interrupted, int sig)
{
    puts_fd(fd, g.prefix);
    puts_fd(fd, ",\n  \"interrupted\": ");
    puts_fd(fd, interrupted ? "true" : "false");
    if (interrupted) {
        puts_fd(fd, ",\n  \"signal\": ");
        putint(fd, sig);
    }
    puts_fd(fd, ",\n  \"rows_done\": ");
    putint(fd, atomic_load(&rows_done));
    puts_fd(fd, ",\n  \"rows_planned\": ");
    putint(fd, g.planned);
    puts_fd(fd, "\n}\n");
}

static void on_signal(int sig)
{
    static char buf[1 << 16];
    if (getpid() != g.owner) _exit(128 + sig); /* a forked child */
    if (atomic_load(&holding)) {               /* the end is being written */
        atomic_store(&held_signal, sig);
        return;
    }
    if (atomic_exchange(&committing, 1)) return; /* another thread is on it */
    long left = atomic_load(&committed_bytes);
    int in = open(g.tmp, O_RDONLY);
    bool ok = in >= 0;
    while (ok && left > 0) {
        ssize_t k =
            read(in, buf, left < (long)sizeof buf ? (size_t)left : sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) ok = false;
        if (k > 0) put(g.fd, buf, (size_t)k), left -= k;
    }
    if (in >= 0) close(in);
    ok = close(g.fd) == 0 && ok && rename(g.spare, g.path) == 0;
    unlink(g.tmp);
    if (ok) {
        meta_tail(g.mfd, true, sig);
        ok = close(g.mfd) == 0 && rename(g.mspare, g.meta) == 0;
    }
    puts_fd(2, "\nconvbench: interrupted: ");
    putint(2, atomic_load(&rows_done));
    puts_fd(2, " of ");
    putint(2, g.planned);
    puts_fd(2, ok ? " rows in " : " rows, but could not write ");
    puts_fd(2, g.path);
    puts_fd(2, "\n");
    if (!ok) unlink(g.spare), unlink(g.mspare);
    _exit(128 + sig);
}

/* ---- the meta text ------------------------------------------------------ */

/* What conv_meta_write() makes, read back from a throwaway name beside the
 * CSV, without its closing brace: the tail is added by meta_tail(). */
static conv_status meta_prefix(const char *csv_path, const conv_meta_args *m,
                               char **out, char *err, size_t len)
{
    char base[4200], file[4300];
    snprintf(base, sizeof base, "%s.tmpXXXXXX", csv_path);
    int fd = conv_mkstemp(base);
    if (fd < 0)
        return conv_why(err, len, CONV_INVALID, "%s: cannot create: %s", base,
                        strerror(errno));
    close(fd);
    snprintf(file, sizeof file, "%s.meta.json", base);
    conv_status st = conv_meta_write(base, m, err, len);
    unlink(base);
    if (st) return st;
    FILE *f = fopen(file, "r");
    char *s = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) &&
        fread(s, 1, (size_t)n, f) == (size_t)n) {
        s[n] = 0;
        char *brace = strrchr(s, '}');
        if (brace) {
            while (brace > s && (brace[-1] == '\n' || brace[-1] == ' '))
                brace--;
            *brace = 0;
        } else {
            n = -1;
        }
    } else {
        n = -1;
    }
    if (f) fclose(f);
    unlink(file);
    if (n < 0) {
        free(s);
        return conv_why(err, len, CONV_INVALID, "%s: cannot read back", file);
    }
    free(*out);
    *out = s;
    return CONV_OK;
}

/* ---- the run ------------------------------------------------------------ */

static void drop(void)
{
    if (g.fd >= 0) close(g.fd), unlink(g.spare);
    if (g.mfd >= 0) close(g.mfd), unlink(g.mspare);
    g.fd = g.mfd = -1;
    free(g.prefix);
    g.prefix = NULL;
    if (g.armed) {
        sigaction(SIGINT, &g.old_int, NULL);
        sigaction(SIGTERM, &g.old_term, NULL);
        g.armed = false;
    }
}

conv_status conv_partial_begin(const conv_csv *c, const char *path, int planned,
                               int done, const conv_meta_args *m, char *err,
                               size_t len)
{
    conv_status st = CONV_INVALID;
    snprintf(g.tmp, sizeof g.tmp, "%s", c->tmp);
    snprintf(g.path, sizeof g.path, "%s", path);
    snprintf(g.meta, sizeof g.meta, "%s.meta.json", path);
    snprintf(g.spare, sizeof g.spare, "%s.tmpXXXXXX", path);
    snprintf(g.mspare, sizeof g.mspare, "%s.tmpXXXXXX", g.meta);
    g.planned = planned;
    g.owner = getpid();
    atomic_store(&rows_done, done);
    atomic_store(&committing, 0);
    atomic_store(&held_signal, 0);
    atomic_store(&holding, false);
    if ((st = meta_prefix(path, m, &g.prefix, err, len))) goto fail;
    if ((g.fd = conv_mkstemp(g.spare)) < 0 ||
        (g.mfd = conv_mkstemp(g.mspare)) < 0) {
        st = conv_why(err, len, CONV_INVALID, "%s: cannot create: %s", path,
                      strerror(errno));
        goto fail;
    }
    /* The header is a complete line: an interrupted run keeps it. */
    if (fflush(c->f) != 0) {
        st = conv_why(err, len, CONV_INVALID, "%s: cannot write: %s", path,
                      strerror(errno));
        goto fail;
    }
    atomic_store(&committed_bytes, ftell(c->f));
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    /* A signal ignored by whoever started us (a background job of a shell
     * without job control ignores SIGINT) stays ignored. */
    sigaction(SIGINT, NULL, &g.old_int);
    sigaction(SIGTERM, NULL, &g.old_term);
    if (g.old_int.sa_handler != SIG_IGN) sigaction(SIGINT, &sa, NULL);
    if (g.old_term.sa_handler != SIG_IGN) sigaction(SIGTERM, &sa, NULL);
    g.armed = true;
    return CONV_OK;
fail:
    drop();
    return st;
}

conv_status conv_partial_row(FILE *f)
{
    if (fflush(f) != 0) return CONV_INVALID;
    atomic_store(&committed_bytes, ftell(f));
    atomic_fetch_add(&rows_done, 1);
    return CONV_OK;
}

void conv_partial_hold(void)
{
    atomic_store(&holding, true);
}

conv_status conv_partial_end(bool commit, const char *path,
                             const conv_meta_args *m, char *err, size_t len)
{
    conv_status st = CONV_OK;
    if (commit && g.prefix) {
        /* Made again: the date is the end's, as for any finished run. */
        st = meta_prefix(path, m, &g.prefix, err, len);
        if (!st) {
            meta_tail(g.mfd, false, 0);
            bool ok = close(g.mfd) == 0 && rename(g.mspare, g.meta) == 0;
            if (!ok)
                st = conv_why(err, len, CONV_INVALID, "%s: cannot write: %s",
                              g.meta, strerror(errno)),
                unlink(g.mspare);
            g.mfd = -1;
        }
    }
    drop();
    int sig = atomic_exchange(&held_signal, 0);
    atomic_store(&holding, false);
    if (sig) {
        fprintf(stderr, "convbench: %s during the end of the run: %s\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM",
                st ? "files not written" : "files complete");
        fflush(stdout);
        _exit(128 + sig);
    }
    return st;
}
