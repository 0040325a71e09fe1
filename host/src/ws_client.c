/* WebSocket client on libwebsockets 4.1: connect (TLS, auth header in the
 * handshake, subprotocol choice), whole-message send and receive with
 * fragments reassembled, keepalive pings, close.  lws ignores the poll
 * timeout given to lws_service(), so every wait schedules a timer (sul) at
 * its deadline to bound the poll. */
#include "ws_client.h"
#include "ws_parse.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <libwebsockets.h>
#include <openssl/x509.h>

#include "http_client.h"
#include "redact.h"

#define MAX_MESSAGE ((size_t)256 << 20)
#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_SEND_MS 60000
#define CLOSE_WAIT_MS 500

static unsigned keepalive_ping_s = 20, keepalive_hangup_s = 40;

struct ws_msg {
    struct ws_msg *next;
    unsigned char *data; /* NUL-terminated */
    size_t len;
    int binary;
};

enum ws_state { WS_CONNECTING, WS_OPEN, WS_CLOSED };

struct nbsoar_ws {
    struct lws_context *ctx;
    struct lws *wsi;
    enum ws_state state;
    int http_status;
    char error[768];
    char chosen[128];
    char where[300];               /* URL without secrets, for messages */
    char tls_problem[200];         /* why the certificate was refused */
    /* handshake headers: "name:" and value pairs */
    char **hdr_name, **hdr_value;
    size_t n_hdr;
    /* one outgoing message at a time (send waits until it is written) */
    unsigned char *out;            /* LWS_PRE bytes of room, then the payload */
    size_t out_len;
    int out_binary, out_pending, close_requested;
    /* incoming: the message being assembled, then the queue */
    unsigned char *part;
    size_t part_len, part_cap;
    int part_binary, too_big;
    struct ws_msg *head, *tail;
    lws_sorted_usec_list_t wake;
    lws_retry_bo_t keepalive;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void quiet_log(int level, const char *line)
{
    (void)level;
    (void)line;
}

static void init_once(void)
{
    /* lws logs headers at its higher levels: never let it print */
    lws_set_log_level(0, quiet_log);
}

void ws_client_set_keepalive(unsigned ping_s, unsigned hangup_s)
{
    keepalive_ping_s = ping_s ? ping_s : 20;
    keepalive_hangup_s = hangup_s > keepalive_ping_s ? hangup_s : keepalive_ping_s * 2;
}

static void set_error(struct nbsoar_ws *ws, const char *fmt, const char *detail)
{
    if (ws->error[0] == '\0')
        snprintf(ws->error, sizeof ws->error, fmt, ws->where, detail ? detail : "");
}

static int append_part(struct nbsoar_ws *ws, const void *in, size_t len)
{
    if (ws->part_len + len > MAX_MESSAGE) {
        ws->too_big = 1;
        return -1;
    }
    if (ws->part_len + len + 1 > ws->part_cap) {
        size_t cap = ws->part_cap ? ws->part_cap : 4096;
        while (cap < ws->part_len + len + 1)
            cap *= 2;
        unsigned char *p = realloc(ws->part, cap);
        if (!p)
            return -1;
        ws->part = p;
        ws->part_cap = cap;
    }
    memcpy(ws->part + ws->part_len, in, len);
    ws->part_len += len;
    return 0;
}

static int finish_message(struct nbsoar_ws *ws)
{
    struct ws_msg *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    if (!ws->part && append_part(ws, "", 0) != 0) {
        free(m);
        return -1;
    }
    ws->part[ws->part_len] = '\0';
    m->data = ws->part;
    m->len = ws->part_len;
    m->binary = ws->part_binary;
    ws->part = NULL;
    ws->part_len = ws->part_cap = 0;
    if (ws->tail)
        ws->tail->next = m;
    else
        ws->head = m;
    ws->tail = m;
    return 0;
}

static int add_headers(struct nbsoar_ws *ws, struct lws *wsi, unsigned char **p, unsigned char *end)
{
    for (size_t i = 0; i < ws->n_hdr; i++) {
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)ws->hdr_name[i],
                                        (const unsigned char *)ws->hdr_value[i],
                                        (int)strlen(ws->hdr_value[i]), p, end))
            return -1;
    }
    return 0;
}

