/* The splunk connector: internal interfaces shared by its files.
 *
 * splunk.c         plugin struct, config, init/poll/apply/shutdown
 * splunk_client.c  one request to splunkd through host->http: auth (bearer
 *                  token or session key with one re-login on 401), errors
 *                  classified, form encoding
 * splunk_lines.c   incremental line splitter for a streamed body
 * splunk_export.c  export JSON lines: preview / result / messages / lastrow
 * splunk_event.c   a notable result row -> an nbsoar event
 * splunk_seen.c    the bounded set of recent event_ids, and the cursor text
 * splunk_enrich.c  correlation search (saved/searches/{name}) cache with TTL
 * splunk_source.c  poll: window, export stream, dedup, cursor
 * splunk_update.c  the SplunkUpdateNotable operation -> notable_update
 */
#ifndef NBSOAR_SPLUNK_H
#define NBSOAR_SPLUNK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <nbsoar/plugin.h>

/* ---- incremental line splitter (splunk_lines.c) ---- */

/* Splits a byte stream into lines ('\n', a trailing '\r' dropped) without
 * holding more than one partial line: complete lines inside a fed chunk are
 * handed over in place, only a line cut by a chunk boundary is copied. */
struct sp_lines {
    int (*on_line)(void *arg, const char *line, size_t len); /* non-zero stops */
    void *arg;
    size_t max_line;   /* a longer line is an error (sp_lines.too_long) */
    char *buf;         /* OWNED: the partial line */
    size_t len, cap;
    int too_long;
    long lines;        /* lines handed over */
};

/* Returns 0, or -1 when on_line stopped or a line exceeded max_line. */
int sp_lines_feed(struct sp_lines *ls, const char *data, size_t len);
/* Hands over a last line without '\n'; returns as sp_lines_feed. */
int sp_lines_finish(struct sp_lines *ls);
void sp_lines_free(struct sp_lines *ls);

/* ---- export JSON lines (splunk_export.c) ---- */

/* What one export stream said.  on_result gets each final row (borrowed,
 * may be modified; valid during the call); a non-zero return stops the
 * stream and is kept in `stopped`. */
struct sp_export {
    const struct nbsoar_host *host;   /* for INFO/WARN messages; may be NULL */
    int (*on_result)(void *arg, json_t *row);
    void *arg;
    long results;        /* final rows handed to on_result */
    long previews;       /* preview rows ignored */
    long lines;
    int saw_offset;      /* rows carried "offset" */
    int lastrow;         /* a row said "lastrow": true */
    int stopped;         /* on_result's non-zero return */
    char error[768];     /* set when the stream carried an ERROR/FATAL message or a bad line */
};

/* One line of the stream.  Returns 0, or -1 to stop (error or stopped). */
int sp_export_line(struct sp_export *ex, const char *line, size_t len);

/* ---- events (splunk_event.c) ---- */

/* Seconds since the epoch from Splunk's _time ("1795594442.123" or
 * "2026-11-20T08:14:02.000+00:00"); -1 when unreadable. */
double sp_parse_time(const char *text);

/* A result row's field as text: the first value of a multivalue field;
 * NULL when absent or empty.  Borrowed from row. */
const char *sp_row_string(const json_t *row, const char *key);

/* Builds the event for a notable row (borrowed; its fields are copied by
 * reference into event.fields, so the row must not be changed afterwards).
 * `detection` (borrowed, may be NULL) becomes fields.detection.
 * Returns NULL when the row has no event_id. OWNED by the caller. */
json_t *sp_event_build(json_t *row, const char *source_name, const json_t *detection);

/* ---- recently seen event ids (splunk_seen.c) ---- */

struct sp_seen_slot {
    uint64_t hash;  /* 0: empty */
    int64_t time;   /* the notable's _time, seconds */
};

/* An open-addressing set of event_id hashes (FNV-1a 64) with their _time;
 * never more than `max` entries: when full, entries older than `horizon`
 * go first, then the oldest half. */
struct sp_seen {
    struct sp_seen_slot *slots; /* OWNED */
    size_t cap, count, max;
    int64_t horizon;            /* entries older than this can never be asked for again */
};

int sp_seen_init(struct sp_seen *s, size_t max);
void sp_seen_free(struct sp_seen *s);
uint64_t sp_seen_hash(const char *event_id);
int sp_seen_has(const struct sp_seen *s, uint64_t hash);
/* Returns 0, -1 on ENOMEM. */
int sp_seen_add(struct sp_seen *s, uint64_t hash, int64_t time);
/* Drops entries whose time is before `horizon`. */
void sp_seen_prune(struct sp_seen *s, int64_t horizon);

/* Cursor text: {"v":1,"until":<epoch s>,"seen":"<16 hex hash>:<time> ..."}.
 * OWNED by the caller; NULL on ENOMEM. */
