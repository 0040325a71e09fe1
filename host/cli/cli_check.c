/* nbsoar check: load config, vault and plugins, init every plugin section
 * in check mode, and report every problem at once with file and line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_setup.h"
#include "config_map.h"
#include "dispatch_internal.h"

static const char *const help =
    "usage: nbsoar check -c CONF\n\n"
    "Loads CONF, the vault and the plugins, validates every section against\n"
    "its plugin's keys and calls each plugin's init in check mode (no\n"
    "connections, no side effects; in a child process, so a plugin that\n"
    "crashes is reported, not fatal).  Builds the routes (bad regexes with\n"
    "pattern and offset), checks the executors, sinks and local notebooks they\n"
    "name, source intervals and sink rates.  Lists every problem as FILE:LINE: message.\n"
    "Exits 0 when the config is usable, 2 when there is any problem.\n\n"
    "options:\n"
    "  -c, --config CONF     the config to check (required)\n"
    "  -h, --help            this help\n" CLI_GLOBAL_HELP;

/* Runs init (check mode) and shutdown in a child process, so a plugin that
 * crashes or exits in init is reported as a problem instead of ending the
 * check.  The child sends init's error message back through a pipe. */
static void check_init_isolated(struct cli_setup *s, const struct conf_section *sec,
                                const struct loaded_plugin *p, const json_t *config)
{
    int fds[2];
    if (pipe(fds) < 0) {
        diags_add(&s->diags, s->conf->path, sec->line, "%s: cannot check init: %s",
                  config_section_label(sec), strerror(errno));
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        char err[1024] = "";
        struct plugin_instance *inst = NULL;
        int rc = plugin_instance_start(s->env, p, sec->name, config, 1, &inst, err, sizeof(err));
        plugin_instance_stop(inst);
        if (rc != NBSOAR_OK && write(fds[1], err, strlen(err)) < 0)
            _exit(4);
        _exit(rc == NBSOAR_OK ? 0 : 3); /* _exit: the parent's state is not ours to clean */
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        diags_add(&s->diags, s->conf->path, sec->line, "%s: cannot check init: %s",
                  config_section_label(sec), strerror(errno));
        return;
    }
    char msg[1024];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof(msg) - 1 && ((r = read(fds[0], msg + got, sizeof(msg) - 1 - got)) > 0 ||
                                     (r < 0 && errno == EINTR)))
        got += r > 0 ? (size_t)r : 0;
    msg[got] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    const char *label = config_section_label(sec);
    if (WIFSIGNALED(status))
        diags_add(&s->diags, s->conf->path, sec->line, "%s: init of plugin '%s' crashed (%s)",
                  label, p->def.name, strsignal(WTERMSIG(status)));
    else if (WEXITSTATUS(status) == 3)
        diags_add(&s->diags, s->conf->path, sec->line, "%s: %s", label, msg);
    else if (WEXITSTATUS(status) != 0)
        diags_add(&s->diags, s->conf->path, sec->line,
                  "%s: init of plugin '%s' ended the process (exit status %d)", label,
                  p->def.name, WEXITSTATUS(status));
}

static void check_sections(struct cli_setup *s, size_t counts[5])
{
    for (size_t i = 0; s->conf != NULL && i < s->conf->n_sections; i++) {
        const struct conf_section *sec = &s->conf->sections[i];
        counts[sec->kind]++;
        if (sec->kind == CONF_HOST || sec->kind == CONF_ROUTE)
            continue; /* [host] is checked on load; routes below */
        const struct loaded_plugin *p;
        json_t *config;
        if (cli_setup_section_config(s, sec, &p, &config) == 0 && s->env != NULL)
            check_init_isolated(s, sec, p, config);
        json_decref(config);
    }
}

static int run(int argc, char **argv)
{
    const char *conf = NULL;
    int rc = cli_setup_parse_args(argc, argv, "check", help, &conf);
    if (rc >= 0)
        return rc;
    if (conf == NULL) {
        fprintf(stderr, "nbsoar check: -c CONF is required\n");
        return cli_usage_error("check");
    }
    struct cli_setup s;
    size_t counts[5] = {0};
    cli_setup_load(&s, conf, 0);
    check_sections(&s, counts);
    if (s.conf != NULL)
        dispatch_check_conf(s.conf, &s.diags);
    for (size_t i = 0; i < s.plugins.n_refused; i++)
        fprintf(stderr, "warning: plugin refused: %s\n", s.plugins.refused[i].reason);
    size_t n = diags_count(&s.diags);
    if (n > 0) {
        diags_sort(&s.diags);
        diags_print(&s.diags, stderr);
        fprintf(stderr, "nbsoar check: %zu problem%s in %s\n", n, n == 1 ? "" : "s", conf);
    } else {
        printf("%s: OK (%zu source%s, %zu executor%s, %zu sink%s, %zu route%s; %zu plugin%s "
               "loaded)\n",
               conf, counts[CONF_SOURCE], counts[CONF_SOURCE] == 1 ? "" : "s",
               counts[CONF_EXECUTOR], counts[CONF_EXECUTOR] == 1 ? "" : "s", counts[CONF_SINK],
               counts[CONF_SINK] == 1 ? "" : "s", counts[CONF_ROUTE],
               counts[CONF_ROUTE] == 1 ? "" : "s", s.plugins.n_plugins,
               s.plugins.n_plugins == 1 ? "" : "s");
    }
    cli_setup_free(&s);
    return n > 0 ? CLI_USAGE : CLI_OK;
}

const struct cli_command cli_cmd_check = {
    .name = "check",
    .summary = "validate a config: every problem with file and line",
    .run = run,
};
