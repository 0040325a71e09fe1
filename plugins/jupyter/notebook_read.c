/* Reading nbformat 4.0-4.5 notebooks: JSON as Python reads it (pyjson),
 * the schema checks that matter for running them, then nbformat's
 * rejoin_lines and strip_transient so the tree holds joined strings. */
#include "notebook.h"
#include "pyjson.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check {
    const char *name;
    char *err;
    size_t errlen;
};

static int bad(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct check *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s", c->name, msg);
    return -1;
}

static int is_multiline(const json_t *v)
{
    if (json_is_string(v))
        return 1;
    if (!json_is_array(v))
        return 0;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return 0;
    }
    return 1;
}

/* application/json and application/...+json hold any JSON value. */
static int is_json_mime(const char *mime)
{
    size_t n = strlen(mime);
    return !strcmp(mime, "application/json") ||
           (!strncmp(mime, "application/", 12) && n >= 17 && !strcmp(mime + n - 5, "+json"));
}

static int check_mimebundle(struct check *c, const json_t *data, const char *where)
{
    if (!json_is_object(data))
        return bad(c, "%s must be an object", where);
    const char *mime;
    json_t *v;
    json_object_foreach((json_t *)data, mime, v)
    {
        if (!is_json_mime(mime) && !is_multiline(v))
            return bad(c, "%s['%s'] must be a string or a list of strings", where, mime);
    }
    return 0;
}

static int is_int_or_null(const json_t *v)
{
    return json_is_null(v) || (json_is_integer(v) && json_integer_value(v) >= 0);
}

static int check_output(struct check *c, const json_t *o, size_t ci, size_t oi)
{
    char where[96];
    if (!json_is_object(o))
        return bad(c, "cell %zu: outputs[%zu] must be an object", ci, oi);
    const char *type = json_string_value(json_object_get(o, "output_type"));
    if (!type)
        return bad(c, "cell %zu: outputs[%zu]: missing or non-string field 'output_type'", ci, oi);
    if (!strcmp(type, "stream")) {
        if (!json_is_string(json_object_get(o, "name")))
            return bad(c, "cell %zu: outputs[%zu] (stream): field 'name' must be a string", ci, oi);
        if (!is_multiline(json_object_get(o, "text")))
            return bad(c, "cell %zu: outputs[%zu] (stream): field 'text' must be a string or a list of strings",
                       ci, oi);
        return 0;
    }
    if (!strcmp(type, "display_data") || !strcmp(type, "execute_result")) {
        snprintf(where, sizeof where, "cell %zu: outputs[%zu] (%s): field 'data'", ci, oi, type);
        if (check_mimebundle(c, json_object_get(o, "data"), where) < 0)
            return -1;
        if (!json_is_object(json_object_get(o, "metadata")))
            return bad(c, "cell %zu: outputs[%zu] (%s): field 'metadata' must be an object", ci, oi, type);
        if (!strcmp(type, "execute_result") && !is_int_or_null(json_object_get(o, "execution_count")))
            return bad(c, "cell %zu: outputs[%zu] (execute_result): field 'execution_count' must be an integer >= 0 or null",
                       ci, oi);
        return 0;
    }
    if (!strcmp(type, "error")) {
        if (!json_is_string(json_object_get(o, "ename")) || !json_is_string(json_object_get(o, "evalue")))
            return bad(c, "cell %zu: outputs[%zu] (error): fields 'ename' and 'evalue' must be strings", ci, oi);
        const json_t *tb = json_object_get(o, "traceback");
        if (!json_is_array(tb) || !is_multiline(tb))
            return bad(c, "cell %zu: outputs[%zu] (error): field 'traceback' must be a list of strings", ci, oi);
        return 0;
    }
    return bad(c, "cell %zu: outputs[%zu]: unknown output_type '%s'", ci, oi, type);
}

/* Cell ids per nbformat 4.5: ^[a-zA-Z0-9-_]+$, 1-64 characters. */
static int valid_cell_id(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_'))
            return 0;
    }
    return 1;
}

