/* output.json, as cortexutils writes it: {success: true, full, operations}
 * for a responder, {success: true, summary, artifacts, operations, full}
 * for an analyzer, {success: false, errorMessage, input} on failure.
 * cortexutils masks only config keys containing "key", "password" or
 * "secret", so the Python responder echoed both API tokens; here every
 * such key and "token" is masked, and every registered secret wherever it
 * appears. */
#include <stdlib.h>
#include <string.h>

#include "cortex.h"
#include "redact.h"

static const char *const status_names[] = {"succeeded", "failed", "error"};

json_t *cortex_report_notebooks(const struct cortex_nb *nbs, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct cortex_nb *nb = &nbs[i];
        int st = nb->status >= 0 && nb->status <= 2 ? nb->status : 2;
        json_t *o = json_pack("{s:s, s:s, s:f}", "name", nb->path, "status", status_names[st], "duration",
                              (double)(long long)(nb->duration_s * 1000.0 + 0.5) / 1000.0);
        const char *link = nb->output_link ? nb->output_link : nb->output;
        json_object_set_new(o, "output_notebook", link ? json_string(link) : json_null());
        json_object_set_new(o, "error", nb->error ? json_string(nb->error) : json_null());
        json_array_append_new(list, o);
    }
    return list;
}

/* cortexutils' build_taxonomy: level defaults to info (and must be one of
 * its four), namespace to "Jupyter"; predicate and value are required. */
static json_t *taxonomy(const json_t *t, const char *nb, char *err, size_t errlen)
{
    static const char *const levels[] = {"info", "safe", "suspicious", "malicious", NULL};
    const char *level = json_string_value(json_object_get(t, "level"));
    const char *ns = json_string_value(json_object_get(t, "namespace"));
    const json_t *pred = json_object_get(t, "predicate"), *value = json_object_get(t, "value");
    if (!json_is_string(pred) || !value || json_is_null(value)) {
        snprintf(err, errlen, "%s: a taxonomy needs \"predicate\" (a string) and \"value\"", nb);
        return NULL;
    }
    int known = 0;
    for (size_t i = 0; level && levels[i]; i++)
        known |= strcmp(level, levels[i]) == 0;
    return json_pack("{s:s, s:s, s:O, s:O}", "level", known ? level : "info", "namespace", ns ? ns : "Jupyter",
                     "predicate", pred, "value", value);
}

json_t *cortex_report_success(const struct cortex_job *job, const struct cortex_nb *nbs, size_t n, char *err,
                              size_t errlen)
{
    json_t *ops = json_array(), *taxes = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_extend(ops, nbs[i].operations);
        size_t k;
        json_t *t;
        json_array_foreach(nbs[i].taxonomies, k, t) {
            json_t *tx = job->analyzer ? taxonomy(t, nbs[i].path, err, errlen) : NULL;
            if (job->analyzer && !tx) {
                json_decref(ops);
                json_decref(taxes);
                return NULL;
            }
            if (tx)
                json_array_append_new(taxes, tx);
        }
    }
    json_t *full = json_pack("{s:o}", "notebooks", cortex_report_notebooks(nbs, n));
    if (!job->analyzer) {
        json_decref(taxes);
        return json_pack("{s:b, s:o, s:o}", "success", 1, "full", full, "operations", ops);
    }
    /* analyzers take operations from cortexutils' default: none */
    json_decref(ops);
    return json_pack("{s:b, s:{s:o}, s:[], s:[], s:o}", "success", 1, "summary", "taxonomies", taxes, "artifacts",
                     "operations", "full", full);
}

static int secret_name(const char *key)
{
    static const char *const words[] = {"token", "key", "password", "secret", NULL};
    for (size_t i = 0; words[i]; i++) {
        if (strcasestr(key, words[i]))
            return 1;
    }
    return 0;
}

/* Masks in place: config keys that name secrets, and registered secrets
 * inside any string. */
static void mask(json_t *v, int in_config)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            if (in_config && secret_name(k) && !json_is_null(x) && !json_is_boolean(x))
                json_object_set_new(v, k, json_string("REMOVED"));
            else
                mask(x, in_config || strcmp(k, "config") == 0);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) mask(x, in_config);
    } else if (json_is_string(v)) {
        char *r = redact_dup(json_string_value(v));
        if (r && strcmp(r, json_string_value(v)) != 0)
            json_string_set(v, r);
        free(r);
    }
}

json_t *cortex_report_failure(const json_t *input, const char *message)
{
    char *msg = redact_dup(message);
    json_t *in = input ? json_deep_copy(input) : json_null();
    mask(in, 0);
    json_t *out = json_pack("{s:b, s:s, s:o}", "success", 0, "errorMessage", msg ? msg : "out of memory", "input", in);
    free(msg);
    return out;
}
