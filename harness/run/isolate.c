/* Isolated rows (docs/design.md §12): a row run in a child process, so that a
 * crash or a hang costs that row, not the run.
 *
 * The children are not forked from the harness itself: a child of a
 * process that has run an OpenMP parallel region hangs at its own first one
 * (GCC's libgomp: the child waits for the parent's pool threads, which
 * fork did not copy), and the harness runs OpenMP before every row (fill,
 * reference, built-in algorithms). conv_isolate_start forks a server before
 * any of that; the server never runs OpenMP and forks one worker per row.
 * The worker makes its own tensors and reference (deterministic in seed and
 * problem, so the same as the harness's), runs conv_row_run and writes the
 * row, a plain struct, to a pipe. The harness waits for the row or the
 * worker's end with a deadline; past it the worker is killed. OpenBLAS's
 * own threads are safe across fork (it shuts them down in an atfork
 * handler). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/run.h"

#define DEFAULT_TIMEOUT_S 60.0

typedef struct request {
    const conv_algo *a; /* valid in the server: forked after the plugins */
    conv_problem p;
    conv_ctx ctx;
    conv_row r;
    bool timed;
    conv_dir dir;
    conv_fill fill; /* the caller's, which may differ from the server's */
    int threads;
} request;

typedef struct reply {
    conv_row r; /* r.algo points into the worker's memory: not read */
} reply;
/* One write of at most PIPE_BUF bytes is atomic: a killed worker leaves a
 * whole reply or none. */
_Static_assert(sizeof(reply) <= 4096, "a reply must fit one atomic write");

static pid_t server = -1;
static int to_server = -1, from_server = -1, from_worker = -1;
static char start_error[160];
static bool started;

static bool write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += k, n -= (size_t)k;
    }
    return true;
}

static bool read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += k, n -= (size_t)k;
    }
    return true;
}

static bool row_isolated(const conv_opts *o, const conv_algo *a)
{
    return o->isolate > 0 || (o->isolate == 0 && conv_plugin_file(a->name));
}

static void worker(const conv_opts *so, request *q, int res_fd)
{
    conv_opts wo = *so;
    const conv_opts *o = &wo;
    wo.fill = q->fill;
    wo.threads = q->threads;
    conv_set_threads(q->threads);
    /* The harness is to see the signal itself, not a sanitizer's report
     * of it (which exits with status 1), and no core file. */
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
        signal(fatal[i], SIG_DFL);
    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
    reply m;
    memset(&m, 0, sizeof m);
    m.r = q->r;
    conv_data d = {0};
    if (conv_timing_init(o) != CONV_OK) {
        m.r.status = CONV_ROW_ERROR;
        snprintf(m.r.reason, sizeof m.r.reason, "--cold-cache: out of memory");
    } else if (conv_data_alloc(&d, &q->p, q->dir, o->fill, o->seed) !=
               CONV_OK) {
        m.r.status = CONV_ROW_ERROR;
        snprintf(m.r.reason, sizeof m.r.reason, "out of memory for tensors");
    } else {
        conv_row_run(o, q->timed, q->a, &d, &q->ctx, &m.r);
    }
    /* _exit: the harness's stdio buffers and atexit work are not ours. */
    _exit(write_full(res_fd, &m, sizeof m) ? 0 : 3);
}

static void serve(const conv_opts *o, int req_fd, int ctl_fd, int res_fd)
{
    request q;
    while (read_full(req_fd, &q, sizeof q)) {
        pid_t w = fork();
        if (w == 0) {
            close(req_fd), close(ctl_fd);
            worker(o, &q, res_fd);
        }
        if (!write_full(ctl_fd, &w, sizeof w)) break;
        if (w < 0) continue;
        int status;
        while (waitpid(w, &status, 0) < 0)
            if (errno != EINTR) status = -1;
        if (!write_full(ctl_fd, &status, sizeof status)) break;
    }
    _exit(0);
}

void conv_isolate_start(const conv_opts *o)
{
    bool any = false;
    for (int k = 0; k < o->nalgos; k++) any |= row_isolated(o, o->algos[k]);
    if (!any || started) return;
    started = true;
    int req[2], ctl[2], res[2];
    if (pipe2(req, O_CLOEXEC) || pipe2(ctl, O_CLOEXEC) ||
        pipe2(res, O_CLOEXEC)) {
        snprintf(start_error, sizeof start_error, "pipe: %s", strerror(errno));
        return;
    }
    fflush(stdout), fflush(stderr); /* or the children would print them */
    server = fork();
    if (server < 0) {
        snprintf(start_error, sizeof start_error, "fork: %s", strerror(errno));
        return;
    }
    if (server == 0) {
        close(req[1]), close(ctl[0]), close(res[0]);
        serve(o, req[0], ctl[1], res[1]);
    }
    close(req[0]), close(ctl[1]), close(res[1]);
    to_server = req[1], from_server = ctl[0], from_worker = res[0];
    fcntl(from_worker, F_SETFL, O_NONBLOCK);
}

