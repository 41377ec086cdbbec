/* Progress of verify and bench on stderr: rows done of the total, elapsed
 * time and an estimate of the time left (elapsed / done * left: rows differ
 * in cost, so it firms up as the run goes). On a terminal one line is
 * rewritten in place; otherwise (--progress) one line per row. */
#include <stdio.h>
#include <unistd.h>

#include "out/out.h"

void conv_progress_start(conv_progress *pr, bool forced, bool quiet, int total)
{
    pr->tty = isatty(2);
    pr->on = forced || (pr->tty && !quiet);
    pr->total = total;
    pr->done = 0;
    pr->t0 = conv_now_ms();
}

static void clock_text(char *buf, size_t len, double ms)
{
    long s = (long)(ms / 1000 + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

void conv_progress_row(conv_progress *pr, const char *algo, const char *what)
{
    if (!pr->on) return;
    char el[32], eta[32] = "?";
    const double ms = conv_now_ms() - pr->t0;
    clock_text(el, sizeof el, ms);
    if (pr->done)
        clock_text(eta, sizeof eta, ms / pr->done * (pr->total - pr->done));
    /* "\033[K" clears what a longer previous line left. */
    fprintf(stderr, "%s[%d/%d rows] %s elapsed, ETA %s  %-14s %.40s%s",
            pr->tty ? "\r" : "", pr->done, pr->total, el, eta, algo, what,
            pr->tty ? "\033[K" : "\n");
}

void conv_progress_done(conv_progress *pr)
{
    pr->done++;
}

void conv_progress_clear(const conv_progress *pr)
{
    if (pr->on && pr->tty) fprintf(stderr, "\r\033[K");
}

void conv_progress_end(const conv_progress *pr)
{
    if (!pr->on) return;
    char el[32];
    clock_text(el, sizeof el, conv_now_ms() - pr->t0);
    conv_progress_clear(pr);
    fprintf(stderr, "[%d/%d rows] %s elapsed\n", pr->done, pr->total, el);
}
