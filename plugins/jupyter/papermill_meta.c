/* papermill 2.6.0's notebook and cell metadata, error markers and error
 * scan (engines.py, execute.py, exceptions.py), on jansson trees. */
#include "papermill_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notebook.h"

#define ERROR_STYLE "style=\"color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;\""

int64_t pm_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void pm_format_iso(int64_t us, char out[32])
{
    time_t secs = (time_t)(us / 1000000);
    long frac = (long)(us % 1000000);
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac != 0)
        snprintf(out + n, 32 - n, ".%06ld", frac);
}

double pm_seconds(int64_t delta_us)
{
    return (double)delta_us / 1e6;
}

static json_t *object_child(json_t *parent, const char *key)
{
    json_t *o = json_object_get(parent, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(parent, key, o);
    }
    return o;
}

static void set_time(json_t *obj, const char *key, int64_t us)
{
    char buf[32];
    pm_format_iso(us, buf);
    json_object_set_new(obj, key, json_string(buf));
}

void pm_load_defaults(json_t *nb)
{
    json_t *meta = object_child(nb, "metadata");
    if (!json_object_get(meta, "papermill")) {
        json_t *pm = json_object();
        json_object_set_new(pm, "default_parameters", json_object());
        json_object_set_new(pm, "parameters", json_object());
        json_object_set_new(pm, "environment_variables", json_object());
        json_object_set_new(pm, "version", json_string(PAPERMILL_FORMAT_VERSION));
        json_object_set_new(meta, "papermill", pm);
    }
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(nb, "cells"), i, cell) {
        json_t *cm = object_child(cell, "metadata");
        if (!json_object_get(cm, "tags"))
            json_object_set_new(cm, "tags", json_array());
        if (!json_object_get(cm, "papermill"))
            json_object_set_new(cm, "papermill", json_object());
    }
}

void pm_prepare(json_t *nb, const char *input_path, const char *output_path, int report_mode)
{
    json_t *cells = json_object_get(nb, "cells");
    size_t i;
    json_t *cell;
    if (report_mode) {
        /* papermill replaces metadata.jupyter with {"source_hidden": true}
         * (it reads cell.jupyter, never set), so other keys are dropped. */
        json_array_foreach(cells, i, cell) {
            if (strcmp(json_string_value(json_object_get(cell, "cell_type")) ?: "", "code") != 0)
                continue;
            json_t *j = json_object();
            json_object_set_new(j, "source_hidden", json_true());
            json_object_set_new(object_child(cell, "metadata"), "jupyter", j);
        }
    }
    json_t *pm = object_child(object_child(nb, "metadata"), "papermill");
    json_object_set_new(pm, "input_path", input_path ? json_string(input_path) : json_null());
    json_object_set_new(pm, "output_path", output_path ? json_string(output_path) : json_null());

    for (i = json_array_size(cells); i-- > 0;) {
        if (notebook_cell_has_tag(json_array_get(cells, i), PAPERMILL_ERROR_MARKER_TAG))
            json_array_remove(cells, i);
    }
}

static int is_code(const json_t *cell)
{
    const char *t = json_string_value(json_object_get(cell, "cell_type"));
    return t && strcmp(t, "code") == 0;
}

void pm_notebook_start(json_t *nb, int64_t start_us)
{
    json_t *pm = object_child(object_child(nb, "metadata"), "papermill");
    set_time(pm, "start_time", start_us);
    json_object_set_new(pm, "end_time", json_null());
    json_object_set_new(pm, "duration", json_null());
    json_object_set_new(pm, "exception", json_null());
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(nb, "cells"), i, cell) {
        if (is_code(cell)) {
            json_object_set_new(cell, "execution_count", json_null());
            json_object_set_new(cell, "outputs", json_array());
        }
        json_t *cpm = json_object();
        json_object_set_new(cpm, "exception", json_null());
        json_object_set_new(cpm, "start_time", json_null());
        json_object_set_new(cpm, "end_time", json_null());
        json_object_set_new(cpm, "duration", json_null());
        json_object_set_new(cpm, "status", json_string("pending"));
        json_object_set_new(object_child(cell, "metadata"), "papermill", cpm);
    }
}

