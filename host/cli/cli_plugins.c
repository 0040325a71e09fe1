/* nbsoar plugins: every plugin found, and every file refused with why. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_setup.h"

static const char *const help =
    "usage: nbsoar plugins [-c CONF]\n\n"
    "Lists every plugin found on the search path ([host] plugin_dir of CONF,\n"
    "then NBSOAR_PLUGIN_PATH, then the build and install directories): name,\n"
    "version, ABI, roles, operation types, config keys, file; then the files\n"
    "that were refused and why.\n\n"
    "options:\n"
    "  -c, --config CONF     read [host] plugin_dir from CONF\n"
    "  -h, --help            this help\n" CLI_GLOBAL_HELP;

static const char *type_name(enum nbsoar_key_type type)
{
    static const char *const names[] = {"string", "int", "bool", "duration", "list"};
    return (unsigned)type <= NBSOAR_KEY_LIST ? names[type] : "?";
}

/* "  keys: url (string, required), token (string, secret), ..." */
static void print_keys(const struct nbsoar_config_key *keys)
{
    if (keys == NULL || keys[0].name == NULL)
        return;
    printf("  keys:");
    for (const struct nbsoar_config_key *k = keys; k->name != NULL; k++) {
        printf("%s %s%s (%s", k == keys ? "" : ",", k->name, k->flags & NBSOAR_KEY_PREFIX ? "*" : "",
               type_name(k->type));
        if (k->flags & NBSOAR_KEY_REQUIRED)
            printf(", required");
        if (k->flags & NBSOAR_KEY_SECRET)
            printf(", secret");
        if (k->default_value != NULL)
            printf(", default %s", k->default_value);
        printf(")");
    }
    printf("\n");
}

static void print_plugin(const struct loaded_plugin *p)
{
    char roles[64];
    printf("%s %s (ABI %u.%u) %s\n", p->def.name, p->def.version ? p->def.version : "?",
           p->def.abi_major, p->def.abi_minor, plugin_roles_text(p->roles, roles, sizeof(roles)));
    if (p->def.description != NULL)
        printf("  %s\n", p->def.description);
    if (p->roles & NBSOAR_ROLE_SINK) {
        printf("  operations:");
        for (const char *const *op = p->def.operations; *op != NULL; op++)
            printf("%s %s", op == p->def.operations ? "" : ",", *op);
        printf("\n");
    }
    print_keys(p->def.config);
    printf("  path: %s\n", p->path);
}

static int run(int argc, char **argv)
{
    const char *conf = NULL;
    int rc = cli_setup_parse_args(argc, argv, "plugins", help, &conf);
    if (rc >= 0)
        return rc;
    struct cli_setup s;
    int problems = cli_setup_load(&s, conf, CLI_SETUP_NO_VAULT) < 0;
    for (size_t i = 0; i < s.plugins.n_plugins; i++)
        print_plugin(&s.plugins.plugins[i]);
    if (s.plugins.n_plugins == 0) {
        printf("no plugins found in:");
        for (size_t i = 0; i < s.plugins.n_dirs; i++)
            printf(" %s", s.plugins.dirs[i]);
        printf("\n");
    }
    if (s.plugins.n_refused > 0) {
        printf("\nrefused:\n");
        for (size_t i = 0; i < s.plugins.n_refused; i++)
            printf("  %s\n", s.plugins.refused[i].reason);
    }
    if (problems)
        diags_print(&s.diags, stderr);
    cli_setup_free(&s);
    return problems ? CLI_USAGE : CLI_OK;
}

const struct cli_command cli_cmd_plugins = {
    .name = "plugins",
    .summary = "list the plugins found and the files refused",
    .run = run,
};
