/* The shared HTTP client: one libcurl easy handle per call, retries with
 * backoff, redacted error messages.  The contract is in http_client.h. */
#include "http_client.h"
#include "http_message.h"
#include "log.h"
#include "redact.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 10000L
#define TIMEOUT_MS 60000L
#define MAX_RETRIES 3
#define STREAM_LOW_SPEED_TIME_S 300L
#define MAX_BODY ((size_t)256 << 20)
#define DEFAULT_BACKOFF_BASE_MS 500L
#define DEFAULT_BACKOFF_CAP_MS 30000L
#define DEFAULT_RETRY_AFTER_CAP_MS 60000L

static long backoff_base_ms = DEFAULT_BACKOFF_BASE_MS;
static long backoff_cap_ms = DEFAULT_BACKOFF_CAP_MS;
static long retry_after_cap_ms = DEFAULT_RETRY_AFTER_CAP_MS;

void http_set_backoff(long base_ms, long cap_ms, long after_cap_ms)
{
    backoff_base_ms = base_ms > 0 ? base_ms : DEFAULT_BACKOFF_BASE_MS;
    backoff_cap_ms = cap_ms > 0 ? cap_ms : DEFAULT_BACKOFF_CAP_MS;
    retry_after_cap_ms = after_cap_ms > 0 ? after_cap_ms : DEFAULT_RETRY_AFTER_CAP_MS;
}

/* libcurl's global init sets up OpenSSL (2 MB resident), so it waits for
 * the first request: `nbsoar exec` on a local kernel never makes one. */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_ready;

static void global_init_once(void)
{
    global_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int http_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_ready ? NBSOAR_OK : NBSOAR_ERROR;
}

void http_global_cleanup(void)
{
    if (global_ready)
        curl_global_cleanup();
}

void http_response_free(struct nbsoar_http_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    json_decref(resp->json);
    free(resp->content_type);
    free(resp->location);
    memset(resp, 0, sizeof(*resp));
}

/* What one attempt came to. */
enum outcome {
    DONE,      /* a response with a final status */
    TRANSIENT, /* worth another attempt */
    PERMANENT, /* another attempt cannot help */
};

/* State of one call, shared by the curl callbacks. */
struct transfer {
    CURL *curl;
    const struct nbsoar_http_request *req;
    char *buf; /* collected body (error bodies too when streaming) */
    size_t len, cap;
    size_t delivered; /* bytes handed to on_data, over all attempts */
    int aborted;      /* on_data asked to stop */
    int too_big;
};

static int append(struct transfer *t, const char *data, size_t len)
{
    if (t->len + len > MAX_BODY) {
        t->too_big = 1;
        return -1;
    }
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + len + 1)
            cap *= 2;
        char *grown = realloc(t->buf, cap);
        if (grown == NULL)
            return -1;
        t->buf = grown;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, len);
    t->len += len;
    t->buf[t->len] = '\0';
    return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * nmemb;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    /* An error body is collected for the message, never streamed. */
    if (t->req->on_data != NULL && status < 400) {
        if (t->req->on_data(t->req->on_data_arg, data, len) != 0) {
            t->aborted = 1;
            return 0;
        }
        t->delivered += len;
        return len;
    }
    return append(t, data, len) == 0 ? len : 0;
}

