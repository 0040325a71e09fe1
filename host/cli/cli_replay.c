/* nbsoar replay EVENT and nbsoar retry JOB: queue work again through the
 * journal; a running daemon picks it up. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_journal.h"
#include "dispatch.h"

static const char *const replay_help =
    "usage: nbsoar replay -c CONF EVENT [--route NAME]\n\n"
    "Queues new jobs for the journalled event EVENT (its id) through the routes\n"
    "it matches now, or through route NAME only.  Prints the new job ids.\n\n"
    "options:\n"
    "  -c, --config CONF     the config (required)\n"
    "      --route NAME      run this route's notebooks whatever it matches\n"
    "  -h, --help            this help\n" CLI_GLOBAL_HELP;

static const char *const retry_help =
    "usage: nbsoar retry -c CONF JOB\n\n"
    "Puts job JOB back in the queue now (a failed, dead or waiting job).\n\n"
    "options:\n"
    "  -c, --config CONF     the config (required)\n"
    "  -h, --help            this help\n" CLI_GLOBAL_HELP;

static int route_take(int code, const char *arg, void *ud)
{
    if (code != 'R')
        return -1;
    *(const char **)ud = arg;
    return 0;
}

static int one_positional(const char *cmd, int argc, const char *what)
{
    if (argc - optind != 1) {
        fprintf(stderr, "nbsoar %s: %s\n", cmd, argc - optind < 1 ? what : "too many arguments");
        cli_usage_error(cmd);
        return -1;
    }
    return 0;
}

static int replay_run(int argc, char **argv)
{
    static const struct option own[] = {{"route", required_argument, NULL, 'R'},
                                        {NULL, 0, NULL, 0}};
    const char *route = NULL, *conf_path;
    int a = cli_journal_args("replay", replay_help, argc, argv, own, route_take, &route, &conf_path);
    if (a != 0)
        return a > 0 ? CLI_OK : CLI_USAGE;
    if (one_positional("replay", argc, "EVENT is required") != 0)
        return CLI_USAGE;
    struct conf *conf;
    struct journal *j = cli_journal_open("replay", conf_path, 0, &conf);
    if (j == NULL)
        return CLI_USAGE;
    char err[2048];
    json_t *ids = NULL;
    int rc = CLI_OK;
    if (dispatch_replay(conf, j, argv[optind], route, &ids, err, sizeof err) != 0) {
        fprintf(stderr, "nbsoar replay: %s\n", err);
        rc = CLI_FAILED;
    } else {
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id) printf("queued %s\n", json_string_value(id));
    }
    json_decref(ids);
    journal_close(j);
    conf_free(conf);
    return rc;
}

static int retry_run(int argc, char **argv)
{
    const char *conf_path;
    int a = cli_journal_args("retry", retry_help, argc, argv, NULL, NULL, NULL, &conf_path);
    if (a != 0)
        return a > 0 ? CLI_OK : CLI_USAGE;
    if (one_positional("retry", argc, "JOB is required") != 0)
        return CLI_USAGE;
    struct conf *conf;
    struct journal *j = cli_journal_open("retry", conf_path, 0, &conf);
    if (j == NULL)
        return CLI_USAGE;
    char err[512];
    int rc = CLI_OK;
    if (journal_requeue_job(j, argv[optind], err, sizeof err) != 0) {
        fprintf(stderr, "nbsoar retry: %s\n", err);
        rc = CLI_FAILED;
    } else {
        printf("queued %s\n", argv[optind]);
    }
    journal_close(j);
    conf_free(conf);
    return rc;
}

const struct cli_command cli_cmd_replay = {
    .name = "replay",
    .summary = "queue an event's jobs again (--route NAME)",
    .run = replay_run,
};

const struct cli_command cli_cmd_retry = {
    .name = "retry",
    .summary = "put a failed or dead job back in the queue",
    .run = retry_run,
};