void conv_isolate_stop(void)
{
    if (server <= 0) return;
    close(to_server), close(from_server), close(from_worker);
    while (waitpid(server, NULL, 0) < 0 && errno == EINTR) {
    }
    server = -1;
}

/* Reads what the worker wrote so far into m; returns the bytes held. */
static size_t drain(reply *m, size_t got)
{
    while (got < sizeof *m) {
        ssize_t k = read(from_worker, (char *)m + got, sizeof *m - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    /* Anything past one reply would belong to no row: drop it. */
    char junk[256];
    while (read(from_worker, junk, sizeof junk) > 0) {
    }
    return got;
}

static void error_row(conv_row *r, const char *fmt, const char *s, double x)
{
    r->status = CONV_ROW_ERROR;
    snprintf(r->reason, sizeof r->reason, fmt, s, x);
}

/* Waits for worker w's reply in m (*got bytes of it) and its end
 * (*status, -1 unknown), killing it past limit seconds: true then. */
static bool await_worker(pid_t w, double limit, reply *m, size_t *got,
                         int *status)
{
    const double deadline = conv_now_ms() + limit * 1e3;
    bool timed_out = false;
    for (;;) {
        struct pollfd pf[2] = {{from_worker, POLLIN, 0},
                               {from_server, POLLIN, 0}};
        const double left = deadline - conv_now_ms();
        const int n = left > 0 ? poll(pf, 2, (int)ceil(left)) : 0;
        if (n < 0 && errno == EINTR) continue;
        if (pf[0].revents) *got = drain(m, *got);
        if (pf[1].revents) break; /* the worker has ended */
        if (n == 0 && conv_now_ms() >= deadline) {
            kill(w, SIGKILL);
            timed_out = true;
            break;
        }
    }
    if (!read_full(from_server, status, sizeof *status)) *status = -1;
    *got = drain(m, *got); /* written just before the worker ended */
    return timed_out;
}

void conv_row_run_isolated(const conv_opts *o, bool timed, const conv_algo *a,
                           conv_data *d, const conv_ctx *ctx, conv_row *r)
{
    if (!row_isolated(o, a)) {
        conv_row_run(o, timed, a, d, ctx, r);
        return;
    }
    snprintf(r->impl, sizeof r->impl, "%s", a->name);
    if (server <= 0) {
        error_row(r, "isolation: no server process (%s)",
                  start_error[0] ? start_error
                                 : "conv_isolate_start was not called",
                  0);
        return;
    }
    const double limit =
        o->row_timeout > 0 ? o->row_timeout : DEFAULT_TIMEOUT_S;
    request q;
    memset(&q, 0, sizeof q);
    q.a = a, q.p = d->p, q.ctx = *ctx, q.r = *r, q.timed = timed;
    q.dir = d->dir, q.fill = d->fill, q.threads = o->threads;
    pid_t w = -1;
    if (!write_full(to_server, &q, sizeof q) ||
        !read_full(from_server, &w, sizeof w) || w < 0) {
        error_row(r, "isolation: cannot start a child process%s", "", 0);
        return;
    }
    int status = 0;
    size_t got = 0;
    reply m;
    const bool timed_out = await_worker(w, limit, &m, &got, &status);
    if (timed_out) {
        error_row(r,
                  "timed out: killed after %s%g s in an isolated child "
                  "(--row-timeout)",
                  "", limit);
        return;
    }
    if (status != -1 && WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        char what[96];
        snprintf(what, sizeof what, "SIG%s, %s",
                 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", strsignal(sig));
        r->status = CONV_ROW_ERROR;
        snprintf(r->reason, sizeof r->reason,
                 "crashed: killed by signal %d (%s) in an isolated child", sig,
                 what);
        return;
    }
    if (got != sizeof m || status == -1 || !WIFEXITED(status) ||
        WEXITSTATUS(status)) {
        r->status = CONV_ROW_ERROR;
        snprintf(r->reason, sizeof r->reason,
                 "isolated child exited with status %d before reporting its "
                 "row (exit() in the algorithm, or a sanitizer report above)",
                 status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return;
    }
    /* The pipe carries the status enum: one outside it is a bad reply. */
    if ((unsigned)m.r.status >= CONV_NROW_STATUSES) {
        error_row(r, "isolated child reported an unknown status%s", "", 0);
        return;
    }
    const char *algo = r->algo;
    *r = m.r;
    r->algo = algo;
}
