/* JupyterHub 3.0 named servers through the Hub REST API with a service
 * token: start the user's named server when it is not running, wait until
 * it is ready (polling the user model, bounded), stop it afterwards.
 * Errors explain the usual causes: a 403 names the scopes the service's
 * role needs, a 400 "Named servers are not enabled" names
 * c.JupyterHub.allow_named_servers. */
#ifndef NBSOAR_HUB_H
#define NBSOAR_HUB_H

#include <stddef.h>
#include <nbsoar/plugin.h>

/* hub_url: the Hub's public URL (ending in '/').  On success *base_out
 * (OWNED: free) is the server's base URL, {hub origin}/user/{user}/{name}/,
 * and *started says whether this call started it.  Returns 0 or -1 with err. */
int hub_server_start(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const char *hub_url,
                     const char *user, const char *server, long timeout_ms, char **base_out, int *started,
                     char *err, size_t errlen);

/* DELETE .../servers/{name}: 0 when stopped or stopping (204/202). */
int hub_server_stop(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const char *hub_url,
                    const char *user, const char *server, char *err, size_t errlen);

#endif
