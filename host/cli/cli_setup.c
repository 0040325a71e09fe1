#include "cli_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "config_map.h"
#include "log.h"
#include "nbsoar_build.h"

#include "http_client.h"

static const char *host_string(const struct cli_setup *s, const char *key)
{
    return json_string_value(json_object_get(s->host, key));
}

static int host_line(const struct cli_setup *s, const char *key)
{
    const struct conf_section *h = s->conf ? conf_host(s->conf) : NULL;
    const struct conf_entry *e = h ? conf_entry_find(h, key) : NULL;
    return e ? e->line : 0;
}

static const char *conf_path(const struct cli_setup *s)
{
    return s->conf ? s->conf->path : NULL;
}

static void load_host_section(struct cli_setup *s)
{
    const struct conf_section *h = s->conf ? conf_host(s->conf) : NULL;
    struct conf_section none = {.kind = CONF_HOST};
    config_map_section(conf_path(s), h ? h : &none, config_host_keys, "the host", NULL, NULL,
                       &s->diags, &s->host, NULL);

    const char *level = host_string(s, "log_level");
    enum nbsoar_log_level lvl;
    if (level != NULL && log_parse_level(level, &lvl) < 0)
        diags_add(&s->diags, conf_path(s), host_line(s, "log_level"),
                  "[host]: key 'log_level': '%s' is not one of error, warn, info, debug", level);
    else if (level != NULL && !cli_log_level_given())
        cli_global_option(CLI_OPT_LOG_LEVEL, level);

    const char *format = host_string(s, "log_format");
    enum log_format fmt;
    if (format != NULL && log_parse_format(format, &fmt) < 0)
        diags_add(&s->diags, conf_path(s), host_line(s, "log_format"),
                  "[host]: key 'log_format': '%s' is not one of human, json, auto", format);
    else if (format != NULL && !cli_log_format_given())
        cli_global_option(CLI_OPT_LOG_FORMAT, format);

    json_int_t workers = json_integer_value(json_object_get(s->host, "workers"));
    if (json_object_get(s->host, "workers") != NULL && (workers < 1 || workers > 1024))
        diags_add(&s->diags, conf_path(s), host_line(s, "workers"),
                  "[host]: key 'workers': %" JSON_INTEGER_FORMAT " is out of range (1..1024)",
                  workers);
}

static void load_vault(struct cli_setup *s)
{
    const char *configured = host_string(s, "vault");
    char *path = NULL;
    if (configured != NULL)
        path = conf_resolve_path(s->conf, configured);
    else if (getenv("NBSOAR_VAULT") != NULL && getenv("NBSOAR_VAULT")[0] != '\0')
        path = strdup(getenv("NBSOAR_VAULT"));
    if (path == NULL)
        return;
    struct diags vd = {0};
    s->vault = vault_load(path, &vd);
    /* A vault that cannot be opened is a problem of the [host] vault line. */
    if (s->vault == NULL && configured != NULL) {
        for (size_t i = 0; i < vd.n; i++)
            diags_add(&s->diags, conf_path(s), host_line(s, "vault"), "[host]: key 'vault': %s",
                      vd.items[i].msg ? vd.items[i].msg : "out of memory");
    } else {
        diags_append(&s->diags, &vd);
    }
    diags_free(&vd);
    free(path);
}

static void load_plugins(struct cli_setup *s)
{
    const char *configured = host_string(s, "plugin_dir");
    char *plugin_dir = configured ? conf_resolve_path(s->conf, configured) : NULL;
    struct stat st;
    if (plugin_dir != NULL && (stat(plugin_dir, &st) < 0 || !S_ISDIR(st.st_mode)))
        diags_add(&s->diags, conf_path(s), host_line(s, "plugin_dir"),
                  "[host]: key 'plugin_dir': '%s' is not a directory", plugin_dir);
    char **dirs = plugin_search_path(plugin_dir, getenv("NBSOAR_PLUGIN_PATH"),
                                     NBSOAR_BUILD_PLUGIN_PATH, NBSOAR_INSTALL_PLUGIN_DIR);
    if (dirs == NULL || plugin_set_load(&s->plugins, dirs) < 0)
        diags_add(&s->diags, NULL, 0, "out of memory while loading plugins");
    plugin_dirs_free(dirs);
    free(plugin_dir);
}

int cli_setup_parse_args(int argc, char **argv, const char *command, const char *help,
                         const char **conf)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         CLI_GLOBAL_LONG_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return CLI_OK;
        }
        if (c == 'c') {
            *conf = optarg;
            continue;
        }
        if (c >= CLI_OPT_LOG_LEVEL && cli_global_option(c, optarg) == 0)
            continue;
        return cli_usage_error(command);
    }
    if (optind < argc) {
        fprintf(stderr, "nbsoar %s: unexpected argument '%s'\n", command, argv[optind]);
        return cli_usage_error(command);
    }
    return -1;
}

