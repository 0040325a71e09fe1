/* What most commands start with: the config, the [host] section, the
 * vault, the plugins, and the host environment for plugin instances.
 * Every problem is collected in `diags`, so `check` can list them all and
 * other commands can refuse to start with the full list. */
#ifndef NBSOAR_CLI_SETUP_H
#define NBSOAR_CLI_SETUP_H

#include <jansson.h>

#include "config.h"
#include "diag.h"
#include "host_services.h"
#include "plugin_loader.h"
#include "vault.h"

enum cli_setup_flags {
    CLI_SETUP_NO_VAULT = 1u << 0, /* listing plugins needs no secrets */
};

struct cli_setup {
    struct conf *conf;        /* NULL without -c */
    json_t *host;             /* [host] values with defaults (see config_host_keys) */
    struct vault *vault;      /* NULL when none is configured */
    struct plugin_set plugins;
    struct host_env *env;
    struct diags diags;
};

/* The command line of a command that takes only [-c CONF], --help and the
 * global options (command names it in messages).  Returns -1 to go on,
 * *conf being the -c value or NULL; else the exit code: CLI_OK after
 * printing help, CLI_USAGE after a usage error. */
int cli_setup_parse_args(int argc, char **argv, const char *command, const char *help,
                         const char **conf);

/* conf_path may be NULL (no config: defaults, NBSOAR_VAULT if set).
 * The vault is [host] vault (relative to the config file), else the file
 * NBSOAR_VAULT names.  Plugins come from [host] plugin_dir,
 * NBSOAR_PLUGIN_PATH, the build tree, the install directory.  Applies
 * [host] log_level/log_format unless given on the command line.
 * Returns 0, or -1 when s->diags holds problems; s is usable either way
 * and must be freed with cli_setup_free. */
int cli_setup_load(struct cli_setup *s, const char *conf_path, unsigned flags);

/* Validates a [source|executor|sink NAME] section without starting it:
 * plugin found, role matches the section kind, keys against the plugin's
 * table.  Problems go to s->diags with FILE:LINE.  Returns 0 with *plugin
 * (borrowed) and *config (OWNED: the object for init()), or -1. */
int cli_setup_section_config(struct cli_setup *s, const struct conf_section *sec,
                             const struct loaded_plugin **plugin, json_t **config);

/* Validates a [source|executor|sink NAME] section (plugin found, role
 * matches the section kind, keys against the plugin's table) and starts
 * its instance.  Problems go to s->diags with FILE:LINE.  Returns 0 with
 * *out OWNED by the caller (plugin_instance_stop), or -1. */
int cli_setup_start_section(struct cli_setup *s, const struct conf_section *sec, int check_mode,
                            struct plugin_instance **out);

/* Starts plugin `plugin_name` in role `kind` without a config section
 * (`nbsoar exec` with no -c): the first [kind NAME] section whose
 * `plugin =` names it is used when the config has one, else the plugin's
 * defaults (a required key without default is then a problem in diags).
 * Returns 0 with *out OWNED by the caller (plugin_instance_stop), or -1. */
int cli_setup_start_plugin(struct cli_setup *s, enum conf_kind kind, const char *plugin_name,
                           int check_mode, struct plugin_instance **out);

void cli_setup_free(struct cli_setup *s);

#endif
