/*
 * webhook: a source that takes events pushed over HTTP.  Internal interface
 * shared by the plugin's files; see webhook.c for the behaviour users rely on.
 */
#ifndef NBSOAR_WEBHOOK_H
#define NBSOAR_WEBHOOK_H

#include <pthread.h>
#include <stddef.h>
#include <nbsoar/plugin.h>

#define WH_ERR_MAX 512
#define WH_MAX_HEADERS 64
#define WH_MAX_HEAD_BYTES 16384
#define WH_MAX_THREADS 64

enum wh_map { WH_MAP_GENERIC, WH_MAP_MISP, WH_MAP_THEHIVE, WH_MAP_SPLUNK };

/* One configured path (`path.NAME = /url`) and what applies to it. */
struct wh_path {
    char *name;           /* OWNED: the NAME in path.NAME */
    char *url_path;       /* OWNED: "/misp" */
    enum wh_map map;
    char *token;          /* OWNED or NULL: bearer token (per path, else global) */
    char *token_header;   /* OWNED: "Authorization" (Bearer scheme) or a header carrying the bare token */
    char *hmac_secret;    /* OWNED or NULL */
    char *hmac_header;    /* OWNED: where the signature is */
    char *id_field;       /* OWNED or NULL: dotted path of the event id in the payload */
    char *title_field;    /* OWNED or NULL: dotted path of the title */
    json_t *field_map;    /* OWNED or NULL: object out-name -> dotted path in the payload */
};

struct webhook {
    const struct nbsoar_host *host;
    struct wh_path *paths; /* OWNED */
    size_t n_paths;
    char *listen;          /* OWNED: "127.0.0.1:8080" */
    size_t max_body_bytes;
    size_t max_events;
    long timeout_ms;       /* whole request (head and body) */
    int listen_fd;         /* -1 when not listening */
    int stop_pipe[2];      /* written by shutdown() to wake the threads */
    size_t n_threads;      /* wanted (`threads`) */
    pthread_t threads[WH_MAX_THREADS];
    size_t threads_started;
    char bound[128];       /* "127.0.0.1:PORT" actually bound */
};

/* A parsed request.  Header names and values point into head (OWNED). */
struct wh_request {
    char method[16];
    char path[1024];       /* without the query string, which is never logged */
    char remote[80];       /* "127.0.0.1:55012" */
    char *head;            /* OWNED: the header block, split in place */
    const char *names[WH_MAX_HEADERS];
    const char *values[WH_MAX_HEADERS];
    size_t n_headers;
    char *body;            /* OWNED: NUL-terminated */
    size_t body_len;
};

/* A response: status, a JSON body (OWNED) and at most one extra header. */
struct wh_response {
    int status;
    json_t *body;
    char extra_header[160]; /* "Retry-After: 5" etc., or "" */
};

/* webhook_conf.c */
extern const struct nbsoar_config_key webhook_config_keys[];
/* Reads config into wh (strings OWNED by wh).  Errors are logged through
 * wh->host naming the key; returns NBSOAR_OK or NBSOAR_ERROR. */
int webhook_conf_load(struct webhook *wh, const json_t *config);
void webhook_conf_free(struct webhook *wh);

/* webhook_http.c: the HTTP/1.1 server side. */
/* Binds and listens on wh->listen; fills wh->bound. */
int wh_listen(struct webhook *wh, char *err, size_t errlen);
/* Serves one connection (one request, then close) and closes fd. */
void wh_serve_connection(struct webhook *wh, int fd, const char *remote);
/* Header value by case-insensitive name, or NULL.  Borrowed from req. */
const char *wh_header(const struct wh_request *req, const char *name);

/* webhook_request.c: what a request means. */
/* Before the body is read: path, method, token, content type and declared
 * length.  Returns the path to serve, or NULL with resp filled. */
const struct wh_path *wh_check_head(struct webhook *wh, const struct wh_request *req,
                                    long long content_length, struct wh_response *resp);
/* With the body: signature, parsing, mapping, emitting; fills resp. */
void wh_handle_body(struct webhook *wh, const struct wh_path *p, const struct wh_request *req,
                    struct wh_response *resp);
/* resp = {"error": message} with status. */
void wh_error(struct wh_response *resp, int status, const char *fmt, ...) NBSOAR_PRINTF(3, 4);

/* webhook_auth.c */
/* 1 when the request carries p's token (constant-time comparison). */
int wh_token_ok(const struct wh_path *p, const struct wh_request *req);
/* 1 when p's signature header holds HMAC-SHA256(secret, body) as
 * "sha256=<hex>" or bare hex (constant-time comparison). */
int wh_hmac_ok(const struct wh_path *p, const struct wh_request *req);
/* "sha256:" + hex digest of data into out (at least 72 bytes). */
void wh_sha256_id(const char *data, size_t len, char *out, size_t outlen);

/* webhook_body.c */
/* Splits a body into payloads: a JSON object, an array of objects, or
 * NDJSON (one object per line).  *payloads is a new array (OWNED).  On
 * error, err names line and column. */
int wh_body_parse(const char *body, size_t len, int ndjson, size_t max_events, json_t **payloads,
                  char *err, size_t errlen);

/* webhook_map.c */
/* One payload to one event per the path's mapping.  *event OWNED. */
int wh_map_payload(const struct webhook *wh, const struct wh_path *p, const json_t *payload,
                   json_t **event, char *err, size_t errlen);
/* The value at a dotted path ("result.event_id") in v, or NULL.  Borrowed. */
const json_t *wh_json_path(const json_t *v, const char *dotted);

#endif
