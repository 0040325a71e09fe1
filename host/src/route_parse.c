/* Building the route table from `[route NAME]` key/value lines: keys,
 * tests, regexes, durations; every error names file:line. */
#include "route_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_BACKOFF_MS 30000L
#define DEFAULT_BACKOFF_MAX_MS 3600000L

void route_errors_free(struct route_errors *errs)
{
    for (size_t i = 0; i < errs->n; i++) {
        free(errs->items[i].msg);
        free(errs->items[i].file);
    }
    free(errs->items);
    errs->items = NULL;
    errs->n = 0;
}

static void add_error(struct route_errors *errs, const char *file, int line,
                      const char *route, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void add_error(struct route_errors *errs, const char *file, int line,
                      const char *route, const char *key, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char where[512];
    int off = snprintf(where, sizeof(where), "%s:%d: ", file ? file : "?", line);
    char *full = NULL;
    int rc = key != NULL ? asprintf(&full, "%s[route %s] %s: %s", where, route, key, msg)
                         : asprintf(&full, "%s[route %s] %s", where, route, msg);
    if (rc < 0)
        return;
    struct route_error *grown = realloc(errs->items, (errs->n + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(full);
        return;
    }
    errs->items = grown;
    errs->items[errs->n++] = (struct route_error){
        .msg = full, .file = file ? strdup(file) : NULL, .line = line,
        .text_off = off > 0 && (size_t)off < sizeof(where) ? (size_t)off : 0};
}

/* "500ms", "30s", "10m", "1h", "1d" or plain seconds. */
static int parse_duration_ms(const char *v, long *out)
{
    char *end;
    errno = 0;
    double n = strtod(v, &end);
    if (end == v || errno != 0 || n < 0)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    double mult = 1000;
    if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else if (strcmp(end, "d") == 0)
        mult = 86400000;
    else if (strcmp(end, "s") != 0 && *end != '\0')
        return -1;
    if (n * mult > 1e15)
        return -1;
    *out = (long)(n * mult);
    return 0;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end != '\0' || errno != 0)
        return -1;
    *out = n;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

/* Splits "a, b ,c" into trimmed non-empty items; NULL when empty. */
static char **split_list(const char *v, size_t *n)
{
    char **items = NULL;
    *n = 0;
    const char *p = v;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        const char *end = comma != NULL ? comma : p + strlen(p);
        const char *b = p, *e = end;
        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        if (e > b) {
            char **grown = realloc(items, (*n + 2) * sizeof(*grown));
            if (grown == NULL)
                break;
            items = grown;
            items[(*n)++] = strndup(b, (size_t)(e - b));
            items[*n] = NULL;
        }
        p = comma != NULL ? comma + 1 : end;
    }
    return items;
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

/* Index of the table's path with this text, adding it if new (and its
 * prefixes, so `fields` is looked up once per event for all fields.* paths).
 * Takes over *p. */
static int intern_path(struct route_table *t, struct route_path *p)
{
    if (p->n > 1 && !p->has_any) {
        struct route_path prefix;
        if (route_path_prefix(p, p->n - 1, &prefix) != 0) {
            route_path_free(p);
            return -1;
        }
        p->parent = intern_path(t, &prefix);
        if (p->parent < 0) {
            route_path_free(p);
            return -1;
        }
    }
    for (size_t i = 0; i < t->n_paths; i++) {
        if (strcmp(t->paths[i].key, p->key) == 0) {
            route_path_free(p);
            return (int)i;
        }
    }
    struct route_path *grown = realloc(t->paths, (t->n_paths + 1) * sizeof(*grown));
    if (grown == NULL) {
        route_path_free(p);
        return -1;
    }
    t->paths = grown;
    t->paths[t->n_paths] = *p;
    return (int)t->n_paths++;
}

/* Index of an identical test already in the table, adding it if new. */
static int intern_pred(struct route_table *t, struct route_pred *pr)
{
    for (size_t i = 0; i < t->n_preds; i++) {
        if (strcmp(t->preds[i].key, pr->key) == 0) {
            free(pr->key);
            free(pr->operand);
            pcre2_code_free(pr->re);
            return (int)i;
        }
    }
    struct route_pred *grown = realloc(t->preds, (t->n_preds + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    t->preds = grown;
    t->preds[t->n_preds] = *pr;
    return (int)t->n_preds++;
}

/* Adds `match.PATH = TEST` to route r. */
static int add_match(struct route_table *t, struct route *r, const struct route_kv *kv,
                     char *err, size_t errlen)
{
    struct route_path path;
    if (route_path_parse(kv->key + strlen("match."), &path, err, errlen) != 0)
        return -1;
    struct route_pred pr;
    memset(&pr, 0, sizeof(pr));
    int negate;
    if (route_cond_parse(kv->value, &pr, &negate, err, errlen) != 0) {
        route_path_free(&path);
        pcre2_code_free(pr.re);
        free(pr.operand);
        return -1;
    }
    int has_any = path.has_any;
    pr.path = intern_path(t, &path);
    if (pr.path < 0 || asprintf(&pr.key, "%d\x1d%d\x1d%x\x1d%s", pr.path, (int)pr.op,
                                pr.re_flags, pr.operand ? pr.operand : "") < 0) {
        pcre2_code_free(pr.re);
        free(pr.operand);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int idx = intern_pred(t, &pr);
    struct route_cond *grown = realloc(r->conds, (r->n_conds + 1) * sizeof(*grown));
    if (idx < 0 || grown == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->conds = grown;
    r->conds[r->n_conds++] = (struct route_cond){
        .pred = idx, .negate = negate, .cost = (int)pr.op + (has_any ? 3 : 0)};
    return 0;
}

static int add_param(struct route *r, const struct route_kv *kv, char *err, size_t errlen)
{
    struct route_param p;
    if (route_param_parse(kv->key + strlen("param."), kv->value, &p, err, errlen) != 0) {
        route_param_free(&p);
        return -1;
    }
    struct route_param *grown = realloc(r->params, (r->n_params + 1) * sizeof(*grown));
    if (grown == NULL) {
        route_param_free(&p);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->params = grown;
    r->params[r->n_params++] = p;
    return 0;
}

/* Applies one line to the route; returns 0 or -1 with err. */
static int apply_kv(struct route_table *t, struct route *r, const struct route_kv *kv,
                    char *err, size_t errlen)
{
    const char *k = kv->key, *v = kv->value;
    long n;
    if (strncmp(k, "match.", 6) == 0)
        return add_match(t, r, kv, err, errlen);
    if (strncmp(k, "param.", 6) == 0)
        return add_param(r, kv, err, errlen);
    if (strcmp(k, "order") == 0) {
        if (parse_long(v, &r->order) != 0) {
            snprintf(err, errlen, "'%s' is not a whole number", v);
            return -1;
        }
    } else if (strcmp(k, "mode") == 0) {
        if (strcmp(v, "all") != 0 && strcmp(v, "any") != 0) {
            snprintf(err, errlen, "'%s': write all or any", v);
            return -1;
        }
        r->any = strcmp(v, "any") == 0;
    } else if (strcmp(k, "continue") == 0 || strcmp(k, "default") == 0) {
        if (parse_bool(v, strcmp(k, "continue") == 0 ? &r->cont : &r->is_default) != 0) {
            snprintf(err, errlen, "'%s': write true or false", v);
            return -1;
        }
    } else if (strcmp(k, "notebooks") == 0 || strcmp(k, "notebook") == 0) {
        free_list(r->notebooks, r->n_notebooks);
        r->notebooks = split_list(v, &r->n_notebooks);
    } else if (strcmp(k, "sinks") == 0) {
        free_list(r->sinks, r->n_sinks);
        r->sinks = split_list(v, &r->n_sinks);
    } else if (strcmp(k, "executor") == 0) {
        free(r->executor);
        r->executor = *v != '\0' ? strdup(v) : NULL;
    } else if (strcmp(k, "timeout") == 0 || strcmp(k, "backoff") == 0 ||
               strcmp(k, "backoff_max") == 0) {
        long *dst = strcmp(k, "timeout") == 0 ? &r->timeout_ms
                  : strcmp(k, "backoff") == 0 ? &r->backoff_ms : &r->backoff_max_ms;
        if (parse_duration_ms(v, dst) != 0) {
            snprintf(err, errlen, "'%s' is not a duration (500ms, 30s, 10m, 1h or seconds)", v);
            return -1;
        }
    } else if (strcmp(k, "retries") == 0) {
        if (parse_long(v, &n) != 0 || n < 0 || n > 1000) {
            snprintf(err, errlen, "'%s': write a number of retries from 0 to 1000", v);
            return -1;
        }
        r->retries = (int)n;
    } else if (strcmp(k, "param_missing") == 0) {
        if (strcmp(v, "null") != 0 && strcmp(v, "error") != 0) {
            snprintf(err, errlen, "'%s': write null or error", v);
            return -1;
        }
        r->missing = strcmp(v, "error") == 0 ? ROUTE_MISSING_ERROR : ROUTE_MISSING_NULL;
    } else {
        snprintf(err, errlen, "unknown key (order, match.PATH, mode, continue, default, "
                 "notebooks, param.NAME, param_missing, executor, sinks, timeout, retries, "
                 "backoff, backoff_max)");
        return -1;
    }
    return 0;
}

static void route_free(struct route *r)
{
    free(r->name);
    free(r->file);
    free_list(r->notebooks, r->n_notebooks);
    free(r->executor);
    free_list(r->sinks, r->n_sinks);
    free(r->conds);
    for (size_t i = 0; i < r->n_params; i++)
        route_param_free(&r->params[i]);
    free(r->params);
}

/* Same-name keys: the second one would silently win, so it is an error. */
static const struct route_kv *earlier_same_key(const struct route_def *d, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(d->kv[k].key, d->kv[i].key) == 0)
            return &d->kv[k];
    return NULL;
}

static size_t build_route(struct route_table *t, const struct route_def *d, struct route *r,
                          struct route_errors *errs)
{
    size_t before = errs->n;
    char err[768];
    memset(r, 0, sizeof(*r));
    r->name = strdup(d->name != NULL ? d->name : "");
    r->file = d->file != NULL ? strdup(d->file) : NULL;
    r->line = d->line;
    r->backoff_ms = DEFAULT_BACKOFF_MS;
    r->backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
    for (size_t i = 0; i < d->n_kv; i++) {
        const struct route_kv *kv = &d->kv[i];
        const struct route_kv *prev = earlier_same_key(d, i);
        if (prev != NULL) {
            add_error(errs, kv->file, kv->line, r->name, kv->key,
                      "given twice (first at line %d)", prev->line);
            continue;
        }
        err[0] = '\0';
        if (apply_kv(t, r, kv, err, sizeof(err)) != 0)
            add_error(errs, kv->file, kv->line, r->name, kv->key, "%s", err);
    }
    if (r->n_notebooks == 0)
        add_error(errs, d->file, d->line, r->name, NULL,
                  "no notebooks: add notebooks = playbook.ipynb");
    if (r->is_default && r->n_conds > 0)
        add_error(errs, d->file, d->line, r->name, NULL,
                  "a default route takes no match.* keys: it runs when no other route matched");
    if (r->backoff_max_ms < r->backoff_ms)
        r->backoff_max_ms = r->backoff_ms;
    return errs->n - before;
}

static int cond_cmp(const void *a, const void *b)
{
    const struct route_cond *x = a, *y = b;
    return x->cost != y->cost ? x->cost - y->cost : x->pred - y->pred;
}

/* Evaluation order: default last, then by order, then as written. */
static int route_cmp(const void *a, const void *b)
{
    const struct route *x = a, *y = b;
    if (x->is_default != y->is_default)
        return x->is_default - y->is_default;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct route_table *route_table_build(const struct route_def *defs, size_t n_defs,
                                      struct route_errors *errs)
{
    struct route_table *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->routes = calloc(n_defs ? n_defs : 1, sizeof(*t->routes));
    size_t failed = t->routes == NULL;
    const struct route *first_default = NULL;
    for (size_t i = 0; i < n_defs && t->routes != NULL; i++) {
        struct route *r = &t->routes[t->n_routes++];
        failed += build_route(t, &defs[i], r, errs);
        r->seq = i;
        if (r->is_default && first_default != NULL) {
            add_error(errs, defs[i].file, defs[i].line, defs[i].name, NULL,
                      "a second default route (the first is [route %s] at line %d)",
                      first_default->name, first_default->line);
            failed++;
        } else if (r->is_default) {
            first_default = r;
        }
        if (r->n_conds > 1)
            qsort(r->conds, r->n_conds, sizeof(*r->conds), cond_cmp);
        t->max_jobs += r->n_notebooks;
    }
    if (failed > 0) {
        route_table_free(t);
        return NULL;
    }
    if (t->n_routes > 1)
        qsort(t->routes, t->n_routes, sizeof(*t->routes), route_cmp);
    if (route_guards_build(t) != 0) {
        route_table_free(t);
        return NULL;
    }
    return t;
}

void route_table_free(struct route_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_routes; i++)
        route_free(&t->routes[i]);
    free(t->routes);
    for (size_t i = 0; i < t->n_paths; i++)
        route_path_free(&t->paths[i]);
    free(t->paths);
    for (size_t i = 0; i < t->n_preds; i++) {
        free(t->preds[i].operand);
        free(t->preds[i].key);
        pcre2_code_free(t->preds[i].re);
    }
    free(t->preds);
    route_guards_free(t);
    free(t);
}

size_t route_table_count(const struct route_table *t)
{
    return t->n_routes;
}

const struct route *route_table_get(const struct route_table *t, size_t i)
{
    return i < t->n_routes ? &t->routes[i] : NULL;
}

size_t route_table_max_jobs(const struct route_table *t)
{
    return t->max_jobs;
}