static int check_cell(struct check *c, const json_t *cell, size_t i)
{
    if (!json_is_object(cell))
        return bad(c, "cell %zu must be an object", i);
    const json_t *ct = json_object_get(cell, "cell_type");
    if (!ct)
        return bad(c, "cell %zu: missing required field 'cell_type'", i);
    const char *type = json_string_value(ct);
    if (!type || (strcmp(type, "code") && strcmp(type, "markdown") && strcmp(type, "raw")))
        return bad(c, "cell %zu: field 'cell_type' must be one of \"code\", \"markdown\", \"raw\"", i);
    const json_t *id = json_object_get(cell, "id");
    if (id && (!json_is_string(id) || !valid_cell_id(json_string_value(id))))
        return bad(c, "cell %zu: field 'id' must be 1-64 characters of a-z A-Z 0-9 - _", i);
    const json_t *md = json_object_get(cell, "metadata");
    if (!json_is_object(md))
        return bad(c, "cell %zu: %s field 'metadata' (an object)", i, md ? "wrong type for" : "missing required");
    const json_t *tags = json_object_get(md, "tags");
    if (tags && (!json_is_array(tags) || !is_multiline(tags)))
        return bad(c, "cell %zu: field 'metadata.tags' must be a list of strings", i);
    const json_t *src = json_object_get(cell, "source");
    if (!is_multiline(src))
        return bad(c, "cell %zu: %s field 'source' (a string or a list of strings)", i,
                   src ? "wrong type for" : "missing required");
    const json_t *att = json_object_get(cell, "attachments");
    if (att) {
        if (!json_is_object(att))
            return bad(c, "cell %zu: field 'attachments' must be an object", i);
        const char *k;
        json_t *bundle;
        json_object_foreach((json_t *)att, k, bundle)
        {
            char where[160];
            snprintf(where, sizeof where, "cell %zu: attachments['%.64s']", i, k);
            if (check_mimebundle(c, bundle, where) < 0)
                return -1;
        }
    }
    if (strcmp(type, "code"))
        return 0;
    const json_t *outs = json_object_get(cell, "outputs");
    if (!json_is_array(outs))
        return bad(c, "cell %zu: %s field 'outputs' (a list)", i, outs ? "wrong type for" : "missing required");
    const json_t *ec = json_object_get(cell, "execution_count");
    if (!json_object_get(cell, "execution_count") || !is_int_or_null(ec))
        return bad(c, "cell %zu: field 'execution_count' must be an integer >= 0 or null", i);
    size_t oi;
    json_t *o;
    json_array_foreach(outs, oi, o)
    {
        if (check_output(c, o, i, oi) < 0)
            return -1;
    }
    return 0;
}

static int check_notebook(struct check *c, const json_t *nb)
{
    if (!json_is_object(nb))
        return bad(c, "a notebook must be a JSON object");
    const json_t *major = json_object_get(nb, "nbformat");
    if (!json_is_integer(major))
        return bad(c, "missing or non-integer field 'nbformat'; not a Jupyter notebook?");
    json_int_t v = json_integer_value(major);
    if (v < 4)
        return bad(c, "nbformat %lld is not supported; convert with jupyter nbconvert --to notebook --nbformat 4",
                   (long long)v);
    if (v > 4)
        return bad(c, "nbformat %lld is not supported (only nbformat 4.0-4.5)", (long long)v);
    const json_t *minor = json_object_get(nb, "nbformat_minor");
    if (!json_is_integer(minor) || json_integer_value(minor) < 0)
        return bad(c, "missing or non-integer field 'nbformat_minor'");
    if (json_integer_value(minor) > 5)
        return bad(c, "nbformat 4.%lld is newer than the supported 4.0-4.5", (long long)json_integer_value(minor));
    const json_t *md = json_object_get(nb, "metadata");
    if (!json_is_object(md))
        return bad(c, "%s top-level field 'metadata' (an object)", md ? "wrong type for" : "missing required");
    const json_t *ks = json_object_get(md, "kernelspec");
    if (ks && (!json_is_string(json_object_get(ks, "name")) || !json_is_string(json_object_get(ks, "display_name"))))
        return bad(c, "field 'metadata.kernelspec' needs string fields 'name' and 'display_name'");
    const json_t *li = json_object_get(md, "language_info");
    if (li && !json_is_string(json_object_get(li, "name")))
        return bad(c, "field 'metadata.language_info' needs a string field 'name'");
    const json_t *cells = json_object_get(nb, "cells");
    if (!json_is_array(cells))
        return bad(c, "%s top-level field 'cells' (a list)", cells ? "wrong type for" : "missing required");
    size_t i;
    json_t *cell;
    json_array_foreach(cells, i, cell)
    {
        if (check_cell(c, cell, i) < 0)
            return -1;
    }
    return 0;
}

/* nbformat's validate() repairs 4.5 notebooks (and papermill reads them
 * through it): missing cell ids are generated, then repeated ids replaced,
 * each with a warning. */
