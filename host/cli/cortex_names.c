/* Names and locations: the Python responder's job ids ("case-1-task-2"),
 * the parameters it injects, and where each notebook is read and written.
 * Unlike the Python responder, a local output keeps the notebook's name
 * (it wrote "<id>-" and dropped it) and the subfolders of its input path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cortex.h"

/* An id from TheHive's JSON ("id", else "_id"), without the '~' of
 * TheHive 4 and with anything but [A-Za-z0-9._-] as '_', so that it cannot
 * leave the output folder.  label NULL: the id alone. */
static int append_id(char *out, size_t outlen, const char *label, const json_t *obj, const char *what, char *err,
                     size_t errlen)
{
    const json_t *v = json_object_get(obj, "id");
    if (!json_is_string(v) && !json_is_integer(v))
        v = json_object_get(obj, "_id");
    char num[32];
    const char *id = json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        id = num;
    }
    if (!id || !*id) {
        snprintf(err, errlen, "%s has no \"id\": the output notebooks are named after it", what);
        return -1;
    }
    size_t len = strlen(out);
    if (*out && len + 1 < outlen)
        out[len++] = '-';
    if (label)
        len += (size_t)snprintf(out + len, len < outlen ? outlen - len : 0, "%s-", label);
    if (len >= outlen)
        len = outlen - 1;
    for (const char *p = id; *p && len + 1 < outlen; p++) {
        if (*p == '~')
            continue;
        int safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                   *p == '.' || *p == '_' || *p == '-';
        out[len++] = safe ? *p : '_';
    }
    out[len] = '\0';
    return 0;
}

static const json_t *parent(const json_t *obj, const char *key, const char *what, char *err, size_t errlen)
{
    const json_t *p = json_object_get(obj, key);
    if (!json_is_object(p))
        snprintf(err, errlen, "data.%s is missing: %s carries its parent in \"%s\" as TheHive sends it", key,
                 what, key);
    return json_is_object(p) ? p : NULL;
}

char *cortex_job_id(const struct cortex_job *job, char *err, size_t errlen)
{
    char id[512] = "";
    const json_t *d = job->data;
    const char *t = job->data_type;
    if (job->analyzer) {
        /* the observable's value, made safe for a file name */
        json_t *obj = json_pack("{s:s}", "id", json_string_value(d));
        int rc = append_id(id, sizeof id, NULL, obj, "data", err, errlen);
        json_decref(obj);
        return rc == 0 ? strdup(id) : NULL;
    }
    int rc;
    if (strcmp(t, "thehive:alert") == 0) {
        rc = append_id(id, sizeof id, "alert", d, "data (the alert)", err, errlen);
    } else if (strcmp(t, "thehive:case") == 0) {
        rc = append_id(id, sizeof id, "case", d, "data (the case)", err, errlen);
    } else if (strcmp(t, "thehive:case_artifact") == 0) {
        /* an observable of an alert carries "alert" (the Python responder fails there) */
        const json_t *alert = json_object_get(d, "alert");
        const json_t *p = json_is_object(alert) ? alert : parent(d, "case", "an observable", err, errlen);
        rc = !p || append_id(id, sizeof id, json_is_object(alert) ? "alert" : "case", p, "the observable's parent",
                             err, errlen) ||
             append_id(id, sizeof id, "observable", d, "data (the observable)", err, errlen);
    } else if (strcmp(t, "thehive:case_task") == 0) {
        const json_t *c = parent(d, "case", "a task", err, errlen);
        rc = !c || append_id(id, sizeof id, "case", c, "data.case", err, errlen) ||
             append_id(id, sizeof id, "task", d, "data (the task)", err, errlen);
    } else if (strcmp(t, "thehive:case_task_log") == 0) {
        const json_t *task = parent(d, "case_task", "a task log", err, errlen);
        const json_t *c = task ? parent(task, "case", "data.case_task", err, errlen) : NULL;
        rc = !c || append_id(id, sizeof id, "case", c, "data.case_task.case", err, errlen) ||
             append_id(id, sizeof id, "task", task, "data.case_task", err, errlen) ||
             append_id(id, sizeof id, "log", d, "data (the log)", err, errlen);
    } else {
        snprintf(err, errlen, "dataType \"%s\" is not one this responder handles: thehive:case, thehive:alert, "
                              "thehive:case_artifact, thehive:case_task, thehive:case_task_log", t);
        return NULL;
    }
    if (rc)
        return NULL;
    return strdup(id);
}

