/* The shared HTTP client behind nbsoar_host.http (libcurl).  Plugins reach
 * it only through the services table; the host's own code calls it here. */
#ifndef NBSOAR_HTTP_CLIENT_H
#define NBSOAR_HTTP_CLIENT_H

#include "nbsoar/plugin.h"

/* Once per process, before threads start (curl_global_init). */
int http_global_init(void);
void http_global_cleanup(void);

/* One request, with retries.  resp is zeroed first; the caller frees it with
 * http_response_free() whatever the return code.
 *
 * Return codes:
 *   NBSOAR_OK     a response arrived whose status is not transient: any 1xx-4xx
 *                 except 429.  resp->status is set; err is "" below 400 and
 *                 quotes method, URL, status and the server's error body from
 *                 400 on (the caller decides what a 404 means).
 *   NBSOAR_RETRY  a transient failure outlived the retries (or could not be
 *                 retried): connect/DNS error, timeout, connection dropped,
 *                 429 or 5xx.  For 429/5xx resp holds the last response.  For a
 *                 non-idempotent request the server may or may not have acted.
 *   NBSOAR_ERROR  trying again cannot help: bad URL or arguments, TLS
 *                 certificate verification or handshake failure, unreadable
 *                 ca_file, the on_data callback aborting, a body over 256 MiB.
 * err gets a message for RETRY and ERROR; it never holds a secret.
 *
 * Retries (at most ep->max_retries, default 3) wait min(cap, base * 2^n) ms
 * times a random factor in [0, 1] (full jitter); a Retry-After on a 429 or
 * 5xx (seconds or HTTP-date) is waited for instead when longer, and when it
 * exceeds the Retry-After cap (60 s) the call returns RETRY at once.
 * Only GET HEAD PUT DELETE OPTIONS, or requests marked idempotent, are
 * retried; a stream is never retried once on_data has been handed data.
 *
 * Defaults: connect timeout 10 s, total 60 s; with timeout_ms = -1 (streams)
 * a transfer slower than 1 byte/s for 300 s is aborted instead.  Redirects
 * are not followed (resp->location has the target).  Only http and https.
 * req->json is sent compact as application/json; a raw req->body with
 * body_len 0 is taken as a NUL-terminated string.  The response body is
 * parsed into resp->json when the Content-Type says json or the body starts
 * with { or [ (and parses); resp->body always keeps the raw bytes, except
 * for a streamed 1xx-3xx body, which only on_data sees.
 *
 * Proxies: ep->proxy when set ("" means no proxy at all), else libcurl's
 * environment variables: http_proxy (lower case only: libcurl ignores
 * HTTP_PROXY, which CGI servers fill from a request header), https_proxy or
 * HTTPS_PROXY, all_proxy or ALL_PROXY, and no_proxy or NO_PROXY, which also
 * applies to ep->proxy.
 *
 * The auth header line, its value and its credential (the word after the
 * scheme) are registered with redact_add(), as is a proxy password. */
int http_request(const struct nbsoar_http_endpoint *ep, const struct nbsoar_http_request *req,
                 struct nbsoar_http_response *resp, char *err, size_t errlen);
void http_response_free(struct nbsoar_http_response *resp);

/* A URL safe to print: userinfo and the values of query (and fragment)
 * parameters named like secrets (token, key, pass, secret, auth, sig,
 * session, credential; any case, any part of the name) become ***, and
 * registered secrets are redacted.  OWNED by the caller; NULL only on ENOMEM. */
char *http_url_for_log(const char *url);

/* Tests only: backoff base and cap, and the longest Retry-After waited for
 * (ms; 0 or less restores the default: 500, 30000, 60000).  Not thread-safe:
 * call before any request runs. */
void http_set_backoff(long base_ms, long cap_ms, long retry_after_cap_ms);

#endif
