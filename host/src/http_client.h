/* The shared HTTP client behind nbsoar_host.http (libcurl).  Plugins reach
 * it only through the services table; the host's own code calls it here. */
#ifndef NBSOAR_HTTP_CLIENT_H
#define NBSOAR_HTTP_CLIENT_H

#include "nbsoar/plugin.h"

/* Once per process, before threads start (curl_global_init). */
int http_global_init(void);
void http_global_cleanup(void);

/* See nbsoar_host.http in plugin.h for the contract: retries, backoff,
 * TLS, timeouts, redacted error messages.  resp is zeroed first; the caller
 * frees it with http_response_free() whatever the return code. */
int http_request(const struct nbsoar_http_endpoint *ep, const struct nbsoar_http_request *req,
                 struct nbsoar_http_response *resp, char *err, size_t errlen);
void http_response_free(struct nbsoar_http_response *resp);

/* A URL safe to print: userinfo and the values of query parameters named
 * like secrets (token, key, password, secret, auth, sig) become ***, and
 * registered secrets are redacted.  OWNED by the caller. */
char *http_url_for_log(const char *url);

#endif