void pm_cell_start(json_t *cell, int64_t now_us)
{
    json_t *cpm = object_child(object_child(cell, "metadata"), "papermill");
    set_time(cpm, "start_time", now_us);
    json_object_set_new(cpm, "status", json_string("running"));
    json_object_set_new(cpm, "exception", json_false());
}

void pm_cell_exception(json_t *nb, json_t *cell)
{
    json_t *cpm = object_child(object_child(cell, "metadata"), "papermill");
    json_object_set_new(cpm, "exception", json_true());
    json_object_set_new(cpm, "status", json_string("failed"));
    json_t *pm = object_child(object_child(nb, "metadata"), "papermill");
    json_object_set_new(pm, "exception", json_true());
}

/* Parses what pm_format_iso wrote back into microseconds; -1 if it cannot. */
static int64_t parse_iso(const char *s)
{
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest)
        return -1;
    int64_t us = (int64_t)timegm(&tm) * 1000000;
    if (*rest == '.') {
        long frac = 0;
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9' && digits < 6; rest++, digits++)
            frac = frac * 10 + (*rest - '0');
        for (; digits < 6; digits++)
            frac *= 10;
        us += frac;
    }
    return us;
}

void pm_cell_complete(json_t *cell, int64_t now_us)
{
    json_t *cpm = object_child(object_child(cell, "metadata"), "papermill");
    set_time(cpm, "end_time", now_us);
    const char *start = json_string_value(json_object_get(cpm, "start_time"));
    if (start && *start) {
        int64_t s = parse_iso(start);
        if (s >= 0)
            json_object_set_new(cpm, "duration", json_real(pm_seconds(now_us - s)));
    }
    const char *status = json_string_value(json_object_get(cpm, "status"));
    if (!status || strcmp(status, "failed") != 0)
        json_object_set_new(cpm, "status", json_string("completed"));
}

void pm_notebook_complete(json_t *nb, int64_t start_us, int64_t end_us)
{
    json_t *pm = object_child(object_child(nb, "metadata"), "papermill");
    set_time(pm, "end_time", end_us);
    json_object_set_new(pm, "duration", json_real(pm_seconds(end_us - start_us)));
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(nb, "cells"), i, cell) {
        json_t *cpm = json_object_get(json_object_get(cell, "metadata"), "papermill");
        const char *status = json_string_value(json_object_get(cpm, "status"));
        if (!status)
            continue;
        if (strcmp(status, "failed") == 0)
            break;
        if (strcmp(status, "pending") == 0)
            json_object_set_new(cpm, "status", json_string("completed"));
    }
}

char *pm_strip_color(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '\x1b' && s[i + 1] == '[') {
            if (s[i + 2] == 'K') {
                i += 3;
                continue;
            }
            const char *m = strchr(s + i + 2, 'm');
            const char *nl = strchr(s + i + 2, '\n');
            /* ".*?m" does not cross a newline */
            if (m && (!nl || m < nl)) {
                i = (size_t)(m - s) + 1;
                continue;
            }
        }
        out[o++] = s[i++];
    }
    out[o] = '\0';
    return out;
}

static char *join_lines(const json_t *arr)
{
    size_t len = 1, i;
    json_t *v;
    json_array_foreach(arr, i, v) len += strlen(json_string_value(v) ?: "") + 1;
    char *out = malloc(len);
    if (!out)
        return NULL;
    size_t o = 0;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v) ?: "";
        size_t n = strlen(s);
        if (i > 0)
            out[o++] = '\n';
        memcpy(out + o, s, n);
        o += n;
    }
    out[o] = '\0';
    char *stripped = pm_strip_color(out);
    free(out);
    return stripped;
}

