/* notify texts: the JobFinished mail's subject and body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL && s[0] != '\0' ? s : NULL;
}

static void fill(json_t *obj, const char *key, const char *value)
{
    if (value != NULL && str(obj, key) == NULL)
        json_object_set_new(obj, key, json_string(value));
}

json_t *notify_job_object(const json_t *given, const struct nbsoar_job *job)
{
    json_t *out = json_is_object(given) ? json_deep_copy(given) : json_object();
    if (job != NULL) {
        fill(out, "id", job->id);
        fill(out, "route", job->route);
        fill(out, "notebook", job->notebook);
        fill(out, "event_id", job->event_id);
        fill(out, "event_title", json_string_value(json_object_get(job->event, "title")));
    }
    if (json_object_get(out, "duration_s") == NULL && json_is_number(json_object_get(out, "duration")))
        json_object_set(out, "duration_s", json_object_get(out, "duration"));
    return out;
}

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

/* Subjects are one line: anything below a space becomes a space. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20)
            *s = ' ';
}

char *notify_job_subject(const struct notify *n, const json_t *job)
{
    const char *status = str(job, "status"), *route = str(job, "route"),
               *notebook = str(job, "notebook"), *title = str(job, "event_title");
    char *out = NULL;
    if (asprintf(&out, "%s%s%s%s%s%s%s", n->subject_prefix, n->subject_prefix[0] ? " " : "",
                 status ? status : "finished", route || notebook ? ": " : "", route ? route : "",
                 route && notebook ? " / " : "", notebook ? basename_of(notebook) : "") < 0)
        return NULL;
    if (title != NULL) {
        char *longer = NULL;
        if (asprintf(&longer, "%s - %s", out, title) < 0) {
            free(out);
            return NULL;
        }
        free(out);
        out = longer;
    }
    one_line(out);
    return out;
}

struct text {
    char *s;
};

static void add(struct text *t, const char *label, const char *value)
{
    if (value == NULL)
        return;
    char *grown = NULL;
    if (asprintf(&grown, "%s%-10s %s\n", t->s ? t->s : "", label, value) < 0)
        return;
    free(t->s);
    t->s = grown;
}

char *notify_job_body(const json_t *job)
{
    struct text t = {0};
    char head[256], num[64];
    const char *status = str(job, "status");
    const json_t *dur = json_object_get(job, "duration_s");
    if (json_is_number(dur))
        snprintf(head, sizeof(head), "Job %s %s after %.1f s.\n\n", str(job, "id") ? str(job, "id") : "?",
                 status ? status : "finished", json_number_value(dur));
    else
        snprintf(head, sizeof(head), "Job %s %s.\n\n", str(job, "id") ? str(job, "id") : "?",
                 status ? status : "finished");
    t.s = strdup(head);
    add(&t, "Status:", status);
    add(&t, "Route:", str(job, "route"));
    add(&t, "Notebook:", str(job, "notebook"));
    const char *title = str(job, "event_title"), *event_id = str(job, "event_id");
    char event[1024];
    if (title != NULL || event_id != NULL) {
        snprintf(event, sizeof(event), "%s%s%s%s", title ? title : "", title && event_id ? " (" : "",
                 event_id ? event_id : "", title && event_id ? ")" : "");
        add(&t, "Event:", event);
    }
    if (json_is_integer(json_object_get(job, "attempt"))) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(job, "attempt")));
        add(&t, "Attempt:", num);
    }
    add(&t, "Error:", str(job, "error"));
    add(&t, "Output:", str(job, "output"));
    const char *link = str(job, "output_link") ? str(job, "output_link") : str(job, "output");
    if (link != NULL) {
        char *grown = NULL;
        if (asprintf(&grown, "%s\nExecuted notebook: %s\n", t.s ? t.s : "", link) >= 0) {
            free(t.s);
            t.s = grown;
        }
    }
    return t.s;
}