char *sp_cursor_format(const struct sp_seen *s, int64_t until);
/* Reads a cursor into *until and s (already initialised). Returns 0, or -1
 * with err naming what is wrong. */
int sp_cursor_parse(const char *text, struct sp_seen *s, int64_t *until, char *err, size_t errlen);

/* ---- the plugin instance ---- */

struct sp_state {
    const struct nbsoar_host *host;
    char *base_url;                 /* OWNED; scheme://host:port, no trailing '/' */
    char *token;                    /* OWNED or NULL (secret) */
    char *username, *password;      /* OWNED or NULL (password secret) */
    char *ca_file, *proxy;          /* OWNED or NULL */
    int no_verify_tls;
    long timeout_ms;
    int retries;

    /* Session auth: the current header line; replaced on re-login. */
    pthread_mutex_t auth_lock;
    char *auth_header;              /* OWNED; "Authorization: Bearer|Splunk ..." */
    unsigned auth_generation;       /* bumped by every login */
    long logins;

    /* Source. */
    char *search;                   /* OWNED */
    char *source_name;              /* OWNED */
    char *saved_searches_path;      /* OWNED, e.g. /servicesNS/-/-/saved/searches */
    long lookback_s, delay_s, first_window_s;
    size_t max_line;
    int enrich;
    long enrich_ttl_s;
    size_t seen_max;
    int cursor_loaded;
    int64_t until;                  /* end of the last window read whole */
    struct sp_seen seen;
    json_t *enrich_cache;           /* OWNED: name -> {"at": t, "detection": {...}} */
};

/* ---- requests (splunk_client.c) ---- */

struct sp_request {
    const char *method;
    const char *path;               /* starts with '/'; may carry a query */
    const char *form;               /* form-encoded body or NULL */
    int stream;                     /* 1: no total time limit, body to on_data */
    int (*on_data)(void *arg, const char *data, size_t len);
    void *on_data_arg;
    int idempotent;
};

/* One request with the current credentials; a session key refused with 401
 * is renewed once.  On 2xx, *out (may be NULL) gets the JSON body (OWNED,
 * NULL for a streamed or non-JSON body) and *status the code.  Returns
 * NBSOAR_OK on 2xx, NBSOAR_RETRY for connection errors, timeouts, 429 and
 * 5xx, NBSOAR_ERROR otherwise with Splunk's own message (messages[].text or
 * message) in err; never a credential. */
int sp_call(struct sp_state *st, const struct sp_request *rq, json_t **out, long *status,
            char *err, size_t errlen);

/* Logs in with username/password when the instance uses them and has no
 * session yet. */
int sp_auth_ensure(struct sp_state *st, char *err, size_t errlen);

/* Appends name=value (percent-encoded) to *form (OWNED, realloc'ed).
 * Returns 0, -1 on ENOMEM. */
int sp_form_add(char **form, const char *name, const char *value);

/* Percent-encodes everything but RFC 3986 unreserved characters.
 * OWNED by the caller; NULL on ENOMEM. */
char *sp_url_escape(const char *s);

/* The splunkd message of an error body: messages[].text joined, or
 * "message" (notable_update), or the body's first 200 bytes. */
void sp_server_message(const json_t *json, const char *body, char *out, size_t outlen);

/* ---- correlation search enrichment (splunk_enrich.c) ---- */

/* fields.detection for a search name: from the cache when younger than the
 * TTL, else GET saved_searches_path/{name}.  *detection is borrowed from
 * the cache (valid until the next call).  A search Splunk does not know
 * (404) or hides (403) is cached as {"name", "found": false}.  Returns
 * NBSOAR_OK, or NBSOAR_RETRY / NBSOAR_ERROR when Splunk could not answer. */
int sp_enrich_get(struct sp_state *st, const char *search_name, const json_t **detection,
                  char *err, size_t errlen);

/* ---- source and sink ---- */

int sp_poll(struct sp_state *st);

extern const char *const sp_operation_names[];

/* Validated SplunkUpdateNotable, as notable_update's form fields. */
struct sp_update {
    char event_id[512];
    long status;               /* -1: unchanged */
    char urgency[16];          /* "" : unchanged */
    char owner[256];
    const char *comment;       /* borrowed from the operation; NULL: none */
    char disposition[32];      /* "disposition:N" or "" */
};

/* Checks the operation and finds the notable: the explicit event_id, else
 * the job's event (ref.id when ref.system is splunk, else fields.event_id). */
int sp_update_validate(const json_t *operation, const json_t *event, struct sp_update *u,
                       char *err, size_t errlen);
int sp_update_apply(struct sp_state *st, const struct sp_update *u, json_t **result,
                    char *err, size_t errlen);

#endif