static int method_is_idempotent(const char *m)
{
    static const char *const safe[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", NULL};
    for (const char *const *s = safe; *s != NULL; s++) {
        if (strcasecmp(m, *s) == 0)
            return 1;
    }
    return 0;
}

/* A header line or method must not smuggle in another line. */
static int has_newline(const char *s)
{
    return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* Registers the auth header line, its value and the credential after the
 * scheme ("Bearer X" -> X), so none of them can reach a message. */
static void register_auth_secrets(const char *line)
{
    if (line == NULL)
        return;
    redact_add(line);
    const char *colon = strchr(line, ':');
    if (colon == NULL)
        return;
    const char *value = colon + 1 + strspn(colon + 1, " \t");
    redact_add(value);
    const char *space = strrchr(value, ' ');
    if (space != NULL)
        redact_add(space + 1);
}

/* The password of "scheme://user:password@host" (proxy URLs). */
static void register_url_password(const char *url)
{
    const char *start = url ? strstr(url, "://") : NULL;
    if (start == NULL)
        return;
    start += 3;
    const char *at = strchr(start, '@');
    const char *colon = strchr(start, ':');
    if (at == NULL || colon == NULL || colon > at)
        return;
    char *pw = strndup(colon + 1, (size_t)(at - colon - 1));
    redact_add(pw);
    free(pw);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Full jitter: uniform in [0, min(cap, base * 2^retry)]. */
static long backoff_ms(int retry)
{
    long ceiling = backoff_base_ms;
    for (int i = 0; i < retry && ceiling < backoff_cap_ms; i++)
        ceiling *= 2;
    if (ceiling > backoff_cap_ms)
        ceiling = backoff_cap_ms;
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = (uint32_t)time(NULL) ^ (uint32_t)getpid();
    return (long)((double)ceiling * ((double)r / (double)UINT32_MAX));
}

static enum outcome classify_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return TRANSIENT;
    default:
        return PERMANENT;
    }
}

static enum outcome classify_status(long status)
{
    return status == 429 || status >= 500 ? TRANSIENT : DONE;
}

/* What a failed transfer means to a person. */
static void describe_curl(char *err, size_t errlen, CURLcode rc, const char *detail,
                          const struct transfer *t, const struct nbsoar_http_endpoint *ep)
{
    if (t->aborted)
        http_msg_add(err, errlen, "aborted by the stream handler after %zu bytes", t->delivered);
    else if (t->too_big)
        http_msg_add(err, errlen, "response body larger than %zu MiB", MAX_BODY >> 20);
    else
        http_msg_curl(err, errlen, rc, detail, ep->ca_file);
    if (ep->proxy != NULL && ep->proxy[0] != '\0' && rc != CURLE_PEER_FAILED_VERIFICATION) {
        char *proxy = http_url_for_log(ep->proxy);
        http_msg_add(err, errlen, " (via proxy %s)", proxy ? proxy : "");
        free(proxy);
    }
}

/* Sets every option that does not change between attempts. */
static CURLcode setup(CURL *c, const struct nbsoar_http_endpoint *ep,
                      const struct nbsoar_http_request *req, struct curl_slist *headers,
                      const char *body, size_t body_len, char *detail, struct transfer *t)
{
    CURLcode rc = CURLE_OK;
#define SET(opt, val) \
    do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, detail);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, t);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_USERAGENT, "nbsoar");
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, ep->no_verify_tls ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, ep->no_verify_tls ? 0L : 2L);
    if (ep->ca_file != NULL)
        SET(CURLOPT_CAINFO, ep->ca_file);
    if (ep->proxy != NULL)
        SET(CURLOPT_PROXY, ep->proxy);
    SET(CURLOPT_CONNECTTIMEOUT_MS, ep->connect_timeout_ms > 0 ? ep->connect_timeout_ms
                                                             : CONNECT_TIMEOUT_MS);
    if (ep->timeout_ms >= 0) {
        SET(CURLOPT_TIMEOUT_MS, ep->timeout_ms > 0 ? ep->timeout_ms : TIMEOUT_MS);
    } else {
        /* No total bound: a stalled stream must still end some day. */
        SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
        SET(CURLOPT_LOW_SPEED_TIME, STREAM_LOW_SPEED_TIME_S);
    }
    if (strcasecmp(req->method, "GET") == 0 && body == NULL) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (strcasecmp(req->method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else {
        SET(CURLOPT_CUSTOMREQUEST, req->method);
        /* A bodiless POST, PUT or PATCH still says Content-Length: 0. */
        if (body != NULL || strcasecmp(req->method, "POST") == 0 ||
            strcasecmp(req->method, "PUT") == 0 || strcasecmp(req->method, "PATCH") == 0) {
            SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
            SET(CURLOPT_POSTFIELDS, body != NULL ? body : "");
        }
    }
#undef SET
    return rc;
}

static struct curl_slist *build_headers(const struct nbsoar_http_endpoint *ep,
                                        const struct nbsoar_http_request *req, int *ok)
{
    struct curl_slist *list = NULL, *next;
    char ct[256];
    /* "Expect:" stops libcurl waiting for "100 Continue" on big bodies. */
    const char *lines[4] = {"Expect:", NULL, NULL, NULL};
    size_t n = 1;
    if (req->json != NULL || (req->body != NULL && req->content_type != NULL)) {
        snprintf(ct, sizeof(ct), "Content-Type: %s",
                 req->json != NULL ? "application/json" : req->content_type);
        lines[n++] = ct;
    }
    if (ep->auth_header != NULL)
        lines[n++] = ep->auth_header;
    *ok = 1;
    for (size_t i = 0; i < n && *ok; i++) {
        next = curl_slist_append(list, lines[i]);
        *ok = next != NULL;
        list = next ? next : list;
    }
    for (const char *const *h = ep->headers; h != NULL && *h != NULL && *ok; h++) {
        next = curl_slist_append(list, *h);
        *ok = next != NULL;
        list = next ? next : list;
    }
    return list;
}

/* Checks the arguments; a message and ERROR when they cannot work. */
static int validate(const struct nbsoar_http_endpoint *ep, const struct nbsoar_http_request *req,
                    char *err, size_t errlen)
{
    if (req == NULL || req->url == NULL || req->method == NULL || req->method[0] == '\0') {
        http_msg_add(err, errlen, "HTTP request without a method or URL");
        return NBSOAR_ERROR;
    }
    if (strpbrk(req->method, " \t\r\n") != NULL || has_newline(ep->auth_header) ||
        has_newline(req->content_type)) {
        http_msg_add(err, errlen, "HTTP request with a line break in its method or headers");
        return NBSOAR_ERROR;
    }
    for (const char *const *h = ep->headers; h != NULL && *h != NULL; h++) {
        if (has_newline(*h)) {
            http_msg_add(err, errlen, "HTTP request with a line break in its headers");
            return NBSOAR_ERROR;
        }
    }
    if (ep->ca_file != NULL && access(ep->ca_file, R_OK) != 0) {
        http_msg_add(err, errlen, "cannot read ca_file %s: %s", ep->ca_file, strerror(errno));
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

/* Moves the collected body, its JSON and headers into resp. */
static void fill_response(CURL *c, struct transfer *t, struct nbsoar_http_response *resp)
{
    const char *ctype = NULL;
    struct curl_header *loc = NULL;
    http_response_free(resp);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
    if (ctype != NULL)
        resp->content_type = strdup(ctype);
    if (curl_easy_header(c, "Location", 0, CURLH_HEADER, -1, &loc) == CURLHE_OK)
        resp->location = strdup(loc->value);
    if (t->buf == NULL && (t->req->on_data == NULL || resp->status >= 400))
        append(t, "", 0);
    resp->body = t->buf;
    resp->body_len = t->len;
    t->buf = NULL;
    t->len = t->cap = 0;
    if (resp->body == NULL || resp->body_len == 0)
        return;
    const char *first = resp->body + strspn(resp->body, " \t\r\n");
    int says_json = ctype != NULL && strstr(ctype, "json") != NULL;
    if (says_json || *first == '{' || *first == '[')
        resp->json = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, NULL);
}

/* The Retry-After the server asked for, in ms; -1 when none. */
static long retry_after_ms(CURL *c)
{
    curl_off_t secs = -1;
    if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &secs) != CURLE_OK || secs <= 0) {
        /* An HTTP-date already past (or "0") means: now. */
        struct curl_header *h = NULL;
        return curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK ? 0 : -1;
    }
    return secs > LONG_MAX / 1000 ? LONG_MAX : (long)secs * 1000;
}

