#include "plugin_loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LDD_HINT "missing dependencies? check with ldd(1)"
/* Bounds the walk over a key table whose NULL terminator may be missing. */
#define MAX_CONFIG_KEYS 512

static int add_dir(char ***dirs, size_t *n, const char *dir, size_t len)
{
    if (len == 0)
        return 0;
    char *copy = strndup(dir, len);
    if (copy == NULL)
        return -1;
    char real_new[PATH_MAX];
    int have_real = realpath(copy, real_new) != NULL;
    for (size_t i = 0; i < *n; i++) {
        char real_old[PATH_MAX];
        if (strcmp((*dirs)[i], copy) == 0 ||
            (have_real && realpath((*dirs)[i], real_old) != NULL && strcmp(real_old, real_new) == 0)) {
            free(copy);
            return 0;
        }
    }
    char **grown = realloc(*dirs, (*n + 2) * sizeof(**dirs));
    if (grown == NULL) {
        free(copy);
        return -1;
    }
    *dirs = grown;
    (*dirs)[(*n)++] = copy;
    (*dirs)[*n] = NULL;
    return 0;
}

static int add_colon_list(char ***dirs, size_t *n, const char *list)
{
    for (const char *p = list; p != NULL && *p != '\0';) {
        size_t len = strcspn(p, ":");
        if (add_dir(dirs, n, p, len) < 0)
            return -1;
        p += len;
        if (*p == ':')
            p++;
    }
    return 0;
}

char **plugin_search_path(const char *plugin_dir, const char *env_path, const char *build_path,
                          const char *install_dir)
{
    char **dirs = calloc(1, sizeof(*dirs));
    size_t n = 0;
    if (dirs == NULL || (plugin_dir && add_dir(&dirs, &n, plugin_dir, strlen(plugin_dir)) < 0) ||
        add_colon_list(&dirs, &n, env_path) < 0 || add_colon_list(&dirs, &n, build_path) < 0 ||
        (install_dir && add_dir(&dirs, &n, install_dir, strlen(install_dir)) < 0)) {
        plugin_dirs_free(dirs);
        return NULL;
    }
    return dirs;
}

void plugin_dirs_free(char **dirs)
{
    for (size_t i = 0; dirs != NULL && dirs[i] != NULL; i++)
        free(dirs[i]);
    free(dirs);
}

static int refuse(struct plugin_set *set, void *handle, const char *path, const char *fmt, ...)
    NBSOAR_PRINTF(4, 5);

static int refuse(struct plugin_set *set, void *handle, const char *path, const char *fmt, ...)
{
    char *body = NULL, *reason = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&body, fmt, ap) < 0)
        body = NULL;
    va_end(ap);
    /* Only now: the arguments may point into the plugin (its name). */
    if (handle != NULL)
        dlclose(handle);
    if (body == NULL || asprintf(&reason, "%s: %s", path, body) < 0)
        reason = NULL;
    free(body);
    char *path_copy = strdup(path);
    struct plugin_refusal *grown =
        realloc(set->refused, (set->n_refused + 1) * sizeof(*set->refused));
    if (grown == NULL || reason == NULL || path_copy == NULL) {
        free(reason);
        free(path_copy);
        if (grown != NULL)
            set->refused = grown;
        return -1;
    }
    set->refused = grown;
    set->refused[set->n_refused++] = (struct plugin_refusal){.path = path_copy, .reason = reason};
    return -1;
}

