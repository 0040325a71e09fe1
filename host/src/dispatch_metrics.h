/* Dispatcher metrics: labelled counters and latency histograms, rendered in
 * the Prometheus text format and served on loopback by a small responder
 * thread ([host] metrics = 127.0.0.1:9464).  Thread-safe. */
#ifndef NBSOAR_DISPATCH_METRICS_H
#define NBSOAR_DISPATCH_METRICS_H

#include <stddef.h>

#include "host_services.h"

struct dispatch_metrics;

struct dispatch_metrics *dispatch_metrics_new(void);
void dispatch_metrics_free(struct dispatch_metrics *m);
/* Adds v to counter `name` with one optional label (label NULL: none). */
void dispatch_metrics_count(struct dispatch_metrics *m, const char *name, const char *label,
                            const char *value, double v);
/* One observation (seconds) of histogram `name`. */
void dispatch_metrics_observe(struct dispatch_metrics *m, const char *name, double seconds);
/* The exposition text, plugin counters from env included.  OWNED: free(). */
char *dispatch_metrics_render(struct dispatch_metrics *m, const struct host_env *env);
/* Serves GET /metrics on addr ("127.0.0.1:9464"; loopback only) until
 * dispatch_metrics_free.  env is borrowed.  0, or -1 with err. */
int dispatch_metrics_serve(struct dispatch_metrics *m, const char *addr,
                           const struct host_env *env, char *err, size_t errlen);

#endif
