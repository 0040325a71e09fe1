/* Reading operation and taxonomy objects out of tagged cells' outputs. */
#include "operations.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notebook.h"

struct sink {
    json_t *items;      /* borrowed: where objects go */
    json_t *problems;   /* borrowed */
    int need_type;
    size_t cell;
};

static void problem(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct sink *s, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(s->problems, json_string(buf));
}

/* Takes an object (borrowed) if it qualifies; returns the reason if not. */
static const char *accept(struct sink *s, json_t *v)
{
    if (!json_is_object(v))
        return "not a JSON object";
    if (s->need_type && !json_is_string(json_object_get(v, "type")))
        return "no string \"type\"";
    json_array_append(s->items, v);
    return NULL;
}

static int blank_line(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isspace((unsigned char)p[i]))
            return 0;
    }
    return 1;
}

/* Parses the complete lines of text[0..len); line numbers continue from
 * *line.  Returns how many bytes were consumed (up to the last newline, or
 * everything when final). */
static size_t read_lines(struct sink *s, const char *text, size_t len, size_t *line, int final)
{
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        if (!nl && !final)
            break;
        size_t end = nl ? (size_t)(nl - text) : len;
        ++*line;
        if (!blank_line(text + start, end - start)) {
            json_error_t jerr;
            json_t *v = json_loadb(text + start, end - start, JSON_DECODE_ANY, &jerr);
            if (!v) {
                problem(s, "cell %zu line %zu: not valid JSON: %s (column %d)", s->cell, *line, jerr.text,
                        jerr.column);
            } else {
                const char *why = accept(s, v);
                if (why)
                    problem(s, "cell %zu line %zu: %s", s->cell, *line, why);
                json_decref(v);
            }
        }
        start = nl ? end + 1 : len;
    }
    return start;
}

static void read_json_output(struct sink *s, size_t out_index, json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            const char *why = accept(s, item);
            if (why)
                problem(s, "cell %zu output %zu item %zu: %s", s->cell, out_index, i, why);
        }
        return;
    }
    const char *why = accept(s, v);
    if (why)
        problem(s, "cell %zu output %zu: %s", s->cell, out_index, why);
}

/* Objects come out in the order the cell emitted them.  stdout chunks are
 * joined before splitting: the kernel may flush one line in two messages. */
static void read_cell(struct sink *s, const json_t *cell)
{
    char *buf = NULL;
    size_t len = 0, cap = 0, line = 0;
    size_t i;
    json_t *out;
    json_array_foreach(json_object_get(cell, "outputs"), i, out) {
        const char *type = json_string_value(json_object_get(out, "output_type")) ?: "";
        if (strcmp(type, "stream") == 0) {
            const char *name = json_string_value(json_object_get(out, "name")) ?: "";
            if (strcmp(name, "stdout") != 0)
                continue;
            const char *t = json_string_value(json_object_get(out, "text")) ?: "";
            size_t n = strlen(t);
            if (len + n + 1 > cap) {
                size_t ncap = (len + n + 1) * 2;
                char *nb = realloc(buf, ncap);
                if (!nb)
                    break;
                buf = nb;
                cap = ncap;
            }
            memcpy(buf + len, t, n);
            len += n;
            size_t used = read_lines(s, buf, len, &line, 0);
            memmove(buf, buf + used, len - used);
            len -= used;
            continue;
        }
        json_t *data = json_object_get(json_object_get(out, "data"), "application/json");
        if (data)
            read_json_output(s, i, data);
    }
    if (buf)
        read_lines(s, buf, len, &line, 1);
    free(buf);
}

void operations_extract(const json_t *nb, json_t **operations, json_t **taxonomies, json_t **problems)
{
    *operations = json_array();
    *taxonomies = json_array();
    *problems = json_array();
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(nb, "cells"), i, cell) {
        if (notebook_cell_has_tag(cell, "operations")) {
            struct sink s = {*operations, *problems, 1, i};
            read_cell(&s, cell);
        }
        if (notebook_cell_has_tag(cell, "taxonomies")) {
            struct sink s = {*taxonomies, *problems, 0, i};
            read_cell(&s, cell);
        }
    }
}
