/* pyjson_dumps: Python's json.dumps(ensure_ascii=False) output for jansson
 * trees, pyjson literals included. */
#include "pyjson.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* With fd >= 0 the buffer is flushed to fd whenever it passes FLUSH_AT, so a
 * large notebook never exists as one string in memory. */
struct out {
    char *p;
    size_t n, cap;
    int failed;
    int fd;
    const struct pyjson_each *each;
};

#define FLUSH_AT (64 * 1024)

static void flush_out(struct out *o)
{
    size_t done = 0;
    while (!o->failed && done < o->n) {
        ssize_t w = write(o->fd, o->p + done, o->n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            o->failed = errno;
        else
            done += (size_t)w;
    }
    o->n = 0;
}

static void put(struct out *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (o->fd >= 0 && o->n + n >= FLUSH_AT) {
        flush_out(o);
        if (o->failed)
            return;
    }
    if (o->n + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->n + n + 1)
            cap *= 2;
        char *np = realloc(o->p, cap);
        if (!np) {
            o->failed = ENOMEM;
            return;
        }
        o->p = np;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void newline_indent(struct out *o, int indent, int level)
{
    put(o, "\n", 1);
    for (int i = 0; i < indent * level; i++)
        put(o, " ", 1);
}

static void put_string(struct out *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(o, s + run, i - run);
        run = i + 1;
        char esc[8];
        switch (c) {
        case '"': puts_(o, "\\\""); break;
        case '\\': puts_(o, "\\\\"); break;
        case '\n': puts_(o, "\\n"); break;
        case '\r': puts_(o, "\\r"); break;
        case '\t': puts_(o, "\\t"); break;
        case '\b': puts_(o, "\\b"); break;
        case '\f': puts_(o, "\\f"); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            puts_(o, esc);
        }
    }
    put(o, s + run, n - run);
    put(o, "\"", 1);
}

struct key {
    const char *k;
    size_t n;
    json_t *v;
};

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->k, y->k, n);
    if (c)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

static void dump(struct out *o, const json_t *v, int indent, int sort, int level);

/* fn (may be NULL) rewrites each element before it is written. */
static void dump_array(struct out *o, const json_t *v, int indent, int sort, int level,
                       json_t *(*fn)(const json_t *))
{
    size_t n = json_array_size(v);
    if (n == 0) {
        puts_(o, "[]");
        return;
    }
    put(o, "[", 1);
    for (size_t i = 0; i < n && !o->failed; i++) {
        if (i)
            puts_(o, indent >= 0 ? "," : ", ");
        if (indent >= 0)
            newline_indent(o, indent, level + 1);
        json_t *elem = json_array_get(v, i);
        json_t *mapped = fn ? fn(elem) : NULL;
        if (fn && !mapped) {
            o->failed = ENOMEM;
            return;
        }
        dump(o, mapped ? mapped : elem, indent, sort, level + 1);
        json_decref(mapped);
    }
    if (indent >= 0)
        newline_indent(o, indent, level);
    put(o, "]", 1);
}

static void dump_object(struct out *o, const json_t *v, int indent, int sort, int level)
{
    size_t n = json_object_size(v);
    if (n == 0) {
        puts_(o, "{}");
        return;
    }
    struct key *keys = malloc(n * sizeof *keys);
    if (!keys) {
        o->failed = ENOMEM;
        return;
    }
    size_t i = 0;
    const char *k;
    size_t kn;
    json_t *val;
    json_object_keylen_foreach((json_t *)v, k, kn, val)
    {
        keys[i].k = k;
        keys[i].n = kn;
        keys[i].v = val;
        i++;
    }
    if (sort)
        qsort(keys, n, sizeof *keys, key_cmp);
    put(o, "{", 1);
    for (i = 0; i < n; i++) {
        if (i)
            puts_(o, indent >= 0 ? "," : ", ");
        if (indent >= 0)
            newline_indent(o, indent, level + 1);
        put_string(o, keys[i].k, keys[i].n);
        puts_(o, ": ");
        if (level == 0 && o->each && json_is_array(keys[i].v) && strlen(o->each->key) == keys[i].n &&
            !memcmp(o->each->key, keys[i].k, keys[i].n))
            dump_array(o, keys[i].v, indent, sort, level + 1, o->each->fn);
        else
            dump(o, keys[i].v, indent, sort, level + 1);
    }
    if (indent >= 0)
        newline_indent(o, indent, level);
    put(o, "}", 1);
    free(keys);
}

static void dump(struct out *o, const json_t *v, int indent, int sort, int level)
{
    char buf[40];
    switch (json_typeof(v)) {
    case JSON_NULL: puts_(o, "null"); return;
    case JSON_TRUE: puts_(o, "true"); return;
    case JSON_FALSE: puts_(o, "false"); return;
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        puts_(o, buf);
        return;
    case JSON_REAL:
        pyjson_float_repr(json_real_value(v), buf);
        puts_(o, buf);
        return;
    case JSON_STRING:
        put_string(o, json_string_value(v), json_string_length(v));
        return;
    case JSON_ARRAY:
        dump_array(o, v, indent, sort, level, NULL);
        return;
    case JSON_OBJECT:
        if (pyjson_is_literal(v)) {
            json_t *t = json_object_getn(v, PYJSON_LITERAL_KEY, 1);
            put(o, json_string_value(t), json_string_length(t));
            return;
        }
        dump_object(o, v, indent, sort, level);
        return;
    }
}

char *pyjson_dumps(const json_t *v, int indent, int sort_keys, size_t *len_out)
{
    return pyjson_dumps_each(v, indent, sort_keys, NULL, len_out);
}

char *pyjson_dumps_each(const json_t *v, int indent, int sort_keys, const struct pyjson_each *each,
                        size_t *len_out)
{
    struct out o = {.fd = -1, .each = each};
    dump(&o, v, indent, sort_keys, 0);
    put(&o, "", 0);
    if (o.failed || !o.p) {
        free(o.p);
        return NULL;
    }
    o.p[o.n] = '\0';
    if (len_out)
        *len_out = o.n;
    return o.p;
}

int pyjson_dump_fd(const json_t *v, int indent, int sort_keys, const char *tail, int fd)
{
    return pyjson_dump_fd_each(v, indent, sort_keys, NULL, tail, fd);
}

int pyjson_dump_fd_each(const json_t *v, int indent, int sort_keys, const struct pyjson_each *each,
                        const char *tail, int fd)
{
    struct out o = {.fd = fd, .each = each};
    dump(&o, v, indent, sort_keys, 0);
    puts_(&o, tail);
    if (!o.failed && !o.p)
        o.failed = ENOMEM;
    flush_out(&o);
    free(o.p);
    if (o.failed) {
        errno = o.failed;
        return -1;
    }
    return 0;
}
