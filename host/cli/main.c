/* nbsoar: global options, then one subcommand from the registry below.
 * Exit codes: 0 ok, 1 the job failed, 2 usage or config error. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "nbsoar_build.h"

#include "http_client.h"

/* Adding a command: a cli_<name>.c defining cli_cmd_<name>, one line here,
 * one line in meson.build. */
static const struct cli_command *const commands[] = {
    &cli_cmd_version,
    &cli_cmd_plugins,
    &cli_cmd_check,
    &cli_cmd_exec,
    &cli_cmd_cortex,
    &cli_cmd_run,
    &cli_cmd_status,
    &cli_cmd_jobs,
    &cli_cmd_replay,
    &cli_cmd_retry,
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static enum nbsoar_log_level cur_level = NBSOAR_LOG_INFO;
static enum log_format cur_format = LOG_FORMAT_AUTO;
static int level_given, format_given;

int cli_global_option(int code, const char *value)
{
    if (code == CLI_OPT_LOG_LEVEL) {
        if (log_parse_level(value, &cur_level) < 0) {
            fprintf(stderr, "nbsoar: --log-level: '%s' is not one of error, warn, info, debug\n",
                    value);
            return -1;
        }
        level_given = 1;
    } else if (code == CLI_OPT_LOG_FORMAT) {
        if (log_parse_format(value, &cur_format) < 0) {
            fprintf(stderr, "nbsoar: --log-format: '%s' is not one of human, json, auto\n", value);
            return -1;
        }
        format_given = 1;
    } else {
        return -1;
    }
    log_setup(cur_level, cur_format, NULL);
    return 0;
}

int cli_log_level_given(void)
{
    return level_given;
}

int cli_log_format_given(void)
{
    return format_given;
}

int cli_usage_error(const char *command)
{
    fprintf(stderr, "Try 'nbsoar %s --help'.\n", command);
    return CLI_USAGE;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: nbsoar [--log-level LEVEL] [--log-format FORMAT] COMMAND [OPTIONS]\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\noptions:\n" CLI_GLOBAL_HELP
                 "\nRun 'nbsoar COMMAND --help' for a command's options.\n"
                 "Exit codes: 0 ok, 1 the job failed, 2 usage or config error.\n");
}

/* "--opt value" or "--opt=value"; returns how many argv slots it used. */
static int global_option(int argc, char **argv, int i, int *code, const char **value)
{
    static const struct {
        const char *name;
        int code;
    } opts[] = {{"--log-level", CLI_OPT_LOG_LEVEL}, {"--log-format", CLI_OPT_LOG_FORMAT}};
    for (size_t k = 0; k < 2; k++) {
        size_t n = strlen(opts[k].name);
        if (strncmp(argv[i], opts[k].name, n) != 0)
            continue;
        *code = opts[k].code;
        if (argv[i][n] == '=') {
            *value = argv[i] + n + 1;
            return 1;
        }
        if (argv[i][n] == '\0' && i + 1 < argc) {
            *value = argv[i + 1];
            return 2;
        }
        if (argv[i][n] == '\0')
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    log_setup(cur_level, cur_format, NULL);
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(argv[i], "--version") == 0)
            return cli_cmd_version.run(1, (char *[]){"version", NULL});
        int code;
        const char *value;
        int used = global_option(argc, argv, i, &code, &value);
        if (used < 0) {
            fprintf(stderr, "nbsoar: %s needs a value\n", argv[i]);
            return CLI_USAGE;
        }
        if (used == 0) {
            fprintf(stderr, "nbsoar: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        }
        if (cli_global_option(code, value) < 0)
            return CLI_USAGE;
        i += used;
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    for (size_t k = 0; k < N_COMMANDS; k++) {
        if (strcmp(argv[i], commands[k]->name) != 0)
            continue;
        int rc = commands[k]->run(argc - i, argv + i);
        http_global_cleanup();
        return rc;
    }
    fprintf(stderr, "nbsoar: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return CLI_USAGE;
}