static void connection_error(struct nbsoar_ws *ws, struct lws *wsi, const char *why)
{
    int status = wsi ? (int)lws_http_client_http_response(wsi) : 0;
    ws->http_status = status;
    if (status == 401 || status == 403) {
        snprintf(ws->error, sizeof ws->error,
                 "WebSocket handshake with %s refused: HTTP %d %s (the server did not accept the token)",
                 ws->where, status, status == 403 ? "Forbidden" : "Unauthorized");
    } else if (status >= 300) {
        snprintf(ws->error, sizeof ws->error, "WebSocket handshake with %s failed: HTTP %d instead of 101",
                 ws->where, status);
    } else if (ws->tls_problem[0] || (why && (strstr(why, "cert") || strstr(why, "verif") || strstr(why, "X509")))) {
        snprintf(ws->error, sizeof ws->error,
                 "TLS certificate verification failed for %s (%.200s); name the server's CA with "
                 "ca_file, or turn verification off",
                 ws->where, ws->tls_problem[0] ? ws->tls_problem : why);
    } else {
        snprintf(ws->error, sizeof ws->error, "cannot connect WebSocket %s: %.200s", ws->where,
                 why && *why ? why : "connection failed");
    }
    /* lws error strings may end with a newline */
    size_t n = strlen(ws->error);
    while (n > 0 && (ws->error[n - 1] == '\n' || ws->error[n - 1] == ' '))
        ws->error[--n] = '\0';
}

/* jupyter-server (tornado) leaves Nagle on, so it holds each small message
 * until the previous one is acknowledged; a delayed ACK here would cost
 * 40 ms a cell.  Linux drops quick-ack mode on its own, so re-arm it after
 * every read. */
static void ack_at_once(struct lws *wsi)
{
    int one = 1;
    lws_sockfd_type fd = lws_get_socket_fd(wsi);
    if (fd >= 0)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct lws_context *ctx = wsi ? lws_get_context(wsi) : NULL;
    struct nbsoar_ws *ws = ctx ? lws_context_user(ctx) : NULL;
    if (!ws)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return add_headers(ws, wsi, (unsigned char **)in, *(unsigned char **)in + len);
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        /* lws's own connect error hides OpenSSL's reason: keep it here */
        if (len == 0 && user && ws->tls_problem[0] == '\0') {
            int e = X509_STORE_CTX_get_error((X509_STORE_CTX *)user);
            snprintf(ws->tls_problem, sizeof ws->tls_problem, "%s", X509_verify_cert_error_string(e));
        }
        break;
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
        /* the response headers are gone by ESTABLISHED */
        if (lws_hdr_copy(wsi, ws->chosen, sizeof ws->chosen, WSI_TOKEN_PROTOCOL) <= 0)
            ws->chosen[0] = '\0';
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
        int one = 1;
        lws_sockfd_type fd = lws_get_socket_fd(wsi);
        if (fd >= 0)
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ack_at_once(wsi);
        ws->state = WS_OPEN;
        break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        connection_error(ws, wsi, in ? (const char *)in : NULL);
        ws->state = WS_CLOSED;
        ws->wsi = NULL;
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        ack_at_once(wsi);
        if (lws_is_first_fragment(wsi)) {
            ws->part_len = 0;
            ws->part_binary = lws_frame_is_binary(wsi);
        }
        if (append_part(ws, in, len) != 0) {
            set_error(ws, "WebSocket %s: %s", ws->too_big ? "message over 256 MiB" : "out of memory");
            return -1;
        }
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0 && finish_message(ws) != 0) {
            set_error(ws, "WebSocket %s: %s", "out of memory");
            return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (ws->close_requested) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1;
        }
        if (ws->out_pending) {
            enum lws_write_protocol wp = ws->out_binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
            int n = lws_write(wsi, ws->out + LWS_PRE, ws->out_len, wp);
            ws->out_pending = 0;
            if (n < (int)ws->out_len) {
                set_error(ws, "WebSocket %s: %s", "write failed");
                return -1;
            }
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        char why[64];
        const unsigned char *b = in;
        snprintf(why, sizeof why, "closed by the server (code %d)", len >= 2 ? (b[0] << 8) | b[1] : 1005);
        set_error(ws, "WebSocket %s %s", why);
        break;
    }
    case LWS_CALLBACK_WSI_DESTROY:
        /* lws drops a connection on its own timeouts without any other
         * callback: never wait for a socket that is gone */
        if (wsi == ws->wsi || ws->state == WS_CONNECTING) {
            set_error(ws, "WebSocket %s %s", ws->state == WS_CONNECTING ? "closed during the handshake"
                                                                         : "closed (the connection dropped)");
            ws->state = WS_CLOSED;
            ws->wsi = NULL;
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        set_error(ws, "WebSocket %s %s", "closed (the connection dropped)");
        ws->state = WS_CLOSED;
        ws->wsi = NULL;
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"nbsoar-ws", callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void wake_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
}

/* One service round, waiting at most until deadline (< 0: no limit). */
static void pump(struct nbsoar_ws *ws, int64_t deadline)
{
    if (deadline >= 0) {
        int64_t left = deadline - mono_ms();
        lws_sul_schedule(ws->ctx, 0, &ws->wake, wake_cb, (lws_usec_t)(left > 0 ? left : 0) * 1000);
    }
    lws_service(ws->ctx, 0);
    lws_sul_cancel(&ws->wake);
}

