/* nbsoar: subcommand dispatch.  Exit codes: 0 ok, 1 the job failed,
 * 2 usage or config error. */
#include <stdio.h>
#include <string.h>

#include "nbsoar/plugin.h"
#include "nbsoar_build.h"

static int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: nbsoar version\n\nPrints the host version and the plugin ABI it speaks.\n");
        return 0;
    }
    printf("nbsoar %s\nplugin ABI %d.%d\n", NBSOAR_VERSION, NBSOAR_ABI_MAJOR, NBSOAR_ABI_MINOR);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nbsoar COMMAND [OPTIONS]\n\n"
            "commands:\n"
            "  version   host version and plugin ABI\n\n"
            "Run 'nbsoar COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    fprintf(stderr, "nbsoar: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