static int valid_name(const char *name)
{
    if (name[0] == '\0')
        return 0;
    for (const char *p = name; *p; p++)
        if (!(*p == '_' || *p == '-' || *p == '.' || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* A readable reason when the declared key table is unusable, else NULL. */
static const char *check_config_table(const struct nbsoar_config_key *keys)
{
    for (size_t i = 0; keys != NULL; i++) {
        if (i >= MAX_CONFIG_KEYS)
            return "config key table has no NULL-name terminator";
        if (keys[i].name == NULL)
            return NULL;
        if (keys[i].name[0] == '\0')
            return "config key table has an empty key name";
        if ((unsigned)keys[i].type > NBSOAR_KEY_LIST)
            return "config key table has a key of unknown type";
    }
    return NULL;
}

int plugin_set_add_file(struct plugin_set *set, const char *path)
{
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        return refuse(set, NULL, path, "cannot load: %s (%s)", why ? why : "unknown error", LDD_HINT);
    }
    dlerror();
    void *sym = dlsym(handle, NBSOAR_PLUGIN_ENTRY);
    if (sym == NULL) {
        const char *why = dlerror();
        return refuse(set, handle, path, "no symbol %s: %s; not an nbsoar plugin? (%s)",
                      NBSOAR_PLUGIN_ENTRY, why ? why : "symbol is NULL", LDD_HINT);
    }
    nbsoar_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof(entry)); /* object pointer to function pointer, as POSIX allows */
    const struct nbsoar_plugin *p = entry();
    if (p == NULL)
        return refuse(set, handle, path, "%s() returned NULL", NBSOAR_PLUGIN_ENTRY);
    /* Only the three header fields are read before they are checked. */
    uint32_t major = p->abi_major, minor = p->abi_minor, size = p->struct_size;
    if (major != NBSOAR_ABI_MAJOR)
        return refuse(set, handle, path,
                      "plugin ABI %u.%u, host ABI %d.%d: major versions differ; rebuild the "
                      "plugin against this host's <nbsoar/plugin.h>",
                      major, minor, NBSOAR_ABI_MAJOR, NBSOAR_ABI_MINOR);
    if (minor > NBSOAR_ABI_MINOR)
        return refuse(set, handle, path,
                      "plugin ABI %u.%u is newer than host ABI %d.%d; upgrade nbsoar", major,
                      minor, NBSOAR_ABI_MAJOR, NBSOAR_ABI_MINOR);
    if (size < NBSOAR_PLUGIN_MIN_SIZE)
        return refuse(set, handle, path,
                      "struct_size %u is smaller than the ABI 1.0 plugin struct (%zu bytes) "
                      "(plugin ABI %u.%u, host ABI %d.%d); build it with NBSOAR_PLUGIN_HEADER",
                      size, NBSOAR_PLUGIN_MIN_SIZE, major, minor, NBSOAR_ABI_MAJOR,
                      NBSOAR_ABI_MINOR);
    struct nbsoar_plugin def;
    memset(&def, 0, sizeof(def));
    memcpy(&def, p, size < sizeof(def) ? size : sizeof(def));
    if (def.name == NULL)
        return refuse(set, handle, path, "plugin has no name (name is NULL)");
    if (!valid_name(def.name))
        return refuse(set, handle, path, "plugin name '%.64s' is invalid (letters, digits, '_', '.', '-')",
                      def.name);
    unsigned roles = (def.poll ? NBSOAR_ROLE_SOURCE : 0) | (def.run ? NBSOAR_ROLE_EXECUTOR : 0) |
                     (def.apply ? NBSOAR_ROLE_SINK : 0);
    if (roles == 0)
        return refuse(set, handle, path, "plugin '%s' has no poll, run or apply callback", def.name);
    if ((roles & NBSOAR_ROLE_SINK) && (def.operations == NULL || def.operations[0] == NULL))
        return refuse(set, handle, path,
                      "sink plugin '%s' lists no operation types (use {\"*\", NULL} for any)",
                      def.name);
    const char *bad_table = check_config_table(def.config);
    if (bad_table != NULL)
        return refuse(set, handle, path, "plugin '%s': %s", def.name, bad_table);
    const struct loaded_plugin *dup = plugin_set_find(set, def.name);
    if (dup != NULL)
        return refuse(set, handle, path,
                      "duplicate plugin name '%s': already loaded from %s; this file is ignored",
                      def.name, dup->path);
    char *path_copy = strdup(path);
    struct loaded_plugin *grown =
        realloc(set->plugins, (set->n_plugins + 1) * sizeof(*set->plugins));
    if (path_copy == NULL || grown == NULL) {
        free(path_copy);
        if (grown != NULL)
            set->plugins = grown;
        return refuse(set, handle, path, "out of memory");
    }
    set->plugins = grown;
    set->plugins[set->n_plugins++] =
        (struct loaded_plugin){.path = path_copy, .handle = handle, .def = def, .roles = roles};
    return 0;
}

static int is_shared_object(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 3 && strcmp(e->d_name + n - 3, ".so") == 0;
}

int plugin_set_load(struct plugin_set *set, char *const *dirs)
{
    for (size_t i = 0; dirs != NULL && dirs[i] != NULL; i++) {
        char **grown = realloc(set->dirs, (set->n_dirs + 2) * sizeof(*set->dirs));
        if (grown == NULL)
            return -1;
        set->dirs = grown;
        if ((set->dirs[set->n_dirs] = strdup(dirs[i])) == NULL)
            return -1;
        set->dirs[++set->n_dirs] = NULL;
        struct dirent **list = NULL;
        int n = scandir(dirs[i], &list, is_shared_object, alphasort);
        for (int j = 0; j < n; j++) {
            char *path = NULL;
            if (asprintf(&path, "%s/%s", dirs[i], list[j]->d_name) >= 0) {
                plugin_set_add_file(set, path);
                free(path);
            }
            free(list[j]);
        }
        free(list);
    }
    return 0;
}

const struct loaded_plugin *plugin_set_find(const struct plugin_set *set, const char *name)
{
    for (size_t i = 0; i < set->n_plugins; i++)
        if (strcmp(set->plugins[i].def.name, name) == 0)
            return &set->plugins[i];
    return NULL;
}

void plugin_set_free(struct plugin_set *set)
{
    for (size_t i = 0; i < set->n_plugins; i++) {
        free(set->plugins[i].path);
        dlclose(set->plugins[i].handle);
    }
    for (size_t i = 0; i < set->n_refused; i++) {
        free(set->refused[i].path);
        free(set->refused[i].reason);
    }
    for (size_t i = 0; i < set->n_dirs; i++)
        free(set->dirs[i]);
    free(set->plugins);
    free(set->refused);
    free(set->dirs);
    memset(set, 0, sizeof(*set));
}

const char *plugin_roles_text(unsigned roles, char *buf, size_t size)
{
    static const char *const names[] = {"source", "executor", "sink"};
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < 3; i++) {
        if ((roles & (1u << i)) && used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "", names[i]);
    }
    return buf;
}
