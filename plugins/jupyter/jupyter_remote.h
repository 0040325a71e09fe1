/* The jupyter executor's remote settings: run on a Jupyter Server (or a
 * JupyterHub user's named server) instead of a local kernel, and reach
 * notebooks stored there.  Config keys (section [executor NAME], plugin =
 * jupyter), all optional:
 *
 *   server            Jupyter Server base URL, or the JupyterHub URL with hub_user;
 *                     unset: local kernels
 *   token             API token (vault:NAME); else token_file; else $JUPYTER_TOKEN
 *   token_file        file holding the token (surrounding white space ignored)
 *   hub_user          run on this JupyterHub user's named server (service token)
 *   hub_server        the named server (default "nbsoar")
 *   stop_server_after stop the named server after a run that started it (false)
 *   verify_tls        check the server's certificate (true)
 *   ca_file           PEM bundle to trust for the server
 *   connect_timeout   HTTP and WebSocket connect limit (10s)
 *   request_timeout   one REST request (60s)
 *   hub_start_timeout how long a named server may take to become ready (120s)
 *   ws_protocol       auto (v1.kernel.websocket.jupyter.org when the server
 *                     chooses it, else JSON frames), v1 or legacy
 *
 * The token is sent only as "Authorization: token ..." and only to URLs on
 * the server's origin: never in a URL, log line or notebook. */
#ifndef NBSOAR_JUPYTER_REMOTE_H
#define NBSOAR_JUPYTER_REMOTE_H

#include <stddef.h>
#include <jansson.h>
#include <nbsoar/plugin.h>

#include "kernel.h"
#include "kernel_ws.h"

#define JUPYTER_REMOTE_KEYS \
    {"server", NBSOAR_KEY_STRING, NULL, 0, "Jupyter Server (or JupyterHub) URL; unset: local kernels"}, \
    {"token", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET, "API token (vault:NAME); else token_file, else $JUPYTER_TOKEN"}, \
    {"token_file", NBSOAR_KEY_STRING, NULL, 0, "file holding the API token"}, \
    {"hub_user", NBSOAR_KEY_STRING, NULL, 0, "JupyterHub user whose named server runs the notebooks"}, \
    {"hub_server", NBSOAR_KEY_STRING, "nbsoar", 0, "JupyterHub named server"}, \
    {"stop_server_after", NBSOAR_KEY_BOOL, "false", 0, "stop the named server after a run that started it"}, \
    {"verify_tls", NBSOAR_KEY_BOOL, "true", 0, "verify the server's TLS certificate"}, \
    {"ca_file", NBSOAR_KEY_STRING, NULL, 0, "PEM bundle to trust for the server"}, \
    {"connect_timeout", NBSOAR_KEY_DURATION_MS, "10s", 0, "connect limit (HTTP and WebSocket)"}, \
    {"request_timeout", NBSOAR_KEY_DURATION_MS, "60s", 0, "limit for one REST request"}, \
    {"hub_start_timeout", NBSOAR_KEY_DURATION_MS, "120s", 0, "wait for a named server to be ready"}, \
    {"ws_protocol", NBSOAR_KEY_STRING, "auto", 0, "auto, v1 or legacy kernel WebSocket protocol"}

struct jupyter_remote {
    char *server;              /* OWNED, ends in '/'; NULL: local kernels */
    char *auth_header;         /* OWNED; NULL without a token */
    char *hub_user, *hub_server, *ca_file; /* OWNED */
    int stop_server_after, no_verify_tls;
    long connect_timeout_ms, request_timeout_ms, hub_start_timeout_ms;
    enum kernel_ws_protocol protocol;
};

/* Reads the keys above from config (the object init() got).  Returns 0 or
 * -1 with err (unreadable token_file, bad ws_protocol, bad URL). */
int jupyter_remote_init(const struct nbsoar_host *h, const json_t *config, struct jupyter_remote *r, char *err,
                        size_t errlen);
void jupyter_remote_free(struct jupyter_remote *r);

/* The endpoint for url: TLS settings and timeouts always, the auth header
 * only when url is on the server's origin.  Borrows from r. */
void jupyter_remote_endpoint(const struct jupyter_remote *r, const char *url, struct nbsoar_http_endpoint *ep);

/* One run's remote session: the server base (the Hub's named server
 * started when needed). */
struct remote_run {
    char *base;                /* OWNED: the Jupyter Server base URL */
    int hub_started;           /* this run started the named server */
};
/* 0, or -1 with err.  Does nothing (base NULL) when r has no server. */
int remote_run_begin(const struct nbsoar_host *h, const struct jupyter_remote *r, struct remote_run *run, char *err,
                     size_t errlen);
/* Stops the named server when configured and this run started it. */
void remote_run_end(const struct nbsoar_host *h, const struct jupyter_remote *r, struct remote_run *run);

/* A kernel on run->base with ko's kernel name, language and start timeout. */
struct kernel *remote_kernel_start(const struct nbsoar_host *h, const struct jupyter_remote *r,
                                   const struct remote_run *run, const struct kernel_start_opts *ko, char *err,
                                   size_t errlen);

#endif
