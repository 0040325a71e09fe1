/*
 * nbsoar plugin ABI — the one public header a plugin needs.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * nbsoar_plugin_entry(), returning a pointer to a static struct nbsoar_plugin.
 * The host checks abi_major (must equal), abi_minor (must be <= the host's)
 * and struct_size before it reads any other field, and reads only the fields
 * that fit in struct_size.  New members are appended only, with a minor bump.
 *
 * Lifetimes: every pointer the host hands a plugin is BORROWED and lives only
 * during the call unless the comment says otherwise; copy what you keep.
 * The one exception: the struct nbsoar_host passed to init() (and the
 * strings in it) stays valid until shutdown() returns, so keep it in your
 * state to log or call services later.
 * Every pointer a plugin returns through an out-parameter becomes the
 * caller's (OWNED) as stated per function.
 *
 * Growth rule: structs a plugin allocates and the host reads or writes
 * (nbsoar_config_key arrays, nbsoar_http_endpoint, nbsoar_http_request,
 * nbsoar_http_response, nbsoar_mail) grow only by appending, and the host uses them with
 * the layout of the plugin's abi_minor, so a newer host never touches
 * memory an older plugin did not allocate.
 *
 * Changelog
 *   1.0  first version: sources, executors, sinks; log, secrets, vault,
 *        HTTP, events, cursors, counters, progress; WebSocket client
 *        (ws_connect, ws_send, ws_recv, ws_close); mail_send (SMTP)
 *        appended after the "mail" comment, last.
 */
#ifndef NBSOAR_PLUGIN_H
#define NBSOAR_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NBSOAR_ABI_MAJOR 1
#define NBSOAR_ABI_MINOR 0

#if defined(__GNUC__)
#define NBSOAR_EXPORT __attribute__((visibility("default")))
#define NBSOAR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NBSOAR_EXPORT
#define NBSOAR_PRINTF(a, b)
#endif

/* Result codes for every callback and host service.  A sink or executor says
 * RETRY for a transient failure (the host owns backoff) and ERROR when
 * trying again cannot help. */
enum nbsoar_rc {
    NBSOAR_OK = 0,
    NBSOAR_ERROR = -1,
    NBSOAR_RETRY = -2,
};

enum nbsoar_log_level {
    NBSOAR_LOG_ERROR = 0,
    NBSOAR_LOG_WARN = 1,
    NBSOAR_LOG_INFO = 2,
    NBSOAR_LOG_DEBUG = 3,
};

/* Roles are derived from which callbacks are set; these bits are what
 * `nbsoar plugins` prints. */
enum nbsoar_role {
    NBSOAR_ROLE_SOURCE = 1u << 0,   /* poll   */
    NBSOAR_ROLE_EXECUTOR = 1u << 1, /* run    */
    NBSOAR_ROLE_SINK = 1u << 2,     /* apply  */
};

/* ---------------------------------------------------------------------
 * Config described as data: each plugin declares its keys; the host
 * validates the section against them (unknown keys, types, required keys,
 * defaults), resolves `vault:NAME` and `${ENV}`, and hands init() one JSON
 * object: string keys -> json string / integer / true|false.
 * ------------------------------------------------------------------- */
enum nbsoar_key_type {
    NBSOAR_KEY_STRING = 0,
    NBSOAR_KEY_INT = 1,
    NBSOAR_KEY_BOOL = 2,
    NBSOAR_KEY_DURATION_MS = 3, /* "30s", "500ms", "2m", "1h" or a number of seconds */
    NBSOAR_KEY_LIST = 4,        /* comma-separated; handed over as a JSON array of strings */
};

enum nbsoar_key_flag {
    NBSOAR_KEY_REQUIRED = 1u << 0,
    NBSOAR_KEY_SECRET = 1u << 1, /* value is registered for redaction        */
    NBSOAR_KEY_PREFIX = 1u << 2, /* name is a prefix: "param." matches "param.x" */
};

struct nbsoar_config_key {
    const char *name;
    enum nbsoar_key_type type;
    const char *default_value; /* NULL: no default (absent from the object) */
    uint32_t flags;
    const char *description;
};
/* A key table ends with an entry whose name is NULL. */

