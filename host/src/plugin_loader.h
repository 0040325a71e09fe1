/* Finding and loading plugins.
 *
 * Every *.so of each search directory is dlopen()ed (RTLD_NOW|RTLD_LOCAL),
 * its one symbol nbsoar_plugin_entry looked up and called, and the ABI
 * header (abi_major, abi_minor, struct_size) checked before anything else
 * is read.  The host keeps a zero-filled copy of the fields that fit in
 * struct_size, so a plugin built against an older minor reads as NULL for
 * the members it lacks.  Refused files are kept with the reason, for
 * `nbsoar plugins` and `nbsoar check`.  The first plugin of a name wins;
 * a later file with the same name is refused naming both files. */
#ifndef NBSOAR_PLUGIN_LOADER_H
#define NBSOAR_PLUGIN_LOADER_H

#include <stddef.h>

#include "nbsoar/plugin.h"

/* Size of struct nbsoar_plugin at ABI 1.0: nothing smaller is accepted. */
#define NBSOAR_PLUGIN_MIN_SIZE \
    (offsetof(struct nbsoar_plugin, shutdown) + sizeof(void (*)(void *)))

struct loaded_plugin {
    char *path;                    /* OWNED */
    void *handle;                  /* dlopen handle, closed by plugin_set_free */
    struct nbsoar_plugin def;      /* copy of the known fields; pointers borrowed from the .so */
    unsigned roles;                /* enum nbsoar_role bits derived from the callbacks */
};

struct plugin_refusal {
    char *path;   /* OWNED */
    char *reason; /* OWNED: "FILE: reason" ready to print */
};

struct plugin_set {
    struct loaded_plugin *plugins; /* OWNED, in load order */
    size_t n_plugins;
    struct plugin_refusal *refused; /* OWNED */
    size_t n_refused;
    char **dirs;                   /* OWNED: the search path actually used */
    size_t n_dirs;
};

/* The search path, in order: plugin_dir ([host], may be NULL), the colon
 * list env_path (NBSOAR_PLUGIN_PATH, may be NULL), the colon list
 * build_path (the build tree's plugin folders, may be NULL), install_dir
 * (may be NULL).  Empty entries and repeats are dropped.  Returns a
 * NULL-terminated array OWNED by the caller (plugin_dirs_free), or NULL on ENOMEM. */
char **plugin_search_path(const char *plugin_dir, const char *env_path, const char *build_path,
                          const char *install_dir);
void plugin_dirs_free(char **dirs);

/* Loads every *.so in dirs (NULL-terminated; missing directories are
 * skipped) into set, which must be zeroed first.  Returns 0, or -1 on ENOMEM. */
int plugin_set_load(struct plugin_set *set, char *const *dirs);

/* Loads one file and adds it to set (or to set->refused).  Returns 0 when
 * loaded, -1 when refused. */
int plugin_set_add_file(struct plugin_set *set, const char *path);

/* The plugin called name, or NULL.  Borrowed from set. */
const struct loaded_plugin *plugin_set_find(const struct plugin_set *set, const char *name);

/* dlclose()s every plugin: no instance may be alive. */
void plugin_set_free(struct plugin_set *set);

/* "source,sink" from role bits, into buf. */
const char *plugin_roles_text(unsigned roles, char *buf, size_t size);

#endif
