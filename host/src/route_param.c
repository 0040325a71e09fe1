/* Event paths (`fields.attributes.*.value`) and param.* templates. */
#include "route_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first name of a path must be one of the event's own keys. */
static const char *const event_keys[] = {"id", "source", "type", "time", "title",
                                         "fields", "raw", "ref", NULL};

/* Python keywords cannot be parameter names: papermill writes `name = value`. */
static const char *const python_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break",
    "class", "continue", "def", "del", "elif", "else", "except", "finally", "for",
    "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
    "pass", "raise", "return", "try", "while", "with", "yield", NULL};

void route_path_free(struct route_path *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->segs[i].name);
    free(p->segs);
    free(p->text);
    free(p->key);
    memset(p, 0, sizeof(*p));
}

static int add_seg(struct route_path *p, const char *name, size_t len, int quoted)
{
    struct path_seg *grown = realloc(p->segs, (p->n + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    p->segs = grown;
    struct path_seg *s = &p->segs[p->n];
    memset(s, 0, sizeof(*s));
    s->name = strndup(name, len);
    if (s->name == NULL)
        return -1;
    s->len = strlen(s->name);
    s->index = -1;
    p->n++;
    if (quoted)
        return 0;
    if (len == 1 && name[0] == '*') {
        s->any = 1;
        p->has_any = 1;
        return 0;
    }
    int digits = len > 0 && len <= 9;
    for (size_t i = 0; i < len && digits; i++)
        digits = isdigit((unsigned char)name[i]);
    if (digits)
        s->index = strtol(s->name, NULL, 10);
    return 0;
}

/* Canonical key: names joined by \x1f, `*` marked, so `a."b"` == `a.b`. */
static char *path_key(const struct route_path *p)
{
    size_t len = 1;
    for (size_t i = 0; i < p->n; i++)
        len += p->segs[i].len + 2;
    char *k = malloc(len);
    if (k == NULL)
        return NULL;
    char *w = k;
    for (size_t i = 0; i < p->n; i++) {
        *w++ = p->segs[i].any ? '\x1e' : '\x1f';
        memcpy(w, p->segs[i].name, p->segs[i].len);
        w += p->segs[i].len;
    }
    *w = '\0';
    return k;
}

int route_path_parse(const char *text, struct route_path *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *p = text;
    char buf[512];
    for (;;) {
        size_t len = 0;
        int quoted = *p == '"';
        if (quoted) {
            p++;
            while (*p != '\0' && *p != '"') {
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                if (len + 1 >= sizeof(buf))
                    break;
                buf[len++] = *p++;
            }
            if (*p != '"') {
                snprintf(err, errlen, "path '%s': unterminated quote", text);
                goto fail;
            }
            p++;
        } else {
            while (*p != '\0' && *p != '.' && len + 1 < sizeof(buf))
                buf[len++] = *p++;
        }
        buf[len] = '\0';
        if (len == 0) {
            snprintf(err, errlen, "path '%s': empty name", text);
            goto fail;
        }
        if (!quoted && strpbrk(buf, " \t{}\"") != NULL) {
            snprintf(err, errlen, "path '%s': put a name holding spaces, quotes or braces "
                     "in double quotes", text);
            goto fail;
        }
        if (add_seg(out, buf, len, quoted) != 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        if (*p == '\0')
            break;
        if (*p != '.') {
            snprintf(err, errlen, "path '%s': expected '.' between names (or a name over 500 bytes)", text);
            goto fail;
        }
        p++;
    }
    int known = 0;
    for (size_t i = 0; event_keys[i] != NULL && !known; i++)
        known = strcmp(out->segs[0].name, event_keys[i]) == 0;
    if (!known) {
        snprintf(err, errlen, "path '%s': must start with id, source, type, time, title, "
                 "fields, raw or ref", text);
        goto fail;
    }
    out->parent = -1;
    out->text = strdup(text);
    out->key = path_key(out);
    if (out->text == NULL || out->key == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return 0;
fail:
    route_path_free(out);
    return -1;
}

const json_t *route_path_step(const json_t *v, const struct path_seg *s)
{
    if (json_is_object(v))
        return json_object_getn(v, s->name, s->len);
    if (json_is_array(v) && s->index >= 0)
        return json_array_get(v, (size_t)s->index);
    return NULL;
}

int route_path_prefix(const struct route_path *p, size_t n, struct route_path *out)
{
    memset(out, 0, sizeof(*out));
    out->parent = -1;
    for (size_t i = 0; i < n; i++) {
        const struct path_seg *s = &p->segs[i];
        if (add_seg(out, s->name, s->len, 1) != 0) {
            route_path_free(out);
            return -1;
        }
        out->segs[i].index = s->index;
    }
    out->text = strdup(p->text);
    out->key = path_key(out);
    if (out->text == NULL || out->key == NULL) {
        route_path_free(out);
        return -1;
    }
    return 0;
}

const json_t *route_path_get(const json_t *event, const struct route_path *p)
{
    const json_t *v = event;
    for (size_t i = 0; i < p->n && v != NULL; i++)
        v = route_path_step(v, &p->segs[i]);
    return v;
}

static int walk_from(const json_t *v, const struct route_path *p, size_t i,
                     int (*fn)(void *, const json_t *), void *arg)
{
    for (; i < p->n && v != NULL; i++) {
        if (!p->segs[i].any) {
            v = route_path_step(v, &p->segs[i]);
            continue;
        }
        if (json_is_array(v)) {
            for (size_t k = 0; k < json_array_size(v); k++)
                if (walk_from(json_array_get(v, k), p, i + 1, fn, arg))
                    return 1;
        } else if (json_is_object(v)) {
            const char *key;
            const json_t *child;
            json_object_foreach((json_t *)v, key, child)
                if (walk_from(child, p, i + 1, fn, arg))
                    return 1;
        }
        return 0;
    }
    return v != NULL ? fn(arg, v) : 0;
}

int route_path_walk(const json_t *event, const struct route_path *p,
                    int (*fn)(void *arg, const json_t *v), void *arg)
{
    return walk_from(event, p, 0, fn, arg);
}

/* ---- templates ---- */

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
    if (len > 0 && (isdigit((unsigned char)v[0]) || v[0] == '-' || v[0] == '+')) {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (*end == '\0' && errno == 0)
            return json_integer(n);
        double d = strtod(v, &end);
        if (*end == '\0' && errno == 0)
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
        return out->name != NULL && out->literal != NULL ? 0 : -1;
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

/* The value a path gives: itself, a list for `*`, or NULL when absent. */
static json_t *path_value(const json_t *event, const struct route_path *p)
{
    if (p->has_any) {
        json_t *arr = json_array();
        route_path_walk(event, p, collect, arr);
        return arr;
    }
    const json_t *v = route_path_get(event, p);
    return v != NULL ? json_incref((json_t *)v) : NULL;
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
    json_object_set(obj, "nbsoar_event", (json_t *)event);
    *out = obj;
    return 0;
fail:
    json_decref(obj);
    *out = NULL;
    return -1;
}