json_t *cortex_parameters(const struct cortex_job *job)
{
    json_t *p = json_object();
    json_object_set_new(p, "thehive_organisation", job->organisation ? json_string(job->organisation) : json_null());
    json_object_set_new(p, "thehive_user", job->user ? json_string(job->user) : json_null());
    if (job->analyzer) {
        json_object_set_new(p, "thehive_observable_type", json_string(job->data_type));
        json_object_set_new(p, "thehive_observable_value", json_deep_copy(job->data));
    } else {
        json_object_set_new(p, "thehive_input_type", json_string(job->data_type));
        json_object_set_new(p, "thehive_input_value", json_deep_copy(job->data));
    }
    return p;
}

int cortex_path_ok(const char *path, char *err, size_t errlen)
{
    if (path[0] == '/') {
        snprintf(err, errlen, "\"%s\" must be relative to config.input_hostname", path);
        return -1;
    }
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && strncmp(p, "..", 2) == 0) {
            snprintf(err, errlen, "\"%s\" must not climb out of config.input_hostname with \"..\"", path);
            return -1;
        }
        p += n;
        while (*p == '/')
            p++;
    }
    return 0;
}

/* a + "/" + b with the slashes between them collapsed to one. */
static char *join(const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la > 0 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    char *out = NULL;
    if (la == 0 && a[0] == '/')
        return asprintf(&out, "/%s", b) < 0 ? NULL : out;
    if (!*b)
        return asprintf(&out, "%.*s", (int)la, a) < 0 ? NULL : out;
    return asprintf(&out, "%.*s/%s", (int)la, a, b) < 0 ? NULL : out;
}

char *cortex_input_location(const struct cortex_job *job, const char *path)
{
    if (!cortex_is_http(job->input_hostname))
        return join(job->input_hostname, path);
    char *root = cortex_contents_root(job->input_hostname, job->input_is_hub, job->hub_user);
    char *out = root ? join(root, path) : NULL;
    free(root);
    return out;
}

char *cortex_output_folder(const struct cortex_job *job, time_t now, char *err, size_t errlen)
{
    struct tm tm;
    char buf[1024];
    localtime_r(&now, &tm);
    size_t n = strftime(buf, sizeof buf, job->output_folder, &tm);
    if (n == 0 && job->output_folder[0]) {
        snprintf(err, errlen, "config.output_folder \"%s\" expands to nothing (or to more than %zu bytes) "
                              "through strftime", job->output_folder, sizeof buf - 1);
        return NULL;
    }
    buf[n] = '\0';
    return strdup(buf);
}

char *cortex_output_location(const struct cortex_job *job, const char *folder, const char *id, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *root = cortex_is_http(job->output_hostname)
                     ? cortex_contents_root(job->output_hostname, job->output_is_hub, job->hub_user)
                     : strdup(job->output_hostname);
    char *dir = root ? join(root, folder) : NULL;
    free(root);
    char *sub = NULL, *name = NULL, *out = NULL;
    if (dir && asprintf(&sub, "%.*s", slash ? (int)(slash - path) : 0, path) >= 0 &&
        asprintf(&name, "%s-%s", id, base) >= 0) {
        char *d2 = join(dir, sub);
        out = d2 ? join(d2, name) : NULL;
        free(d2);
    }
    free(dir);
    free(sub);
    free(name);
    return out;
}
