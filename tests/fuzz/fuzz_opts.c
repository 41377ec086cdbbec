/* libFuzzer target: the option parser of verify, bench, list, exec, gbench
 * and selftest (harness/cli/opts.c), through conv_cli_parse on an argv
 * made from the input (arguments split at newlines, the command from its
 * first byte). Inputs naming a path ('/') or --plugin are skipped: the
 * parser would read files or load libraries, which is not parsing.
 * Invariants: the exit code is 0 or 2 (usage); an accepted command line
 * has 1..CONV_MAX_ALGOS algorithms, 1..4 distinct directions, threads >=
 * 1, and every problem it holds passes conv_problem_check under the
 * memory cap with --mb applied; nothing leaks either way. */
#include <stdint.h>

#include "cli/cli.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 48

static void check(const conv_opts *o)
{
    char why[256];
    if (o->nalgos < 1 || o->nalgos > CONV_MAX_ALGOS)
        conv_fuzz_fail("%d algorithms", o->nalgos);
    for (int k = 0; k < o->nalgos; k++)
        if (!o->algos[k] || !o->algos[k]->name)
            conv_fuzz_fail("algorithm %d missing", k);
    if (o->ndirs < 1 || o->ndirs > CONV_NDIRS)
        conv_fuzz_fail("%d directions", o->ndirs);
    for (int i = 0; i < o->ndirs; i++)
        for (int j = 0; j < i; j++)
            if (o->dirs[i] == o->dirs[j]) conv_fuzz_fail("direction twice");
    if (o->threads < 1) conv_fuzz_fail("threads %d", o->threads);
    for (int i = 0; i < o->shapes.n; i++) {
        const conv_shape *s = &o->shapes.v[i];
        if (s->st != CONV_OK) continue;
        if (conv_problem_check(&s->p, o->mem_cap, why, sizeof why))
            conv_fuzz_fail("'%s' accepted, fails the check: %s", s->text, why);
        if (o->mb && s->p.n != o->mb) conv_fuzz_fail("--mb not applied");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const conv_command cmds[] = {CONV_CMD_LIST,   CONV_CMD_VERIFY,
                                        CONV_CMD_BENCH,  CONV_CMD_EXEC,
                                        CONV_CMD_GBENCH, CONV_CMD_SELFTEST};
    if (size < 1 || size > 4096 || memchr(data, '/', size)) return 0;
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    if (strstr(text, "--plugin") || strlen(text) != size - 1) {
        free(text);
        return 0;
    }
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    for (char *save, *t = strtok_r(text, "\n", &save); t && argc < MAX_ARGS;
         t = strtok_r(NULL, "\n", &save))
        argv[argc++] = t;
    argv[argc] = NULL;
    conv_opts o;
    const conv_command cmd = cmds[data[0] % (sizeof cmds / sizeof *cmds)];
    /* its usage messages are the point of a refusal, not noise to keep */
    const int rc = conv_cli_parse(&o, cmd, argc, argv);
    if (rc != CONV_EXIT_OK && rc != CONV_EXIT_USAGE)
        conv_fuzz_fail("exit code %d", rc);
    if (rc == CONV_EXIT_OK) check(&o);
    conv_shapes_free(&o.shapes);
    free(text);
    return 0;
}
