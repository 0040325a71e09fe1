/* nbsoar run: the daemon (see host/src/dispatch.h). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_setup.h"
#include "dispatch.h"
#include "log.h"

static const char *const help =
    "usage: nbsoar run -c CONF [--once]\n\n"
    "Takes events from the configured sources, routes them to notebooks, runs\n"
    "each on the executor and hands the operations the notebooks emit to the\n"
    "sinks; every step is journalled, so a restart after a crash loses nothing\n"
    "and applies nothing twice.  SIGTERM or SIGINT drains (running jobs finish,\n"
    "up to [host] drain_timeout), SIGHUP reloads the routes.\n\n"
    "options:\n"
    "  -c, --config CONF     the config (required)\n"
    "      --once            poll every source once, run what is runnable to the end,\n"
    "                        print a table of the jobs; exit 1 if any job failed\n"
    "  -h, --help            this help\n" CLI_GLOBAL_HELP;

struct instances {
    struct plugin_instance **v;
    size_t n;
};

static int keep(struct instances *all, struct plugin_instance *inst)
{
    struct plugin_instance **g = realloc(all->v, (all->n + 1) * sizeof *g);
    if (g == NULL)
        return -1;
    all->v = g;
    all->v[all->n++] = inst;
    return 0;
}

/* Starts every source, executor and sink section; without an [executor]
 * section the jupyter plugin runs with its defaults as "local". */
static int start_instances(struct cli_setup *s, struct dispatcher *d, struct instances *all)
{
    static const enum conf_kind kinds[] = {CONF_EXECUTOR, CONF_SINK, CONF_SOURCE};
    char err[512];
    int bad = 0;
    for (size_t k = 0; k < 3; k++) {
        for (const struct conf_section *sec = conf_next(s->conf, kinds[k], NULL); sec;
             sec = conf_next(s->conf, kinds[k], sec)) {
            struct plugin_instance *inst = NULL;
            if (cli_setup_start_section(s, sec, 0, &inst) != 0) {
                bad = 1;
                continue;
            }
            keep(all, inst);
            if (dispatch_add_instance(d, kinds[k], inst, err, sizeof err) != 0) {
                diags_add(&s->diags, s->conf->path, sec->line, "%s", err);
                bad = 1;
            }
        }
        if (kinds[k] == CONF_EXECUTOR && conf_next(s->conf, CONF_EXECUTOR, NULL) == NULL) {
            struct plugin_instance *inst = NULL;
            if (cli_setup_start_plugin(s, CONF_EXECUTOR, "jupyter", 0, &inst) != 0) {
                bad = 1;
                continue;
            }
            keep(all, inst);
            dispatch_add_instance(d, CONF_EXECUTOR, inst, err, sizeof err);
        }
    }
    return bad ? -1 : 0;
}

static int run(int argc, char **argv)
{
    enum { OPT_ONCE = 0x2000 };
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"once", no_argument, NULL, OPT_ONCE},
                                         {"help", no_argument, NULL, 'h'},
                                         CLI_GLOBAL_LONG_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    const char *conf = NULL;
    int once = 0, c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return CLI_OK;
        }
        if (c == 'c')
            conf = optarg;
        else if (c == OPT_ONCE)
            once = 1;
        else if (!(c >= CLI_OPT_LOG_LEVEL && cli_global_option(c, optarg) == 0))
            return cli_usage_error("run");
    }
    if (optind < argc || conf == NULL) {
        fprintf(stderr, optind < argc ? "nbsoar run: unexpected argument '%s'\n"
                                      : "nbsoar run: -c CONF is required%s\n",
                optind < argc ? argv[optind] : "");
        return cli_usage_error("run");
    }
    struct cli_setup s;
    struct instances all = {0};
    struct dispatcher *d = NULL;
    char err[4096];
    int rc = CLI_USAGE;
    if (cli_setup_load(&s, conf, 0) == 0 && s.env != NULL) {
        d = dispatch_new(s.conf, s.host, once, err, sizeof err);
        if (d == NULL)
            fprintf(stderr, "nbsoar run: %s\n", err);
    }
    if (d != NULL) {
        /* Block the signals the dispatch loop waits for before any plugin
         * starts a thread (warm pool, webhook listeners): a thread with
         * them unblocked would take SIGTERM's default action and kill the
         * process instead of draining it. */
        sigset_t sigs;
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        host_env_set_event_hooks(s.env, dispatch_hooks(d));
        if (start_instances(&s, d, &all) == 0)
            rc = dispatch_run(d, s.env, stdout);
    }
    if (diags_count(&s.diags) > 0) {
        diags_sort(&s.diags);
        diags_print(&s.diags, stderr);
    }
    dispatch_free(d);
    for (size_t i = all.n; i-- > 0;)
        plugin_instance_stop(all.v[i]);
    free(all.v);
    cli_setup_free(&s);
    return rc;
}

const struct cli_command cli_cmd_run = {
    .name = "run",
    .summary = "the daemon: sources -> routes -> notebooks -> sinks (--once: one pass)",
    .run = run,
};
