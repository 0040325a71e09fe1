/* Shared by status, jobs, replay and retry: arguments and the journal. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_journal.h"
#include "config_map.h"

struct journal *cli_journal_open(const char *cmd, const char *conf_path, int read_only,
                                 struct conf **conf)
{
    struct diags d = {0};
    *conf = conf_load(conf_path, &d);
    if (*conf == NULL || diags_count(&d) > 0) {
        diags_print(&d, stderr);
        fprintf(stderr, "nbsoar %s: cannot use %s\n", cmd, conf_path);
        diags_free(&d);
        conf_free(*conf);
        *conf = NULL;
        return NULL;
    }
    diags_free(&d);
    const struct conf_section *h = conf_host(*conf);
    const char *jp = h ? conf_get(h, "journal") : NULL;
    char *path = conf_resolve_path(*conf, jp ? jp : "nbsoar.journal");
    char err[512];
    struct journal_options o = {.read_only = read_only};
    struct journal *j = path ? journal_open(path, &o, err, sizeof err) : NULL;
    if (j == NULL)
        fprintf(stderr, "nbsoar %s: %s\n", cmd, path ? err : "out of memory");
    free(path);
    if (j == NULL) {
        conf_free(*conf);
        *conf = NULL;
    }
    return j;
}

int cli_journal_args(const char *cmd, const char *help, int argc, char **argv,
                     const struct option *own, int (*take)(int code, const char *arg, void *ud),
                     void *ud, const char **conf)
{
    struct option opts[32];
    size_t n = 0;
    for (; own && own[n].name && n < 24; n++)
        opts[n] = own[n];
    opts[n++] = (struct option){"config", required_argument, NULL, 'c'};
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    opts[n++] = (struct option){"log-level", required_argument, NULL, CLI_OPT_LOG_LEVEL};
    opts[n++] = (struct option){"log-format", required_argument, NULL, CLI_OPT_LOG_FORMAT};
    opts[n] = (struct option){NULL, 0, NULL, 0};
    *conf = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return 1;
        }
        if (c == 'c')
            *conf = optarg;
        else if (c >= CLI_OPT_LOG_LEVEL && c <= CLI_OPT_LOG_FORMAT) {
            if (cli_global_option(c, optarg) != 0)
                return -1;
        } else if (take == NULL || c == '?' || c == ':' || take(c, optarg, ud) != 0) {
            cli_usage_error(cmd);
            return -1;
        }
    }
    if (*conf == NULL) {
        fprintf(stderr, "nbsoar %s: -c CONF is required\n", cmd);
        cli_usage_error(cmd);
        return -1;
    }
    return 0;
}
