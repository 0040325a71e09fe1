/* IOPub messages to notebook outputs (nbclient process_message / output /
 * clear_output / _update_display_id, nbformat output_from_msg). */
#include "outputs.h"

#include <stdlib.h>
#include <string.h>

struct display_ref {
    char *display_id; /* OWNED */
    size_t cell;
    size_t output;
};

void outputs_init(struct output_state *s, json_t *cells)
{
    memset(s, 0, sizeof *s);
    s->cells = cells;
}

void outputs_free(struct output_state *s)
{
    for (size_t i = 0; i < s->n_refs; i++)
        free(s->refs[i].display_id);
    free(s->refs);
    memset(s, 0, sizeof *s);
}

void outputs_begin_cell(struct output_state *s)
{
    s->clear_pending = 0;
}

static json_t *cell_outputs(struct output_state *s, size_t index)
{
    json_t *cell = json_array_get(s->cells, index);
    json_t *outs = json_object_get(cell, "outputs");
    if (!json_is_array(outs)) {
        outs = json_array();
        json_object_set_new(cell, "outputs", outs);
    }
    return outs;
}

static void forget_cell_refs(struct output_state *s, size_t index)
{
    size_t w = 0;
    for (size_t r = 0; r < s->n_refs; r++) {
        if (s->refs[r].cell == index) {
            free(s->refs[r].display_id);
            continue;
        }
        s->refs[w++] = s->refs[r];
    }
    s->n_refs = w;
}

static void remember_ref(struct output_state *s, const char *display_id, size_t cell, size_t output)
{
    if (s->n_refs == s->cap_refs) {
        size_t cap = s->cap_refs ? s->cap_refs * 2 : 8;
        struct display_ref *n = realloc(s->refs, cap * sizeof *n);
        if (!n)
            return;
        s->refs = n;
        s->cap_refs = cap;
    }
    char *id = strdup(display_id);
    if (!id)
        return;
    s->refs[s->n_refs++] = (struct display_ref){id, cell, output};
}

static json_t *copy_or_empty(const json_t *v)
{
    return json_is_object(v) ? json_deep_copy(v) : json_object();
}

/* nbformat.v4.output_from_msg; NULL for a message that is not an output. */
static json_t *output_from_msg(const char *msg_type, const json_t *content)
{
    json_t *out = json_object();
    json_object_set_new(out, "output_type", json_string(msg_type));
    if (strcmp(msg_type, "stream") == 0) {
        json_object_set(out, "name", json_object_get(content, "name") ?: json_string("stdout"));
        json_object_set_new(out, "text", json_string(json_string_value(json_object_get(content, "text")) ?: ""));
    } else if (strcmp(msg_type, "display_data") == 0 || strcmp(msg_type, "execute_result") == 0) {
        json_object_set_new(out, "data", copy_or_empty(json_object_get(content, "data")));
        json_object_set_new(out, "metadata", copy_or_empty(json_object_get(content, "metadata")));
        if (msg_type[1] == 'x') {
            json_t *ec = json_object_get(content, "execution_count");
            json_object_set_new(out, "execution_count", json_is_integer(ec) ? json_copy(ec) : json_null());
        }
    } else if (strcmp(msg_type, "error") == 0) {
        json_object_set_new(out, "ename", json_string(json_string_value(json_object_get(content, "ename")) ?: ""));
        json_object_set_new(out, "evalue", json_string(json_string_value(json_object_get(content, "evalue")) ?: ""));
        json_t *tb = json_object_get(content, "traceback");
        json_object_set_new(out, "traceback", json_is_array(tb) ? json_deep_copy(tb) : json_array());
    } else {
        json_decref(out);
        return NULL;
    }
    return out;
}

static void update_display(struct output_state *s, const char *display_id, const json_t *content)
{
    for (size_t r = 0; r < s->n_refs; r++) {
        if (strcmp(s->refs[r].display_id, display_id) != 0)
            continue;
        json_t *cell = json_array_get(s->cells, s->refs[r].cell);
        json_t *out = json_array_get(json_object_get(cell, "outputs"), s->refs[r].output);
        if (!out)
            continue;
        json_object_set_new(out, "data", copy_or_empty(json_object_get(content, "data")));
        json_object_set_new(out, "metadata", copy_or_empty(json_object_get(content, "metadata")));
    }
}

