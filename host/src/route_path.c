/* Event paths: `fields.attributes.*.value`, `raw."kibana.alert.rule.name"`. */
#include "route_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first name of a path must be one of the event's own keys. */
static const char *const event_keys[] = {"id", "source", "type", "time", "title",
                                         "fields", "raw", "ref", NULL};

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
            snprintf(err, errlen, "path '%s': expected '.' between names "
                     "(or a name over 500 bytes)", text);
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
        if (!p->segs[i].any && json_is_array(v) && p->segs[i].index < 0) {
            /* A name on a list applies to each element. */
            for (size_t k = 0; k < json_array_size(v); k++)
                if (walk_from(json_array_get(v, k), p, i, fn, arg))
                    return 1;
            return 0;
        }
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