static void set_error(struct pm_error *e, int index, const json_t *cell, const char *ename,
                      const char *evalue, const json_t *traceback)
{
    pm_error_clear(e);
    e->found = 1;
    e->cell_index = index;
    json_t *ec = json_object_get(cell, "execution_count");
    e->exec_count = json_is_integer(ec) ? json_integer_value(ec) : -1;
    e->ename = strdup(ename ?: "");
    e->evalue = strdup(evalue ?: "");
    e->traceback = traceback ? join_lines(traceback) : strdup("");
}

void pm_find_error(const json_t *nb, struct pm_error *e)
{
    memset(e, 0, sizeof *e);
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(nb, "cells"), i, cell) {
        int has_sys_exit = 0;
        size_t j;
        json_t *out;
        json_array_foreach(json_object_get(cell, "outputs"), j, out) {
            const char *type = json_string_value(json_object_get(out, "output_type"));
            if (!type || strcmp(type, "error") != 0)
                continue;
            const char *ename = json_string_value(json_object_get(out, "ename")) ?: "";
            const char *evalue = json_string_value(json_object_get(out, "evalue")) ?: "";
            if (strcmp(ename, "SystemExit") == 0 && (!*evalue || strcmp(evalue, "0") == 0)) {
                has_sys_exit = 1;
                continue;
            }
            set_error(e, (int)i, cell, ename, evalue, json_object_get(out, "traceback"));
            break;
        }
        json_t *exc = json_object_get(json_object_get(json_object_get(cell, "metadata"), "papermill"),
                                      "exception");
        if (!e->found && !has_sys_exit && json_is_true(exc)) {
            set_error(e, (int)i, cell, "CellExecutionError", "", NULL);
            break;
        }
    }
}

void pm_error_clear(struct pm_error *e)
{
    free(e->ename);
    free(e->evalue);
    free(e->traceback);
    memset(e, 0, sizeof *e);
}

static json_t *marker_cell(const char *source)
{
    char id[9];
    notebook_new_cell_id(id);
    json_t *tags = json_array();
    json_array_append_new(tags, json_string(PAPERMILL_ERROR_MARKER_TAG));
    json_t *meta = json_object();
    json_object_set_new(meta, "tags", tags);
    json_t *cell = json_object();
    json_object_set_new(cell, "id", json_string(id));
    json_object_set_new(cell, "cell_type", json_string("markdown"));
    json_object_set_new(cell, "metadata", meta);
    json_object_set_new(cell, "source", json_string(source));
    return cell;
}

static void format_exec_count(json_int_t n, char out[32])
{
    if (n < 0)
        snprintf(out, 32, "None");
    else
        snprintf(out, 32, "%" JSON_INTEGER_FORMAT, n);
}

void pm_insert_error_markers(json_t *nb, const struct pm_error *e)
{
    char count[32], banner[512];
    format_exec_count(e->exec_count, count);
    snprintf(banner, sizeof banner,
             "<span " ERROR_STYLE ">An Exception was encountered at "
             "'<a href=\"#papermill-error-cell\">In [%s]</a>'.</span>", count);
    notebook_upgrade(nb);
    json_t *cells = json_object_get(nb, "cells");
    json_array_insert_new(cells, (size_t)e->cell_index,
                          marker_cell("<span id=\"papermill-error-cell\" " ERROR_STYLE ">"
                                      "Execution using papermill encountered an exception here and stopped:"
                                      "</span>"));
    json_array_insert_new(cells, 0, marker_cell(banner));
}

char *pm_error_message(const struct pm_error *e)
{
    char count[32];
    format_exec_count(e->exec_count, count);
    char dashes[76];
    memset(dashes, '-', 75);
    dashes[75] = '\0';
    char *msg = NULL;
    if (asprintf(&msg, "cell %d, In [%s]: %s: %s\n%s\nException encountered at \"In [%s]\":\n%s\n",
                 e->cell_index, count, e->ename ?: "", e->evalue ?: "", dashes, count,
                 e->traceback ?: "") < 0)
        return NULL;
    return msg;
}