json_t *outputs_handle(struct output_state *s, size_t index, const char *msg_type,
                       const json_t *content)
{
    json_t *cell = json_array_get(s->cells, index);
    const char *display_id = json_string_value(json_object_get(json_object_get(content, "transient"), "display_id"));
    int displays = strcmp(msg_type, "execute_result") == 0 || strcmp(msg_type, "display_data") == 0 ||
                   strcmp(msg_type, "update_display_data") == 0;
    if (display_id && displays)
        update_display(s, display_id, content);

    json_t *ec = json_object_get(content, "execution_count");
    if (ec && cell)
        json_object_set_new(cell, "execution_count", json_copy(ec));

    if (strcmp(msg_type, "status") == 0 || strcmp(msg_type, "execute_input") == 0 ||
        strcmp(msg_type, "update_display_data") == 0 || strncmp(msg_type, "comm", 4) == 0)
        return NULL;
    if (strcmp(msg_type, "clear_output") == 0) {
        if (json_is_true(json_object_get(content, "wait"))) {
            s->clear_pending = 1;
        } else {
            json_array_clear(cell_outputs(s, index));
            forget_cell_refs(s, index);
        }
        return NULL;
    }
    json_t *out = output_from_msg(msg_type, content);
    if (!out)
        return NULL;
    json_t *outs = cell_outputs(s, index);
    if (s->clear_pending) {
        json_array_clear(outs);
        forget_cell_refs(s, index);
        s->clear_pending = 0;
    }
    if (display_id)
        remember_ref(s, display_id, index, json_array_size(outs));
    json_array_append_new(outs, out);
    return out;
}

/* nbclient's `.*\r(?=[^\n])`: within each line, drop everything up to the
 * last carriage return that is followed by more text on that line.  (Its
 * backspace pass never runs: the loop condition is false on entry.) */
static char *resolve_carriage_returns(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0, start = 0;
    while (start <= n) {
        const char *nl = memchr(text + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - text) : n;
        size_t from = start;
        for (size_t p = start; p + 1 < end; p++) {
            if (text[p] == '\r')
                from = p + 1;
        }
        memcpy(out + o, text + from, end - from);
        o += end - from;
        if (!nl)
            break;
        out[o++] = '\n';
        start = end + 1;
    }
    out[o] = '\0';
    return out;
}

static int is_stream(const json_t *out, const char *name)
{
    const char *t = json_string_value(json_object_get(out, "output_type"));
    const char *nm = json_string_value(json_object_get(out, "name"));
    return t && strcmp(t, "stream") == 0 && (!name || (nm && strcmp(nm, name) == 0));
}

static void append_text(json_t *out, const char *more)
{
    const char *old = json_string_value(json_object_get(out, "text")) ?: "";
    size_t a = strlen(old), b = strlen(more);
    char *joined = malloc(a + b + 1);
    if (!joined)
        return;
    memcpy(joined, old, a);
    memcpy(joined + a, more, b + 1);
    json_object_set_new(out, "text", json_string(joined));
    free(joined);
}

void outputs_coalesce_streams(json_t *outputs)
{
    json_t *first_out = NULL, *first_err = NULL;
    for (size_t i = 0; i < json_array_size(outputs);) {
        json_t *out = json_array_get(outputs, i);
        if (!is_stream(out, NULL)) {
            i++;
            continue;
        }
        json_t **first = is_stream(out, "stderr") ? &first_err : is_stream(out, "stdout") ? &first_out : NULL;
        if (!first || !*first) {
            if (first)
                *first = out;
            i++;
            continue;
        }
        append_text(*first, json_string_value(json_object_get(out, "text")) ?: "");
        json_array_remove(outputs, i);
    }
    json_t *firsts[2] = {first_out, first_err};
    for (int f = 0; f < 2; f++) {
        if (!firsts[f])
            continue;
        char *clean = resolve_carriage_returns(json_string_value(json_object_get(firsts[f], "text")) ?: "");
        if (clean)
            json_object_set_new(firsts[f], "text", json_string(clean));
        free(clean);
    }
    for (size_t i = 0; i + 1 < json_array_size(outputs); i++) {
        json_t *a = json_array_get(outputs, i), *b = json_array_get(outputs, i + 1);
        if (is_stream(a, "stderr") && is_stream(b, "stdout")) {
            json_incref(b);
            json_array_remove(outputs, i + 1);
            json_array_insert_new(outputs, i, b);
        }
    }
}