struct call {
    const struct nbsoar_http_endpoint *ep;
    const struct nbsoar_http_request *req;
    const char *url; /* for messages */
    int attempts, may_retry, max_retries;
};

/* The message of the final outcome; returns the call's code. */
static int conclude(const struct call *k, enum outcome out, CURLcode rc, const char *detail,
                    const struct transfer *t, const struct nbsoar_http_response *resp,
                    const char *why_stopped, char *err, size_t errlen)
{
    if (out == DONE && resp->status < 400)
        return NBSOAR_OK;
    http_msg_add(err, errlen, "%s %s: ", k->req->method, k->url);
    if (rc != CURLE_OK) {
        describe_curl(err, errlen, rc, detail, t, k->ep);
    } else {
        http_msg_status(err, errlen, resp->status, resp->body_len > 0 ? resp->body : NULL);
    }
    if (k->attempts > 1)
        http_msg_add(err, errlen, " (after %d attempts)", k->attempts);
    if (why_stopped != NULL)
        http_msg_add(err, errlen, " (%s)", why_stopped);
    redact_buf(err, errlen);
    if (out == DONE)
        return NBSOAR_OK;
    return out == TRANSIENT ? NBSOAR_RETRY : NBSOAR_ERROR;
}

/* Runs the attempts; the handle and lists are set up by the caller. */
static int run(struct call *k, CURL *c, struct transfer *t, char *detail,
               struct nbsoar_http_response *resp, char *err, size_t errlen)
{
    char note[160];
    for (;;) {
        detail[0] = '\0';
        k->attempts++;
        CURLcode rc = curl_easy_perform(c);
        fill_response(c, t, resp);
        enum outcome out = rc != CURLE_OK ? classify_curl(rc) : classify_status(resp->status);
        if (t->aborted || t->too_big)
            out = PERMANENT;
        const char *why_stopped = NULL;
        long wait = -1;
        if (out == TRANSIENT) {
            long after = rc == CURLE_OK ? retry_after_ms(c) : -1;
            if (t->delivered > 0) {
                why_stopped = "not retried: part of the stream was already delivered";
            } else if (!k->may_retry) {
                why_stopped = k->max_retries < 0 ? NULL
                                                 : "not retried: the method is not idempotent";
            } else if (k->attempts > k->max_retries) {
                why_stopped = NULL;
            } else if (after > retry_after_cap_ms) {
                snprintf(note, sizeof(note),
                         "not retried: the server asks to wait %ld s (Retry-After)", after / 1000);
                why_stopped = note;
            } else {
                wait = backoff_ms(k->attempts - 1);
                wait = after > wait ? after : wait;
            }
        }
        if (wait < 0)
            return conclude(k, out, rc, detail, t, resp, why_stopped, err, errlen);
        if (rc == CURLE_OK)
            snprintf(note, sizeof(note), "HTTP %ld", resp->status);
        log_warn("%s %s: %s; retry %d of %d in %ld ms", k->req->method, k->url,
                 rc == CURLE_OK ? note : detail[0] ? detail : curl_easy_strerror(rc),
                 k->attempts, k->max_retries, wait);
        sleep_ms(wait);
    }
}