/* ---------------------------------------------------------------------
 * Shared HTTP client (libcurl in the host).  TLS verification is on unless
 * the endpoint says otherwise; retries with exponential backoff and jitter
 * on connect errors, 429 (Retry-After honoured) and 5xx, for idempotent
 * methods only (GET, HEAD, PUT, DELETE, OPTIONS) unless `idempotent` says
 * the request may be repeated.  Error messages quote method, URL (query
 * string values of secret names and any registered secret redacted) and the
 * server's error body.
 * ------------------------------------------------------------------- */
struct nbsoar_http_endpoint {
    const char *auth_header;     /* full header line, e.g. "Authorization: Bearer X"; registered as secret */
    int no_verify_tls;           /* 0 (the zero value): verify peer and host name */
    const char *ca_file;         /* PEM bundle to trust instead of the system store */
    const char *proxy;           /* NULL: the usual environment variables apply */
    long connect_timeout_ms;     /* 0: host default (10 s) */
    long timeout_ms;             /* 0: host default (60 s); -1: no total timeout (streams) */
    int max_retries;             /* 0: host default (3); -1: never retry */
    const char *const *headers;  /* extra "Name: value" lines, NULL-terminated */
};
struct nbsoar_http_request {
    const char *method;          /* "GET", "POST", ... */
    const char *url;
    const json_t *json;          /* body sent as application/json, or NULL */
    const char *body;            /* raw body when json is NULL */
    size_t body_len;
    const char *content_type;    /* for a raw body */
    int idempotent;              /* 1: may be retried even if the method is not idempotent */
    /* Streaming: when set, the body is handed over as it arrives instead of
     * being collected; return non-zero to abort the transfer. */
    int (*on_data)(void *arg, const char *data, size_t len);
    void *on_data_arg;
};

struct nbsoar_http_response {
    long status;         /* HTTP status, 0 when no response came */
    char *body;          /* OWNED by the caller: free(); NUL-terminated; NULL when streamed */
    size_t body_len;
    json_t *json;        /* OWNED by the caller: json_decref(); set when the body parsed as JSON */
    char *content_type;  /* OWNED by the caller: free() */
    char *location;      /* OWNED by the caller: free(); the Location header if any */
};

/* A WebSocket connection made by the host (ws_connect); opaque. */
struct nbsoar_ws;

/* ---------------------------------------------------------------------
 * Jobs and results.
 * ------------------------------------------------------------------- */
struct nbsoar_job {
    const char *id;          /* unique job id */
    const char *event_id;    /* may be NULL (nbsoar exec) */
    const char *route;       /* may be NULL */
    const char *notebook;    /* input notebook: local path or http(s) URL */
    const char *output;      /* output notebook: local path, URL, "-" or NULL */
    const json_t *event;     /* the whole event, or NULL */
    const json_t *parameters;/* object: name -> value, in injection order */
    const char *const *secret_parameters; /* names whose values never reach the notebook; NULL-terminated or NULL */
    const json_t *options;   /* executor options (papermill flags, kernel, timeouts), object or NULL */
    long timeout_ms;         /* whole job; 0: none */
    int attempt;             /* 1 for the first run */
};

enum nbsoar_job_status {
    NBSOAR_JOB_SUCCEEDED = 0,
    NBSOAR_JOB_FAILED = 1,     /* the notebook raised; the output notebook records it */
    NBSOAR_JOB_ERROR = 2,      /* the run could not happen (bad notebook, kernel died, ...) */
};

struct nbsoar_run_result {
    enum nbsoar_job_status status;
    char *output;            /* OWNED by the host after run(): where the executed notebook went */
    char *output_link;       /* OWNED by the host: a link a person opens (may be NULL) */
    char *error;             /* OWNED by the host: message naming cell, exception, value */
    json_t *operations;      /* OWNED by the host: array of operation objects */
    json_t *taxonomies;      /* OWNED by the host: array, or NULL */
    json_t *details;         /* OWNED by the host: free-form report (cells, timings), or NULL */
    double duration_s;
    int exit_code;           /* the exit code a CLI should use (0, 1, 138 for a dead kernel) */
};

/* ---------------------------------------------------------------------
 * Mail (mail_send): one plain-text message over SMTP, sent by the host
 * (libcurl).  Every string is borrowed for the call.
 * ------------------------------------------------------------------- */
