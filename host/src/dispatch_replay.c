/* `nbsoar replay`: new jobs for an event already in the journal, through
 * the routes it matches now, or through one named route whatever it
 * matches.  The running daemon picks them up from the journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_internal.h"

int dispatch_replay(const struct conf *conf, struct journal *j, const char *event_id,
                    const char *route_name, json_t **job_ids, char *err, size_t errlen)
{
    *job_ids = json_array();
    int64_t rowid;
    json_t *event = NULL;
    int found = journal_find_event(j, event_id, &rowid, &event, err, errlen);
    if (found <= 0) {
        if (found == 0)
            snprintf(err, errlen, "no event '%s' in the journal", event_id);
        return -1;
    }
    struct dispatcher d = {.conf = conf};
    d.routes = dispatch_build_routes(conf, err, errlen);
    int rc = -1;
    struct journal_job_in *jobs = NULL;
    size_t n = 0;
    if (d.routes != NULL && (d.matcher = route_matcher_new(d.routes)) != NULL) {
        if (route_name == NULL) {
            rc = dispatch_match_event(&d, event, &jobs, &n, err, errlen);
        } else {
            const struct route *r = NULL;
            for (size_t i = 0; i < route_table_count(d.routes); i++)
                if (strcmp(route_table_get(d.routes, i)->name, route_name) == 0)
                    r = route_table_get(d.routes, i);
            if (r == NULL)
                snprintf(err, errlen, "no route '%s' in %s", route_name, conf->path);
            else if ((jobs = calloc(r->n_notebooks ? r->n_notebooks : 1, sizeof *jobs)) != NULL)
                rc = 0;
            for (size_t i = 0; rc == 0 && i < r->n_notebooks; i++) {
                json_t *params = NULL;
                if (route_params_build(r, event, &params, err, errlen) != 0) {
                    rc = -1;
                    break;
                }
                jobs[i] = (struct journal_job_in){r->name, dispatch_notebook_path(conf, r->notebooks[i]),
                                                  params, r->retries, r->backoff_ms,
                                                  r->backoff_max_ms};
                n = i + 1;
            }
        }
    }
    char (*ids)[JOURNAL_ID_SIZE] = calloc(n ? n : 1, JOURNAL_ID_SIZE);
    if (rc == 0 && n == 0) {
        snprintf(err, errlen, "event '%s' matches no route now", event_id);
        rc = -1;
    }
    if (rc == 0 && (ids == NULL || journal_add_jobs(j, rowid, jobs, n, ids, err, errlen) != 0))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        json_array_append_new(*job_ids, json_string(ids[i]));
    free(ids);
    dispatch_free_job_ins(jobs, n);
    route_matcher_free(d.matcher);
    route_table_free(d.routes);
    json_decref(event);
    return rc;
}