int http_request(const struct nbsoar_http_endpoint *ep, const struct nbsoar_http_request *req,
                 struct nbsoar_http_response *resp, char *err, size_t errlen)
{
    static const struct nbsoar_http_endpoint no_endpoint;
    char scratch[2];
    if (err == NULL || errlen == 0) {
        err = scratch;
        errlen = sizeof(scratch);
    }
    err[0] = '\0';
    if (resp == NULL) {
        http_msg_add(err, errlen, "HTTP request without a response to fill");
        return NBSOAR_ERROR;
    }
    memset(resp, 0, sizeof(*resp));
    if (ep == NULL)
        ep = &no_endpoint;
    register_auth_secrets(ep->auth_header);
    register_url_password(ep->proxy);
    if (validate(ep, req, err, errlen) != NBSOAR_OK) {
        redact_buf(err, errlen);
        return NBSOAR_ERROR;
    }

    struct call k = {.ep = ep, .req = req, .url = NULL, .attempts = 0};
    k.max_retries = ep->max_retries == 0 ? MAX_RETRIES : ep->max_retries;
    k.may_retry = k.max_retries > 0 && (req->idempotent || method_is_idempotent(req->method));
    char *url = http_url_for_log(req->url);
    k.url = url != NULL ? url : "(URL)";

    char *json_body = req->json != NULL ? json_dumps(req->json, JSON_COMPACT | JSON_ENCODE_ANY)
                                        : NULL;
    const char *body = req->json != NULL ? json_body : req->body;
    size_t body_len = req->json != NULL ? (json_body ? strlen(json_body) : 0) : req->body_len;
    if (body != NULL && req->json == NULL && body_len == 0)
        body_len = strlen(body);

    int headers_ok = 0;
    struct curl_slist *headers = build_headers(ep, req, &headers_ok);
    char detail[CURL_ERROR_SIZE];
    detail[0] = '\0';
    struct transfer t = {.req = req};
    CURL *c = http_global_init() == NBSOAR_OK ? curl_easy_init() : NULL;
    t.curl = c;
    int result;
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    if (c != NULL && headers_ok && (req->json == NULL || json_body != NULL))
        rc = setup(c, ep, req, headers, body, body_len, detail, &t);
    if (rc != CURLE_OK) {
        http_msg_add(err, errlen, "%s %s: cannot prepare the request: %s", req->method, k.url,
            curl_easy_strerror(rc));
        redact_buf(err, errlen);
        result = NBSOAR_ERROR;
    } else {
        result = run(&k, c, &t, detail, resp, err, errlen);
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    free(t.buf);
    free(json_body);
    free(url);
    return result;
}
