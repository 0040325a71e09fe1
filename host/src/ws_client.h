/* The WebSocket client behind nbsoar_host.ws_* (libwebsockets).  One
 * lws_context per connection, serviced only inside these calls, so a
 * connection needs no thread and belongs to one caller at a time.  The
 * contracts are the ones plugin.h states for the ws_* services. */
#ifndef NBSOAR_WS_CLIENT_H
#define NBSOAR_WS_CLIENT_H

#include <stddef.h>

#include "nbsoar/plugin.h"

int ws_client_connect(const struct nbsoar_http_endpoint *ep, const char *url,
                      const char *const *subprotocols, struct nbsoar_ws **out,
                      char *chosen_protocol, size_t cp_len, char *err, size_t errlen);
int ws_client_send(struct nbsoar_ws *ws, const void *data, size_t len, int binary, char *err,
                   size_t errlen);
int ws_client_recv(struct nbsoar_ws *ws, int timeout_ms, void **data, size_t *len, int *binary,
                   char *err, size_t errlen);
void ws_client_close(struct nbsoar_ws *ws);

/* Tests only: the keepalive (ping after ping_s idle seconds, drop after
 * hangup_s); 0 restores 20 and 40. */
void ws_client_set_keepalive(unsigned ping_s, unsigned hangup_s);

#endif
