/* The nbsoar command line: a registry of subcommands (one cli_<name>.c
 * each) and what they share.  Exit codes every command keeps:
 *   CLI_OK 0, CLI_FAILED 1 (the job failed), CLI_USAGE 2 (usage or config error). */
#ifndef NBSOAR_CLI_H
#define NBSOAR_CLI_H

#include <getopt.h>
#include <stdio.h>

enum cli_exit {
    CLI_OK = 0,
    CLI_FAILED = 1,
    CLI_USAGE = 2,
};

struct cli_command {
    const char *name;
    const char *summary; /* one line for `nbsoar --help` */
    /* argv[0] is the command name; getopt state is fresh. */
    int (*run)(int argc, char **argv);
};

/* Each command file defines one; main.c lists them in its registry. */
extern const struct cli_command cli_cmd_version;
extern const struct cli_command cli_cmd_plugins;
extern const struct cli_command cli_cmd_check;
extern const struct cli_command cli_cmd_exec;
extern const struct cli_command cli_cmd_cortex;

/* Options every command accepts (also before the command name):
 * put CLI_GLOBAL_LONG_OPTIONS in the command's getopt_long table and hand
 * the codes >= CLI_OPT_GLOBAL to cli_global_option(). */
#define CLI_OPT_LOG_LEVEL 0x1001
#define CLI_OPT_LOG_FORMAT 0x1002
#define CLI_GLOBAL_LONG_OPTIONS                                          \
    {"log-level", required_argument, NULL, CLI_OPT_LOG_LEVEL},           \
    {"log-format", required_argument, NULL, CLI_OPT_LOG_FORMAT}
#define CLI_GLOBAL_HELP                                                  \
    "  --log-level LEVEL     error, warn, info (default) or debug\n"     \
    "  --log-format FORMAT   human, json or auto (human on a TTY)\n"

/* Applies --log-level / --log-format.  Returns 0, or -1 after printing
 * the problem (exit with CLI_USAGE). */
int cli_global_option(int code, const char *value);
/* 1 once --log-level / --log-format was given: config must not override it. */
int cli_log_level_given(void);
int cli_log_format_given(void);

/* For getopt's '?' and ':': "Try 'nbsoar NAME --help'." on stderr. */
int cli_usage_error(const char *command);

#endif
