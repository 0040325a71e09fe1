/*
 * The dispatcher behind `nbsoar run`: sources -> journal + routes -> workers
 * running the executor -> operations journalled -> sinks.
 *
 *   d = dispatch_new(conf, host, once, err)        opens the journal, builds routes
 *   host_env_set_event_hooks(env, dispatch_hooks(d)) before instances start
 *   dispatch_add_instance(d, kind, inst)           every started instance
 *   rc = dispatch_run(d, env, table_out)              until SIGTERM/SIGINT, or (once) idle
 *   dispatch_free(d)                               then stop the instances
 *
 * Threads: one main thread (sources, signals), [host] workers job threads,
 * one thread per sink, an optional metrics responder.  Every shared piece is
 * the journal (its own lock) or guarded by the dispatcher's mutex.
 *
 * [host] keys read here: journal, journal_sync, workers, output_folder,
 * output_path, metrics, drain_timeout, once_horizon.
 * Per instance: interval (sources: poll period), rate (sinks: "10/s",
 * "600/m"; work is delayed, never dropped).
 */
#ifndef NBSOAR_DISPATCH_H
#define NBSOAR_DISPATCH_H

#include <stdio.h>
#include <jansson.h>

#include "config.h"
#include "host_services.h"

struct dispatcher;

/* conf and host (the [host] values with defaults) are borrowed and must
 * outlive the dispatcher.  once: `run --once`.  NULL with err on failure
 * (journal cannot open, a route is wrong: every route problem in err). */
struct dispatcher *dispatch_new(const struct conf *conf, const json_t *host, int once,
                                char *err, size_t errlen);
/* The hooks sources reach the journal through; arg is d. */
const struct host_event_hooks *dispatch_hooks(struct dispatcher *d);
/* Hands over a started instance (borrowed: the caller stops it after
 * dispatch_free).  Returns 0, or -1 with err (bad interval or rate). */
int dispatch_add_instance(struct dispatcher *d, enum conf_kind kind, struct plugin_instance *inst,
                          char *err, size_t errlen);
/* Runs until told to stop.  With once: polls every source, runs what is
 * runnable to the end, prints the table to table_out.  Returns the exit
 * code: 0, 1 (a job failed, once only), 2 (could not start).  env (borrowed)
 * feeds plugin counters to the metrics endpoint. */
int dispatch_run(struct dispatcher *d, const struct host_env *env, FILE *table_out);
void dispatch_free(struct dispatcher *d);

struct journal;
/* `nbsoar replay`: queues new jobs for the journalled event `event_id`
 * through the routes of conf it matches now, or through route_name alone
 * (NULL: matching).  *job_ids: OWNED array of the new ids.  0, or -1. */
int dispatch_replay(const struct conf *conf, struct journal *j, const char *event_id,
                    const char *route_name, json_t **job_ids, char *err, size_t errlen);

/* Output notebook path: folder/template with strftime codes expanded at
 * `when` and {route} {notebook} {event} {job} replaced by sanitised values
 * (only [A-Za-z0-9._-], no leading dot, at most 96 bytes), so event data
 * can never leave the folder.  OWNED: free(); NULL on a bad template (err). */
char *dispatch_output_path(const char *folder, const char *template, long long when_s,
                           const char *route, const char *notebook, const char *event,
                           const char *job, char *err, size_t errlen);

#endif