struct nbsoar_mail {
    const char *url;              /* smtp://host[:port] or smtps://host[:port] (implicit TLS) */
    const char *from;             /* envelope sender and From: header: "a@b" or "Name <a@b>" */
    const char *const *to;        /* recipients ("a@b" or "Name <a@b>"), NULL-terminated, at least one */
    const char *subject;          /* UTF-8; encoded for the header when not ASCII */
    const char *body;             /* UTF-8 plain text; line ends become CRLF */
    const char *user;             /* SMTP AUTH user, NULL: no AUTH */
    const char *password;         /* registered as a secret */
    int starttls;                 /* 1: smtp:// must upgrade with STARTTLS or fail */
    int no_verify_tls;            /* 0 (the zero value): verify peer and host name */
    const char *ca_file;          /* PEM bundle to trust instead of the system store */
    long timeout_ms;              /* whole exchange; 0: host default (30 s) */
    const char *const *headers;   /* extra "Name: value" header lines, NULL-terminated or NULL */
};

/* ---------------------------------------------------------------------
 * Host services.  One table per plugin instance: `self` identifies the
 * instance (its log prefix, counters and cursors); always pass the table
 * back as the first argument.
 * ------------------------------------------------------------------- */
struct nbsoar_host {
    uint32_t abi_major, abi_minor;
    uint32_t struct_size;
    void *self;                   /* opaque to plugins */
    const char *instance;         /* "spool", "thehive-prod", ...: the section name */
    int check_mode;               /* init() must validate only: no connections, no side effects */

    void (*log)(const struct nbsoar_host *h, enum nbsoar_log_level lvl,
                const char *fmt, ...) NBSOAR_PRINTF(3, 4);
    /* Like log, with structured fields (object, borrowed) such as job/event ids. */
    void (*logf)(const struct nbsoar_host *h, enum nbsoar_log_level lvl,
                 const json_t *fields, const char *fmt, ...) NBSOAR_PRINTF(4, 5);

    /* Register a value that must never be printed; the host redacts it as
     * *** everywhere it logs or reports. */
    void (*secret_add)(const struct nbsoar_host *h, const char *value);
    /* Copy of `text` with every registered secret replaced by ***. OWNED: free(). */
    char *(*redact)(const struct nbsoar_host *h, const char *text);

    /* Vault lookup: *out is a new reference (OWNED) to a string, integer,
     * real, true/false or null.  Returns NBSOAR_ERROR when absent. */
    int (*vault_get)(const struct nbsoar_host *h, const char *name, json_t **out);

    /* HTTP: fills *resp (caller frees with http_response_free).  Returns
     * NBSOAR_OK when a response arrived with a final status, any but 429
     * and 5xx (check resp->status; err quotes it from 400 on),
     * NBSOAR_RETRY when a transient failure (connect error, timeout, 429,
     * 5xx) outlived the retries, NBSOAR_ERROR when retrying cannot help
     * (bad URL, TLS verification); err gets a message for both. */
    int (*http)(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep,
                const struct nbsoar_http_request *req, struct nbsoar_http_response *resp,
                char *err, size_t errlen);
    void (*http_response_free)(struct nbsoar_http_response *resp);

    /* Sources: hand an event (borrowed) to the host.  NBSOAR_OK means it is
     * durably accepted (journalled) or was a duplicate; only then may the
     * source forget it (move the file, advance the cursor). */
    int (*emit_event)(const struct nbsoar_host *h, const json_t *event, char *err, size_t errlen);

    /* Source cursors, kept by the host (journal).  *value OWNED: free(); NULL when unset. */
    int (*cursor_get)(const struct nbsoar_host *h, const char *key, char **value);
    int (*cursor_set)(const struct nbsoar_host *h, const char *key, const char *value);

    /* Counters for metrics: name is a Prometheus-style suffix. */
    void (*counter_add)(const struct nbsoar_host *h, const char *name, double value);

    /* Progress for a terminal: done of total, label borrowed. */
    void (*progress)(const struct nbsoar_host *h, int done, int total, const char *label);

