/* nbsoar.conf: an INI file parsed into sections of key = value entries,
 * each remembering its file and line.
 *
 *   [host]                  one, optional
 *   [source NAME]           [executor NAME]   [sink NAME]   [route NAME]
 *   key = value             value verbatim after trimming; ${ENV} expanded
 *   # comment / ; comment   whole lines only (values may contain # and ;)
 *
 * `$${` writes a literal `${`.  Keys are [A-Za-z0-9_.-]+; a NAME is
 * [A-Za-z0-9_.-]+ and unique per section kind.  Meaning of the keys is not
 * checked here: config_map.h validates plugin and [host] sections against
 * their key tables; routes are validated by the dispatcher. */
#ifndef NBSOAR_CONFIG_H
#define NBSOAR_CONFIG_H

#include <stddef.h>

#include "diag.h"

enum conf_kind {
    CONF_HOST = 0,
    CONF_SOURCE,
    CONF_EXECUTOR,
    CONF_SINK,
    CONF_ROUTE,
};

struct conf_entry {
    char *key;   /* OWNED */
    char *value; /* OWNED, ${ENV} already expanded */
    int line;
};

struct conf_section {
    enum conf_kind kind;
    char *name;  /* OWNED; NULL for [host] */
    int line;    /* line of the [header] */
    struct conf_entry *entries; /* OWNED, in file order */
    size_t n_entries;
};

struct conf {
    char *path;  /* OWNED: the file name used in every message */
    struct conf_section *sections; /* OWNED, in file order */
    size_t n_sections;
};

/* Parses `path`.  Every problem is appended to `d` and parsing goes on;
 * a line with a problem is skipped.  Returns NULL only when the file cannot
 * be read (also reported in d); otherwise a conf OWNED by the caller
 * (conf_free), possibly incomplete when d grew. */
struct conf *conf_load(const char *path, struct diags *d);
/* The same for text already in memory; `path` names it in messages. */
struct conf *conf_parse(const char *path, const char *text, struct diags *d);
void conf_free(struct conf *c);

/* "host", "source", "executor", "sink", "route". */
const char *conf_kind_name(enum conf_kind kind);

/* The [host] section, or NULL.  Borrowed from c. */
const struct conf_section *conf_host(const struct conf *c);
/* Section kind+name, or NULL.  Borrowed from c. */
const struct conf_section *conf_find(const struct conf *c, enum conf_kind kind, const char *name);
/* Iterates the sections of one kind in file order: pass NULL first, then
 * the previous result.  NULL at the end.  Borrowed from c.
 *   for (s = conf_next(c, CONF_ROUTE, NULL); s; s = conf_next(c, CONF_ROUTE, s)) */
const struct conf_section *conf_next(const struct conf *c, enum conf_kind kind,
                                     const struct conf_section *after);
/* Entry of a section, or NULL.  Borrowed. */
const struct conf_entry *conf_entry_find(const struct conf_section *s, const char *key);
/* Value of a key, or NULL.  Borrowed. */
const char *conf_get(const struct conf_section *s, const char *key);

/* A path from the config: absolute paths as they are, relative ones
 * relative to the directory of the config file (so a config works from any
 * working directory).  OWNED by the caller; NULL on ENOMEM. */
char *conf_resolve_path(const struct conf *c, const char *value);

#endif