static int add_header_line(struct nbsoar_ws *ws, const char *line)
{
    char **n = realloc(ws->hdr_name, (ws->n_hdr + 1) * sizeof *n);
    if (!n)
        return -1;
    ws->hdr_name = n;
    char **v = realloc(ws->hdr_value, (ws->n_hdr + 1) * sizeof *v);
    if (!v)
        return -1;
    ws->hdr_value = v;
    if (ws_split_header(line, &ws->hdr_name[ws->n_hdr], &ws->hdr_value[ws->n_hdr]) != 0)
        return -1;
    ws->n_hdr++;
    return 0;
}

static void ws_free(struct nbsoar_ws *ws)
{
    if (ws->ctx)
        lws_context_destroy(ws->ctx);
    for (size_t i = 0; i < ws->n_hdr; i++) {
        free(ws->hdr_name[i]);
        explicit_bzero(ws->hdr_value[i], strlen(ws->hdr_value[i]));
        free(ws->hdr_value[i]);
    }
    free(ws->hdr_name);
    free(ws->hdr_value);
    free(ws->out);
    free(ws->part);
    while (ws->head) {
        struct ws_msg *m = ws->head;
        ws->head = m->next;
        free(m->data);
        free(m);
    }
    free(ws);
}

static int classify(const struct nbsoar_ws *ws)
{
    if (ws->http_status >= 500 || ws->http_status == 429)
        return NBSOAR_RETRY;
    if (ws->http_status >= 300 || strstr(ws->error, "certificate"))
        return NBSOAR_ERROR;
    return NBSOAR_RETRY;
}

static int prepare(struct nbsoar_ws *ws, const struct nbsoar_http_endpoint *ep, const char *url, char *err,
                   size_t errlen)
{
    char *shown = http_url_for_log(url);
    snprintf(ws->where, sizeof ws->where, "%s", shown ? shown : "(url)");
    free(shown);
    if (ep && ep->proxy && *ep->proxy) {
        snprintf(err, errlen, "WebSocket %s: connecting through a proxy is not supported", ws->where);
        return -1;
    }
    if (ep && ep->ca_file && access(ep->ca_file, R_OK) != 0) {
        snprintf(err, errlen, "WebSocket %s: cannot read ca_file %s", ws->where, ep->ca_file);
        return -1;
    }
    if (ep && ep->auth_header) {
        redact_add(ep->auth_header);
        const char *colon = strchr(ep->auth_header, ':');
        if (colon) {
            const char *v = colon + 1 + strspn(colon + 1, " \t");
            redact_add(v);
            const char *sp = strchr(v, ' ');
            if (sp && sp[1])
                redact_add(sp + 1);
        }
        if (add_header_line(ws, ep->auth_header) != 0) {
            snprintf(err, errlen, "WebSocket %s: the auth header is not \"Name: value\"", ws->where);
            return -1;
        }
    }
    for (const char *const *h = ep ? ep->headers : NULL; h && *h; h++) {
        if (add_header_line(ws, *h) != 0) {
            snprintf(err, errlen, "WebSocket %s: header \"%.60s\" is not \"Name: value\"", ws->where, *h);
            return -1;
        }
    }
    return 0;
}

