/* Which detection raised a notable: the correlation search named by the
 * notable's search_name (or source), read once per TTL from
 * GET {saved_searches_path}/{name}?output_mode=json, whose entry[0].content
 * holds the SPL ("search") and the ES settings around it.  The result goes
 * into fields.detection so routes can match on the SPL or its labels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splunk.h"

/* More distinct searches than this empties the cache (ES ships a few
 * hundred correlation searches; this only bounds a runaway search). */
#define ENRICH_CACHE_MAX 2000

/* content key -> detection key, copied when present. */
static const char *const copied[][2] = {
    {"search", "search"},
    {"description", "description"},
    {"action.correlationsearch.label", "label"},
    {"action.notable.param.rule_title", "rule_title"},
    {"action.notable.param.rule_description", "rule_description"},
    {"action.notable.param.security_domain", "security_domain"},
    {"action.notable.param.severity", "severity"},
    {"action.notable.param.drilldown_search", "drilldown_search"},
    {"dispatch.earliest_time", "earliest_time"},
    {"dispatch.latest_time", "latest_time"},
    {"cron_schedule", "cron_schedule"},
    {NULL, NULL},
};

/* The detection object from a saved/searches answer. OWNED. */
static json_t *detection_from(const char *name, const json_t *answer)
{
    const json_t *entry = json_array_get(json_object_get(answer, "entry"), 0);
    const json_t *content = json_object_get(entry, "content");
    json_t *d = json_pack("{s:s, s:b}", "name", name, "found", json_is_object(content));
    if (d == NULL || !json_is_object(content))
        return d;
    const char *app = json_string_value(json_object_get(json_object_get(entry, "acl"), "app"));
    if (app != NULL)
        json_object_set_new(d, "app", json_string(app));
    for (size_t i = 0; copied[i][0] != NULL; i++) {
        json_t *v = json_object_get(content, copied[i][0]);
        if (v != NULL && !json_is_null(v))
            json_object_set(d, copied[i][1], v);
    }
    /* Annotations (MITRE ATT&CK ids...) are a JSON text inside the string. */
    const char *ann = json_string_value(json_object_get(content, "action.correlationsearch.annotations"));
    if (ann != NULL) {
        json_t *parsed = json_loads(ann, 0, NULL);
        json_object_set_new(d, "annotations", parsed != NULL ? parsed : json_string(ann));
    }
    return d;
}

int sp_enrich_get(struct sp_state *st, const char *search_name, const json_t **detection,
                  char *err, size_t errlen)
{
    *detection = NULL;
    time_t now = time(NULL);
    json_t *hit = json_object_get(st->enrich_cache, search_name);
    if (hit != NULL && now - (time_t)json_integer_value(json_object_get(hit, "at")) < st->enrich_ttl_s) {
        *detection = json_object_get(hit, "detection");
        return NBSOAR_OK;
    }
    char *escaped = sp_url_escape(search_name);
    char *path = NULL;
    if (escaped == NULL ||
        asprintf(&path, "%s/%s?output_mode=json", st->saved_searches_path, escaped) < 0) {
        free(escaped);
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    free(escaped);
    struct sp_request rq = {.method = "GET", .path = path, .idempotent = 1};
    json_t *answer = NULL;
    long status = 0;
    int rc = sp_call(st, &rq, &answer, &status, err, errlen);
    free(path);
    if (rc != NBSOAR_OK && status != 404 && status != 403)
        return rc;
    json_t *d = detection_from(search_name, answer);
    json_decref(answer);
    if (d == NULL) {
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    if (rc != NBSOAR_OK) {
        /* Not a correlation search this user can read: remember that too. */
        json_object_set_new(d, "error", json_string(err));
        st->host->log(st->host, NBSOAR_LOG_WARN, "no detection for \"%s\": %s", search_name, err);
        err[0] = '\0';
    }
    if (json_object_size(st->enrich_cache) >= ENRICH_CACHE_MAX)
        json_object_clear(st->enrich_cache);
    json_object_set_new(st->enrich_cache, search_name,
                        json_pack("{s:I, s:o}", "at", (json_int_t)now, "detection", d));
    st->host->counter_add(st->host, "splunk_saved_search_requests_total", 1);
    *detection = json_object_get(json_object_get(st->enrich_cache, search_name), "detection");
    return NBSOAR_OK;
}
