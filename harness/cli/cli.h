/* cli: the command line's words: the commands and the option table that
 * fills the run settings. Depends on run/ and below. */
#ifndef CONV_CLI_H
#define CONV_CLI_H

#include "run/run.h"

typedef enum conv_command {
    CONV_CMD_LIST,
    CONV_CMD_VERIFY,
    CONV_CMD_BENCH,
    CONV_CMD_EXEC,
    CONV_CMD_GBENCH,
    CONV_CMD_SELFTEST,
    CONV_CMD_COMPARE,
    CONV_CMD_SUMMARY,
    CONV_CMD_MERGE,
    CONV_NCOMMANDS
} conv_command;

/* The options of cmd (argv after the command's name) into o, with the
 * command's defaults, then --mb, --bias and the memory cap applied to
 * every problem. Returns an exit code: CONV_EXIT_USAGE after a message
 * naming the option. o->shapes is to be freed either way. */
int conv_cli_parse(conv_opts *o, conv_command cmd, int argc, char **argv);
/* One line per option, for --help. */
void conv_cli_help_options(void);
/* "convbench: <fmt with a, b>" and a pointer to --help on stderr;
 * returns CONV_EXIT_USAGE. */
int conv_usage_error(const char *fmt, const char *a, const char *b);

#endif