    /* WebSocket client (libwebsockets in the host, which owns TLS).  A
     * connection is used by one thread at a time and is serviced only
     * inside these calls, so a caller that stops calling holds the socket
     * open without reading.
     *
     * ws_connect: url is ws:// or wss:// (http:// and https:// are taken
     * as their WebSocket twins).  From ep: auth_header (sent as a real
     * handshake header, registered as a secret; never put a token in the
     * URL), headers, no_verify_tls, ca_file, connect_timeout_ms (the whole
     * handshake; 0: 10 s).  ep->proxy is refused: no proxy support.
     * subprotocols: offered in Sec-WebSocket-Protocol, NULL-terminated or
     * NULL; the server's choice is copied into chosen_protocol ("" when it
     * chose none).  Pings go out after 20 s without traffic and the
     * connection is dropped when nothing (not even a pong) came back for
     * 40 s.  *out is OWNED by the caller: ws_close().  Returns NBSOAR_OK,
     * NBSOAR_RETRY (connect refused, timeout, 5xx on the handshake) or
     * NBSOAR_ERROR (TLS certificate verification, 401/403 and other 4xx,
     * bad URL); err names which. */
    int (*ws_connect)(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep,
                      const char *url, const char *const *subprotocols, struct nbsoar_ws **out,
                      char *chosen_protocol, size_t cp_len, char *err, size_t errlen);
    /* One whole message (text or binary), written before it returns or
     * within ep->timeout_ms (0: 60 s).  NBSOAR_OK or NBSOAR_ERROR (closed). */
    int (*ws_send)(const struct nbsoar_host *h, struct nbsoar_ws *ws, const void *data, size_t len,
                   int binary, char *err, size_t errlen);
    /* Waits up to timeout_ms (< 0: no limit, 0: only what has arrived) for
     * one whole message (fragments reassembled, at most 256 MiB).  Returns
     * 1 with *data (OWNED: free(); NUL-terminated, len without it), *len,
     * *binary; 0 on timeout; -1 when the connection is closed or failed
     * (err says how; every later call says -1 too). */
    int (*ws_recv)(const struct nbsoar_host *h, struct nbsoar_ws *ws, int timeout_ms, void **data,
                   size_t *len, int *binary, char *err, size_t errlen);
    /* Sends a close frame (briefly waiting for the answer) and frees ws.
     * NULL is fine. */
    void (*ws_close)(const struct nbsoar_host *h, struct nbsoar_ws *ws);
    /* mail */
    /* Sends one message (see struct nbsoar_mail).  NBSOAR_OK once the SMTP
     * server accepted it for every recipient; NBSOAR_RETRY for what may pass
     * later (connect error, timeout, a 4xx SMTP reply); NBSOAR_ERROR when
     * retrying cannot help (bad URL or address, CR/LF in a header value,
     * TLS verification, AUTH refused, a 5xx reply).  err names the server
     * and the SMTP reply, never the password.  Check h->struct_size covers
     * this member before calling (hosts before it lack it). */
    int (*mail_send)(const struct nbsoar_host *h, const struct nbsoar_mail *m, char *err, size_t errlen);
};

/* ---------------------------------------------------------------------
 * The plugin.
 * ------------------------------------------------------------------- */
struct nbsoar_plugin {
    uint32_t abi_major, abi_minor;
    uint32_t struct_size;            /* sizeof(struct nbsoar_plugin) as built */
    const char *name, *version, *description;
    const struct nbsoar_config_key *config;

    /* config: object built from the section (borrowed).  *state is the
     * plugin's; shutdown() is called even when init fails. */
    int (*init)(const struct nbsoar_host *host, const json_t *config, void **state);
    /* Source: fetch what is new, emit it, return.  Must not block for long. */
    int (*poll)(void *state);
    /* Executor: run one job.  Fills res (see ownership above). */
    int (*run)(void *state, const struct nbsoar_job *job, struct nbsoar_run_result *res);
    /* Sink: apply one operation (borrowed).  *result (OWNED by the host) may
     * describe what was done (ids created...).  OK / RETRY / ERROR; on ERROR
     * *result should carry {"error": "..."}. */
    int (*apply)(void *state, const json_t *operation, const struct nbsoar_job *job, json_t **result);
    const char *const *operations;   /* NULL-terminated; {"*", NULL} accepts any */
    void (*shutdown)(void *state);
};

/* The only exported symbol. */
typedef const struct nbsoar_plugin *(*nbsoar_plugin_entry_fn)(void);
#define NBSOAR_PLUGIN_ENTRY "nbsoar_plugin_entry"
NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void);

/* Fills the ABI header of a plugin struct. */
#define NBSOAR_PLUGIN_HEADER \
    .abi_major = NBSOAR_ABI_MAJOR, .abi_minor = NBSOAR_ABI_MINOR, \
    .struct_size = sizeof(struct nbsoar_plugin)

#ifdef __cplusplus
}
#endif
#endif