int ws_client_connect(const struct nbsoar_http_endpoint *ep, const char *url,
                      const char *const *subprotocols, struct nbsoar_ws **out,
                      char *chosen_protocol, size_t cp_len, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
    *out = NULL;
    if (chosen_protocol && cp_len)
        chosen_protocol[0] = '\0';
    char host[256], path[4096], offered[512] = "", hosthdr[300];
    int tls = 0, port = 0;
    if (!url || ws_parse_url(url, &tls, host, sizeof host, &port, path, sizeof path) != 0) {
        snprintf(err, errlen, "not a ws://, wss://, http:// or https:// URL with a host: %s", url ? url : "(null)");
        return NBSOAR_ERROR;
    }
    struct nbsoar_ws *ws = calloc(1, sizeof *ws);
    if (!ws) {
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    if (prepare(ws, ep, url, err, errlen) != 0) {
        ws_free(ws);
        return NBSOAR_ERROR;
    }
    for (size_t i = 0; subprotocols && subprotocols[i]; i++) {
        size_t used = strlen(offered);
        snprintf(offered + used, sizeof offered - used, "%s%s", used ? ", " : "", subprotocols[i]);
    }
    ws->keepalive.secs_since_valid_ping = (uint16_t)keepalive_ping_s;
    ws->keepalive.secs_since_valid_hangup = (uint16_t)keepalive_hangup_s;

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = ws;
    if (tls) {
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.client_ssl_ca_filepath = ep ? ep->ca_file : NULL;
    }
    long limit = ep && ep->connect_timeout_ms > 0 ? ep->connect_timeout_ms : DEFAULT_CONNECT_MS;
    /* lws's own limit for each handshake step; ours is the deadline below */
    info.timeout_secs = (unsigned int)(limit / 1000 + 1);
    ws->ctx = lws_create_context(&info);
    if (!ws->ctx) {
        snprintf(err, errlen, "WebSocket %s: cannot create the libwebsockets context", ws->where);
        ws_free(ws);
        return NBSOAR_ERROR;
    }
    if (strchr(host, ':'))
        snprintf(hosthdr, sizeof hosthdr, "[%s]:%d", host, port);
    else
        snprintf(hosthdr, sizeof hosthdr, "%s:%d", host, port);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ws->ctx;
    ci.address = host;
    ci.port = port;
    ci.path = path;
    ci.host = hosthdr;
    ci.protocol = offered[0] ? offered : NULL;
    ci.local_protocol_name = protocols[0].name;
    ci.retry_and_idle_policy = &ws->keepalive;
    ci.pwsi = &ws->wsi;
    if (tls) {
        ci.ssl_connection = LCCSCF_USE_SSL;
        if (ep && ep->no_verify_tls)
            ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                 LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    int64_t deadline = mono_ms() + limit;
    if (!lws_client_connect_via_info(&ci) && ws->state != WS_CLOSED) {
        ws->state = WS_CLOSED;
        set_error(ws, "cannot connect WebSocket %s%s", "");
    }
    while (ws->state == WS_CONNECTING && mono_ms() < deadline)
        pump(ws, deadline);
    if (ws->state != WS_OPEN) {
        int rc = ws->state == WS_CONNECTING ? NBSOAR_RETRY : classify(ws);
        if (ws->state == WS_CONNECTING)
            snprintf(err, errlen, "WebSocket %s: no handshake within %ld ms", ws->where, limit);
        else
            snprintf(err, errlen, "%s", ws->error);
        redact_buf(err, errlen);
        ws_free(ws);
        return rc;
    }
    if (chosen_protocol && cp_len)
        snprintf(chosen_protocol, cp_len, "%s", ws->chosen);
    *out = ws;
    return NBSOAR_OK;
}

int ws_client_send(struct nbsoar_ws *ws, const void *data, size_t len, int binary, char *err, size_t errlen)
{
    if (ws->state != WS_OPEN) {
        snprintf(err, errlen, "%s", ws->error[0] ? ws->error : "WebSocket closed");
        return NBSOAR_ERROR;
    }
    unsigned char *buf = malloc(LWS_PRE + len + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    memcpy(buf + LWS_PRE, data, len);
    free(ws->out);
    ws->out = buf;
    ws->out_len = len;
    ws->out_binary = binary;
    ws->out_pending = 1;
    lws_callback_on_writable(ws->wsi);
    int64_t deadline = mono_ms() + DEFAULT_SEND_MS;
    /* written once lws holds no unsent remainder of it either */
    while (ws->state == WS_OPEN && (ws->out_pending || lws_partial_buffered(ws->wsi)) && mono_ms() < deadline) {
        if (!ws->out_pending)
            lws_callback_on_writable(ws->wsi);
        pump(ws, deadline);
    }
    if (ws->state != WS_OPEN || ws->out_pending) {
        snprintf(err, errlen, "%s", ws->error[0] ? ws->error : "WebSocket send timed out");
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

int ws_client_recv(struct nbsoar_ws *ws, int timeout_ms, void **data, size_t *len, int *binary, char *err,
                   size_t errlen)
{
    *data = NULL;
    *len = 0;
    int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    if (!ws->head && ws->state == WS_OPEN)
        pump(ws, timeout_ms == 0 ? mono_ms() : deadline);
    while (!ws->head && ws->state == WS_OPEN && (deadline < 0 || mono_ms() < deadline))
        pump(ws, deadline);
    struct ws_msg *m = ws->head;
    if (!m) {
        if (ws->state == WS_OPEN)
            return 0;
        snprintf(err, errlen, "%s", ws->error[0] ? ws->error : "WebSocket closed");
        return -1;
    }
    ws->head = m->next;
    if (!ws->head)
        ws->tail = NULL;
    *data = m->data;
    *len = m->len;
    if (binary)
        *binary = m->binary;
    free(m);
    return 1;
}

void ws_client_close(struct nbsoar_ws *ws)
{
    if (!ws)
        return;
    if (ws->state == WS_OPEN && ws->wsi) {
        ws->close_requested = 1;
        lws_callback_on_writable(ws->wsi);
        int64_t deadline = mono_ms() + CLOSE_WAIT_MS;
        while (ws->state == WS_OPEN && mono_ms() < deadline)
            pump(ws, deadline);
    }
    ws_free(ws);
}
