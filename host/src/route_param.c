/* param.* templates and building a job's parameters from an event. */
#include "route_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Python keywords cannot be parameter names: papermill writes `name = value`. */
static const char *const python_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break",
    "class", "continue", "def", "del", "elif", "else", "except", "finally", "for",
    "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
    "pass", "raise", "return", "try", "while", "with", "yield", NULL};

void route_param_free(struct route_param *p)
{
    free(p->name);
    json_decref(p->literal);
    for (size_t i = 0; i < p->n_pieces; i++) {
        free(p->pieces[i].text);
        route_path_free(&p->pieces[i].path);
    }
    free(p->pieces);
    memset(p, 0, sizeof(*p));
}

static int valid_identifier(const char *s)
{
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (const char *c = s; *c != '\0'; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_'))
            return 0;
    for (size_t i = 0; python_keywords[i] != NULL; i++)
        if (strcmp(s, python_keywords[i]) == 0)
            return 0;
    return 1;
}

/* A literal typed the way papermill's `-p` reads one: numbers, booleans and
 * null keep their type; "quoted" text is a string. */
static json_t *parse_literal(const char *v)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
        return json_true();
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0)
        return json_false();
    if (strcmp(v, "null") == 0 || strcmp(v, "None") == 0)
        return json_null();
    size_t len = strlen(v);
    if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
        json_t *s = json_loads(v, JSON_DECODE_ANY, NULL);
        if (json_is_string(s))
            return s;
        json_decref(s);
    }
    /* Plain decimal only: "0x10", "inf" or "1e999" stay text. */
    if (len > 0 && strspn(v, "0123456789+-.eE") == len) {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (*end == '\0' && errno == 0)
            return json_integer(n);
        errno = 0;
        double d = strtod(v, &end);
        if (*end == '\0' && errno == 0 && isfinite(d))
            return json_real(d);
    }
    return json_string(v);
}

static int add_piece(struct route_param *p, char *text, const char *path, size_t path_len,
                     char *err, size_t errlen)
{
    struct tmpl_piece *grown = realloc(p->pieces, (p->n_pieces + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(text);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->pieces = grown;
    struct tmpl_piece *pc = &p->pieces[p->n_pieces];
    memset(pc, 0, sizeof(*pc));
    pc->text = text;
    p->n_pieces++;
    if (path == NULL)
        return 0;
    /* `{ fields.user }` reads as `{fields.user}`. */
    while (path_len > 0 && isspace((unsigned char)*path)) {
        path++;
        path_len--;
    }
    while (path_len > 0 && isspace((unsigned char)path[path_len - 1]))
        path_len--;
    char buf[512];
    snprintf(buf, sizeof(buf), "%.*s", (int)path_len, path);
    return route_path_parse(buf, &pc->path, err, errlen);
}

int route_param_parse(const char *name, const char *value, struct route_param *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!valid_identifier(name)) {
        snprintf(err, errlen, "'%s' is not a Python variable name", name);
        return -1;
    }
    if (strcmp(name, "nbsoar_event") == 0) {
        snprintf(err, errlen, "nbsoar_event is always the whole event and cannot be set");
        return -1;
    }
    out->name = strdup(name);
    if (strchr(value, '{') == NULL && strchr(value, '}') == NULL) {
        out->kind = PARAM_LITERAL;
        out->literal = parse_literal(value);
        if (out->name == NULL || out->literal == NULL) {
            snprintf(err, errlen, "cannot use this value (not UTF-8?)");
            return -1;
        }
        return 0;
    }
    size_t vlen = strlen(value);
    if (vlen > 2 && value[0] == '{' && value[1] != '{' && value[vlen - 1] == '}' &&
        strchr(value + 1, '{') == NULL && strchr(value, '}') == value + vlen - 1) {
        out->kind = PARAM_WHOLE;
        return add_piece(out, NULL, value + 1, vlen - 2, err, errlen);
    }
    out->kind = PARAM_TEXT;
    char *lit = malloc(vlen + 1);
    size_t ll = 0;
    const char *p = value;
    while (lit != NULL && *p != '\0') {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            lit[ll++] = *p;
            p += 2;
        } else if (*p == '{') {
            const char *close = strchr(p, '}');
            if (close == NULL || close == p + 1) {
                snprintf(err, errlen, "'%s': '{' without a path and '}' (write {{ for a brace)",
                         value);
                free(lit);
                return -1;
            }
            lit[ll] = '\0';
            if (ll > 0 && add_piece(out, strdup(lit), NULL, 0, err, errlen) != 0) {
                free(lit);
                return -1;
            }
            ll = 0;
            if (add_piece(out, NULL, p + 1, (size_t)(close - p - 1), err, errlen) != 0) {
                free(lit);
                return -1;
            }
            p = close + 1;
        } else if (*p == '}') {
            snprintf(err, errlen, "'%s': '}' without '{' (write }} for a brace)", value);
            free(lit);
            return -1;
        } else {
            lit[ll++] = *p++;
        }
    }
    if (lit == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    lit[ll] = '\0';
    int rc = ll > 0 ? add_piece(out, strdup(lit), NULL, 0, err, errlen) : 0;
    free(lit);
    return rc;
}

/* ---- building parameters for one job ---- */

static int collect(void *arg, const json_t *v)
{
    json_array_append((json_t *)arg, (json_t *)v);
    return 0;
}

/* The value a path gives (a copy, so parameters never alias the event): the
 * value itself; a list for `*` or a name applied to a list; NULL when
 * absent. */
static json_t *path_value(const json_t *event, const struct route_path *p)
{
    const json_t *v = p->has_any ? NULL : route_path_get(event, p);
    if (v != NULL)
        return json_deep_copy(v);
    json_t *arr = json_array();
    route_path_walk(event, p, collect, arr);
    json_t *copy = NULL;
    if (p->has_any || json_array_size(arr) > 0)
        copy = json_deep_copy(arr);
    json_decref(arr);
    return copy;
}

static void append_text(char **buf, size_t *len, const char *s)
{
    size_t add = strlen(s);
    char *grown = realloc(*buf, *len + add + 1);
    if (grown == NULL)
        return;
    memcpy(grown + *len, s, add + 1);
    *buf = grown;
    *len += add;
}

/* Strings interpolate as they are; anything else as compact JSON. */
static void append_value(char **buf, size_t *len, const json_t *v)
{
    if (json_is_string(v)) {
        append_text(buf, len, json_string_value(v));
        return;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i > 0)
                append_text(buf, len, ", ");
            append_value(buf, len, json_array_get(v, i));
        }
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    if (s != NULL)
        append_text(buf, len, s);
    free(s);
}

