/* What `nbsoar run` would refuse or silently never do, found ahead of time
 * for `nbsoar check`: the route table, the sections routes name, their
 * local notebooks and sink rates (source intervals are plugin keys,
 * checked with the section). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dispatch_internal.h"
#include "route_conf.h"

/* Line of key in s, or the section's line when the key is absent. */
static int key_line(const struct conf_section *s, const char *key)
{
    for (size_t i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return s->entries[i].line;
    return s->line;
}

static int is_url(const char *p)
{
    return strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0;
}

static void check_route_refs(const struct conf *c, const struct route *r, struct diags *d)
{
    const struct conf_section *sec = conf_find(c, CONF_ROUTE, r->name);
    int line = sec ? key_line(sec, "executor") : r->line;
    if (r->executor != NULL && conf_find(c, CONF_EXECUTOR, r->executor) == NULL)
        diags_add(d, c->path, line, "[route %s] executor: no [executor %s] section", r->name, r->executor);
    if (r->executor == NULL && r->n_notebooks > 0 && conf_next(c, CONF_EXECUTOR, NULL) == NULL)
        diags_add(d, c->path, r->line, "[route %s]: no [executor] section to run its notebooks", r->name);
    line = sec ? key_line(sec, "sinks") : r->line;
    for (size_t i = 0; i < r->n_sinks; i++)
        if (conf_find(c, CONF_SINK, r->sinks[i]) == NULL)
            diags_add(d, c->path, line, "[route %s] sinks: no [sink %s] section", r->name, r->sinks[i]);
    line = sec ? key_line(sec, "notebooks") : r->line;
    for (size_t i = 0; i < r->n_notebooks; i++) {
        if (is_url(r->notebooks[i]) || strchr(r->notebooks[i], '{'))
            continue; /* remote, or named by the event: known only at run time */
        char *path = conf_resolve_path(c, r->notebooks[i]);
        struct stat st;
        if (path != NULL && (stat(path, &st) != 0 || !S_ISREG(st.st_mode)))
            diags_add(d, c->path, line, "[route %s] notebooks: '%s' is not a file (looked for %s)", r->name,
                      r->notebooks[i], path);
        free(path);
    }
}

void dispatch_check_conf(const struct conf *c, struct diags *d)
{
    struct route_table *t = route_table_from_conf(c, d);
    for (size_t i = 0; t != NULL && i < route_table_count(t); i++)
        check_route_refs(c, route_table_get(t, i), d);
    route_table_free(t);
    for (const struct conf_section *s = conf_next(c, CONF_SINK, NULL); s; s = conf_next(c, CONF_SINK, s)) {
        const char *v = conf_get(s, "rate");
        double per_s;
        if (v != NULL && dispatch_parse_rate(v, &per_s) != 0)
            diags_add(d, c->path, key_line(s, "rate"), "[sink %s] rate: '%s' is not N/s, N/m or N/h", s->name, v);
    }
}