int cli_setup_load(struct cli_setup *s, const char *path, unsigned flags)
{
    memset(s, 0, sizeof(*s));
    if (path != NULL && (s->conf = conf_load(path, &s->diags)) == NULL) {
        s->host = json_object();
        s->env = host_env_new(NULL, http_request);
        return -1;
    }
    load_host_section(s);
    if (!(flags & CLI_SETUP_NO_VAULT))
        load_vault(s);
    load_plugins(s);
    s->env = host_env_new(s->vault, http_request);
    if (s->env == NULL)
        diags_add(&s->diags, NULL, 0, "out of memory");
    return diags_count(&s->diags) ? -1 : 0;
}

static unsigned role_of_kind(enum conf_kind kind)
{
    switch (kind) {
    case CONF_SOURCE:
        return NBSOAR_ROLE_SOURCE;
    case CONF_EXECUTOR:
        return NBSOAR_ROLE_EXECUTOR;
    case CONF_SINK:
        return NBSOAR_ROLE_SINK;
    default:
        return 0;
    }
}

static const struct loaded_plugin *find_section_plugin(struct cli_setup *s,
                                                       const struct conf_section *sec)
{
    const char *file = conf_path(s);
    const struct conf_entry *e = conf_entry_find(sec, "plugin");
    if (e == NULL) {
        diags_add(&s->diags, file, sec->line, "%s: required key 'plugin' is missing",
                  config_section_label(sec));
        return NULL;
    }
    const struct loaded_plugin *p = plugin_set_find(&s->plugins, e->value);
    if (p == NULL) {
        char where[1024] = "";
        size_t used = 0;
        for (size_t i = 0; i < s->plugins.n_dirs && used < sizeof(where); i++)
            used += (size_t)snprintf(where + used, sizeof(where) - used, "%s%s", i ? ":" : "",
                                     s->plugins.dirs[i]);
        diags_add(&s->diags, file, e->line,
                  "%s: key 'plugin': no plugin named '%s' (searched %s%s)",
                  config_section_label(sec), e->value, used ? where : "no directory",
                  s->plugins.n_refused ? "; some plugin files were refused, see 'nbsoar plugins'"
                                       : "");
        return NULL;
    }
    unsigned want = role_of_kind(sec->kind);
    if ((p->roles & want) == 0) {
        char roles[64];
        diags_add(&s->diags, file, e->line, "%s: key 'plugin': plugin '%s' is not a %s (it is: %s)",
                  config_section_label(sec), p->def.name, conf_kind_name(sec->kind),
                  plugin_roles_text(p->roles, roles, sizeof(roles)));
        return NULL;
    }
    return p;
}

int cli_setup_section_config(struct cli_setup *s, const struct conf_section *sec,
                             const struct loaded_plugin **plugin, json_t **config)
{
    *plugin = find_section_plugin(s, sec);
    *config = NULL;
    if (*plugin == NULL)
        return -1;
    char owner[128];
    snprintf(owner, sizeof(owner), "plugin '%s'", (*plugin)->def.name);
    json_t *instance = NULL;
    int rc = config_map_section(conf_path(s), sec, (*plugin)->def.config, owner,
                                config_instance_keys, s->vault, &s->diags, config, &instance);
    json_decref(instance);
    if (rc < 0) {
        json_decref(*config);
        *config = NULL;
    }
    return rc;
}

int cli_setup_start_section(struct cli_setup *s, const struct conf_section *sec, int check_mode,
                            struct plugin_instance **out)
{
    *out = NULL;
    const struct loaded_plugin *p;
    json_t *config;
    if (cli_setup_section_config(s, sec, &p, &config) < 0)
        return -1;
    int rc = -1;
    if (s->env != NULL) {
        char err[1024];
        rc = plugin_instance_start(s->env, p, sec->name, config, check_mode, out, err, sizeof(err));
        if (rc != NBSOAR_OK) {
            diags_add(&s->diags, conf_path(s), sec->line, "%s: %s", config_section_label(sec), err);
            rc = -1;
        }
    }
    json_decref(config);
    return rc == 0 ? 0 : -1;
}

int cli_setup_start_plugin(struct cli_setup *s, enum conf_kind kind, const char *plugin_name,
                           int check_mode, struct plugin_instance **out)
{
    *out = NULL;
    for (const struct conf_section *sec = s->conf ? conf_next(s->conf, kind, NULL) : NULL;
         sec != NULL; sec = conf_next(s->conf, kind, sec)) {
        const char *p = conf_get(sec, "plugin");
        if (p != NULL && strcmp(p, plugin_name) == 0)
            return cli_setup_start_section(s, sec, check_mode, out);
    }
    /* No section: the plugin's defaults, validated as an empty section. */
    struct conf_entry plugin_entry = {.key = "plugin", .value = (char *)plugin_name, .line = 0};
    struct conf_section none = {.kind = kind, .name = (char *)plugin_name,
                                .entries = &plugin_entry, .n_entries = 1};
    return cli_setup_start_section(s, &none, check_mode, out);
}

void cli_setup_free(struct cli_setup *s)
{
    host_env_free(s->env);
    plugin_set_free(&s->plugins);
    vault_free(s->vault);
    json_decref(s->host);
    conf_free(s->conf);
    diags_free(&s->diags);
    memset(s, 0, sizeof(*s));
}