static int missing(const struct route *r, const struct route_param *p,
                   const struct route_path *path, char *err, size_t errlen)
{
    if (r->missing != ROUTE_MISSING_ERROR)
        return 0;
    snprintf(err, errlen, "route %s: param.%s: the event has no %s", r->name, p->name,
             path->text);
    return -1;
}

int route_params_build(const struct route *r, const json_t *event, json_t **out,
                       char *err, size_t errlen)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < r->n_params; i++) {
        const struct route_param *p = &r->params[i];
        json_t *val = NULL;
        if (p->kind == PARAM_LITERAL) {
            val = json_deep_copy(p->literal);
        } else if (p->kind == PARAM_WHOLE) {
            val = path_value(event, &p->pieces[0].path);
            if (val == NULL && missing(r, p, &p->pieces[0].path, err, errlen) != 0)
                goto fail;
            if (val == NULL)
                val = json_null();
        } else {
            char *buf = calloc(1, 1);
            size_t len = 0;
            for (size_t k = 0; k < p->n_pieces && buf != NULL; k++) {
                if (p->pieces[k].text != NULL) {
                    append_text(&buf, &len, p->pieces[k].text);
                    continue;
                }
                json_t *v = path_value(event, &p->pieces[k].path);
                if (v == NULL && missing(r, p, &p->pieces[k].path, err, errlen) != 0) {
                    free(buf);
                    goto fail;
                }
                if (v != NULL && !json_is_null(v))
                    append_value(&buf, &len, v);
                json_decref(v);
            }
            val = buf != NULL ? json_string(buf) : NULL;
            free(buf);
        }
        if (val == NULL || json_object_set_new(obj, p->name, val) != 0) {
            snprintf(err, errlen, "route %s: param.%s: cannot build the value "
                     "(out of memory or not UTF-8)", r->name, p->name);
            goto fail;
        }
    }
    if (json_object_set_new(obj, "nbsoar_event", json_deep_copy(event)) != 0) {
        snprintf(err, errlen, "route %s: cannot copy the event (out of memory)", r->name);
        goto fail;
    }
    *out = obj;
    return 0;
fail:
    json_decref(obj);
    *out = NULL;
    return -1;
}
