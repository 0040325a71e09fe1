/* nbsoar version: host version and plugin ABI. */
#include <stdio.h>

#include "cli.h"
#include "nbsoar/plugin.h"
#include "nbsoar_build.h"

static const char *const help =
    "usage: nbsoar version\n\n"
    "Prints the host version and the plugin ABI it speaks (plugins must have\n"
    "the same ABI major and a minor no newer than the host's).\n\n"
    "options:\n"
    "  -h, --help            this help\n";

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, CLI_GLOBAL_LONG_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return CLI_OK;
        }
        if (c >= CLI_OPT_LOG_LEVEL && cli_global_option(c, optarg) == 0)
            continue;
        return cli_usage_error("version");
    }
    if (optind < argc) {
        fprintf(stderr, "nbsoar version: unexpected argument '%s'\n", argv[optind]);
        return cli_usage_error("version");
    }
    printf("nbsoar %s\nplugin ABI %d.%d\n", NBSOAR_VERSION, NBSOAR_ABI_MAJOR, NBSOAR_ABI_MINOR);
    return CLI_OK;
}

const struct cli_command cli_cmd_version = {
    .name = "version",
    .summary = "host version and plugin ABI",
    .run = run,
};
