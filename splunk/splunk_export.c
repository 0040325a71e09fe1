/* The lines of a search/v2/jobs/export stream with output_mode=json, read
 * the way splunk-sdk-python's JSONResultsReader reads them: each line is one
 * JSON object carrying "preview", and "result" (one row), "results" (rows)
 * or "messages" ([{"type": INFO|WARN|ERROR|FATAL, "text"}]).  Preview rows
 * are partial results that final rows supersede, so they are skipped; an
 * ERROR or FATAL message ends the stream with that message.  splunkd also
 * numbers rows ("offset") and marks the last one ("lastrow"); both are
 * recorded so the caller can tell a whole stream from a cut one. */
#include <stdio.h>
#include <string.h>

#include "splunk.h"

static int stop(struct sp_export *ex, const char *fmt, const char *a, const char *b)
{
    snprintf(ex->error, sizeof(ex->error), fmt, a, b);
    return -1;
}

/* Logs INFO/WARN; returns -1 with ex->error on ERROR/FATAL. */
static int read_messages(struct sp_export *ex, const json_t *messages)
{
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        const char *type = json_string_value(json_object_get(m, "type"));
        const char *text = json_string_value(json_object_get(m, "text"));
        if (type == NULL)
            type = "INFO";
        if (text == NULL)
            text = "(no text)";
        if (strcmp(type, "ERROR") == 0 || strcmp(type, "FATAL") == 0)
            return stop(ex, "Splunk search failed: %s: %s", type, text);
        if (ex->host != NULL && strcmp(type, "DEBUG") != 0)
            ex->host->log(ex->host, strcmp(type, "WARN") == 0 ? NBSOAR_LOG_WARN : NBSOAR_LOG_INFO,
                          "Splunk search says (%s): %s", type, text);
    }
    return 0;
}

static int hand_over(struct sp_export *ex, json_t *row)
{
    if (!json_is_object(row))
        return 0;
    ex->results++;
    int rc = ex->on_result(ex->arg, row);
    if (rc != 0) {
        ex->stopped = rc;
        return -1;
    }
    return 0;
}

int sp_export_line(struct sp_export *ex, const char *line, size_t len)
{
    size_t skip = 0;
    while (skip < len && (line[skip] == ' ' || line[skip] == '\t' || line[skip] == '\r'))
        skip++;
    if (skip == len)
        return 0;
    ex->lines++;
    json_error_t jerr;
    json_t *obj = json_loadb(line + skip, len - skip, 0, &jerr);
    if (!json_is_object(obj)) {
        char where[32];
        snprintf(where, sizeof(where), "%ld", ex->lines);
        json_decref(obj);
        return stop(ex, "export stream line %s is not a JSON object: %s", where,
                    obj == NULL ? jerr.text : "another JSON value");
    }
    int rc = 0;
    const json_t *messages = json_object_get(obj, "messages");
    if (json_is_array(messages))
        rc = read_messages(ex, messages);
    if (rc == 0 && json_is_true(json_object_get(obj, "preview"))) {
        if (json_object_get(obj, "result") != NULL)
            ex->previews++;
        else
            ex->previews += (long)json_array_size(json_object_get(obj, "results"));
        json_decref(obj);
        return 0;
    }
    if (rc == 0 && json_object_get(obj, "offset") != NULL)
        ex->saw_offset = 1;
    if (rc == 0 && json_is_true(json_object_get(obj, "lastrow")))
        ex->lastrow = 1;
    json_t *result = json_object_get(obj, "result");
    if (rc == 0 && result != NULL)
        rc = hand_over(ex, result);
    json_t *results = json_object_get(obj, "results");
    size_t i;
    json_t *row;
    json_array_foreach(results, i, row) {
        if (rc != 0)
            break;
        rc = hand_over(ex, row);
    }
    json_decref(obj);
    return rc;
}
