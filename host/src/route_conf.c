/* The [route NAME] sections of a parsed config (config.h) as a route table,
 * with every problem reported into the config's diagnostics list. */
#include "route_conf.h"

#include <stdlib.h>

struct route_table *route_table_from_conf(const struct conf *c, struct diags *d)
{
    size_t n = 0;
    for (const struct conf_section *s = conf_next(c, CONF_ROUTE, NULL); s != NULL;
         s = conf_next(c, CONF_ROUTE, s))
        n++;
    struct route_def *defs = calloc(n ? n : 1, sizeof(*defs));
    struct route_kv **kvs = calloc(n ? n : 1, sizeof(*kvs));
    struct route_table *t = NULL;
    if (defs == NULL || kvs == NULL) {
        diags_add(d, c->path, 0, "routes: out of memory");
        goto out;
    }
    size_t i = 0;
    for (const struct conf_section *s = conf_next(c, CONF_ROUTE, NULL); s != NULL;
         s = conf_next(c, CONF_ROUTE, s), i++) {
        kvs[i] = calloc(s->n_entries ? s->n_entries : 1, sizeof(**kvs));
        if (kvs[i] == NULL) {
            diags_add(d, c->path, s->line, "routes: out of memory");
            goto out;
        }
        for (size_t k = 0; k < s->n_entries; k++)
            kvs[i][k] = (struct route_kv){.key = s->entries[k].key, .value = s->entries[k].value,
                                          .file = c->path, .line = s->entries[k].line};
        defs[i] = (struct route_def){.name = s->name, .file = c->path, .line = s->line,
                                     .kv = kvs[i], .n_kv = s->n_entries};
    }
    struct route_errors errs = {0};
    t = route_table_build(defs, n, &errs);
    for (size_t e = 0; e < errs.n; e++)
        diags_add(d, errs.items[e].file, errs.items[e].line, "%s",
                  errs.items[e].msg + errs.items[e].text_off);
    if (t == NULL && errs.n == 0)
        diags_add(d, c->path, 0, "routes: out of memory");
    route_errors_free(&errs);
out:
    for (size_t k = 0; kvs != NULL && k < n; k++)
        free(kvs[k]);
    free(kvs);
    free(defs);
    return t;
}