static void repair_cell_ids(json_t *nb, json_t *warnings)
{
    if (json_integer_value(json_object_get(nb, "nbformat_minor")) < 5)
        return;
    json_t *cells = json_object_get(nb, "cells");
    size_t i;
    json_t *cell;
    char id[9], msg[160];
    json_array_foreach(cells, i, cell)
    {
        if (json_object_get(cell, "id"))
            continue;
        notebook_new_cell_id(id);
        json_object_set_new(cell, "id", json_string(id));
        snprintf(msg, sizeof msg, "cell %zu: missing id field (nbformat 4.5), generated '%s'", i, id);
        json_array_append_new(warnings, json_string(msg));
    }
    json_t *seen = json_object();
    json_array_foreach(cells, i, cell)
    {
        const char *cur = json_string_value(json_object_get(cell, "id"));
        if (json_object_get(seen, cur)) {
            notebook_new_cell_id(id);
            snprintf(msg, sizeof msg, "cell %zu: Non-unique cell id '%s' detected. Corrected to '%s'.", i, cur, id);
            json_array_append_new(warnings, json_string(msg));
            json_object_set_new(cell, "id", json_string(id));
            cur = id;
        }
        json_object_set_new(seen, cur, json_true());
    }
    json_decref(seen);
}

/* "".join(list) in place; the value was checked to be a list of strings. */
static void join_field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_array(v))
        return;
    size_t total = 0, i;
    json_t *e;
    json_array_foreach(v, i, e) total += json_string_length(e);
    char *buf = malloc(total + 1);
    if (!buf)
        return;
    size_t off = 0;
    json_array_foreach(v, i, e)
    {
        memcpy(buf + off, json_string_value(e), json_string_length(e));
        off += json_string_length(e);
    }
    json_object_set_new(obj, key, json_stringn_nocheck(buf, total));
    free(buf);
}

static void rejoin_mimebundle(json_t *data)
{
    const char *mime;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(data, tmp, mime, v)
    {
        if (!is_json_mime(mime) && json_is_array(v) && is_multiline(v))
            join_field(data, mime);
    }
}

/* nbformat's rejoin_lines followed by strip_transient. */
static void rejoin_and_strip(json_t *nb)
{
    json_t *md = json_object_get(nb, "metadata");
    json_object_del(md, "orig_nbformat");
    json_object_del(md, "orig_nbformat_minor");
    json_object_del(md, "signature");
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(nb, "cells"), i, cell)
    {
        join_field(cell, "source");
        const char *k;
        json_t *bundle;
        json_object_foreach(json_object_get(cell, "attachments"), k, bundle) rejoin_mimebundle(bundle);
        if (!strcmp(json_string_value(json_object_get(cell, "cell_type")), "code")) {
            size_t oi;
            json_t *o;
            json_array_foreach(json_object_get(cell, "outputs"), oi, o)
            {
                const char *type = json_string_value(json_object_get(o, "output_type"));
                if (!strcmp(type, "execute_result") || !strcmp(type, "display_data"))
                    rejoin_mimebundle(json_object_get(o, "data"));
                else
                    join_field(o, "text");
            }
        }
        json_object_del(json_object_get(cell, "metadata"), "trusted");
    }
}

json_t *notebook_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    return notebook_parse_with_warnings(text, len, name, NULL, err, errlen);
}

json_t *notebook_parse_with_warnings(const char *text, size_t len, const char *name, json_t **warnings_out,
                                     char *err, size_t errlen)
{
    if (warnings_out)
        *warnings_out = NULL;
    char jerr[256];
    json_t *nb = pyjson_loads(text, len, 0, jerr, sizeof jerr);
    if (!nb) {
        snprintf(err, errlen, "%s: not valid JSON: %s", name, jerr);
        return NULL;
    }
    struct check c = {name, err, errlen};
    if (check_notebook(&c, nb) < 0) {
        json_decref(nb);
        return NULL;
    }
    rejoin_and_strip(nb);
    json_t *warnings = json_array();
    repair_cell_ids(nb, warnings);
    if (warnings_out && json_array_size(warnings))
        *warnings_out = json_incref(warnings);
    json_decref(warnings);
    return nb;
}

json_t *notebook_read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int failed = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!buf || failed) {
        snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    json_t *nb = notebook_parse(buf, n, strcmp(path, "-") ? path : "<stdin>", err, errlen);
    free(buf);
    return nb;
}
