/* webhook HTTP/1.1 server side: listening socket, a strict request parser
 * (request line, headers, Content-Length or chunked body, limits, a
 * deadline per request) and response writing.  One request per connection
 * (Connection: close): webhook senders open a connection per delivery. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "webhook.h"

enum { READ_EOF = 0, READ_ERR = -1, READ_STOP = -2, READ_TIMEOUT = -3 };

struct conn {
    struct webhook *wh;
    int fd;
    char *buf;      /* OWNED: bytes read and not consumed */
    size_t len, cap, pos;
    long long deadline_ms;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wh_listen(struct webhook *wh, char *err, size_t errlen)
{
    char host[256], *port;
    snprintf(host, sizeof(host), "%s", wh->listen);
    char *h = host;
    if (h[0] == '[') {
        char *close = strchr(h, ']');
        if (close == NULL || close[1] != ':') {
            snprintf(err, errlen, "listen = '%s': expected [IPv6]:PORT", wh->listen);
            return NBSOAR_ERROR;
        }
        *close = '\0';
        h++;
        port = close + 2;
    } else {
        port = strrchr(h, ':');
        if (port == NULL) {
            snprintf(err, errlen, "listen = '%s': expected HOST:PORT", wh->listen);
            return NBSOAR_ERROR;
        }
        *port++ = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(h[0] != '\0' ? h : NULL, port, &hints, &res);
    if (gai != 0) {
        snprintf(err, errlen, "listen = '%s': %s", wh->listen, gai_strerror(gai));
        return NBSOAR_ERROR;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "listen = '%s': %s", wh->listen, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return NBSOAR_ERROR;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char a[NI_MAXHOST], s[NI_MAXSERV];
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
        getnameinfo((struct sockaddr *)&ss, sl, a, sizeof(a), s, sizeof(s),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        snprintf(wh->bound, sizeof(wh->bound), ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", a, s);
    wh->listen_fd = fd;
    return NBSOAR_OK;
}

/* Reads what is available into c->buf, waiting until the deadline. */
static int read_more(struct conn *c)
{
    if (c->len + 4096 + 1 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8192;
        char *grown = realloc(c->buf, cap);
        if (grown == NULL)
            return READ_ERR;
        c->buf = grown;
        c->cap = cap;
    }
    for (;;) {
        long long left = c->deadline_ms - now_ms();
        if (left <= 0)
            return READ_TIMEOUT;
        struct pollfd pfd[2] = {{.fd = c->fd, .events = POLLIN},
                                {.fd = c->wh->stop_pipe[0], .events = POLLIN}};
        int n = poll(pfd, 2, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR)
            return READ_ERR;
        if (n <= 0)
            continue;
        if (pfd[1].revents != 0)
            return READ_STOP;
        ssize_t got = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (got <= 0)
            return got == 0 ? READ_EOF : READ_ERR;
        c->len += (size_t)got;
        c->buf[c->len] = '\0';
        return (int)got;
    }
}

/* Writes until done or until `until` (monotonic ms). */
static void write_all(struct conn *c, const char *data, size_t len, long long until)
{
    while (len > 0) {
        long long left = until - now_ms();
        struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return;
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* Logs and counts first, so whoever reads the answer sees both done. */
static void send_response(struct conn *c, const struct wh_request *req, struct wh_response *resp)
{
    const struct nbsoar_host *h = c->wh->host;
    h->counter_add(h, resp->status < 400 ? "requests_accepted_total" : "requests_refused_total", 1);
    const char *why = resp->status >= 400 ? json_string_value(json_object_get(resp->body, "error")) : NULL;
    h->log(h, resp->status < 400 ? NBSOAR_LOG_INFO : NBSOAR_LOG_WARN, "%s %s %d from %s%s%s",
           req->method[0] ? req->method : "-", req->path[0] ? req->path : "-", resp->status,
           req->remote, why != NULL ? ": " : "", why != NULL ? why : "");
    char *body = resp->body != NULL ? json_dumps(resp->body, JSON_COMPACT) : NULL;
    const char *text = body != NULL ? body : "{}";
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nConnection: close\r\n%s%s\r\n",
                     resp->status, reason_phrase(resp->status), strlen(text) + 1,
                     resp->extra_header, resp->extra_header[0] ? "\r\n" : "");
    /* The answer gets its own time: emitting may have used the request's. */
    long long until = now_ms() + 5000;
    write_all(c, head, (size_t)n, until);
    write_all(c, text, strlen(text), until);
    write_all(c, "\n", 1, until);
    free(body);
    json_decref(resp->body);
    resp->body = NULL;
}

static int is_tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

const char *wh_header(const struct wh_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->names[i], name) == 0)
            return req->values[i];
    return NULL;
}

static int count_header(const struct wh_request *req, const char *name)
{
    int n = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        n += strcasecmp(req->names[i], name) == 0;
    return n;
}

/* Request line and headers of req->head (split in place). */
static int parse_head(struct wh_request *req, struct wh_response *resp)
{
    char *line = req->head, *eol = strstr(line, "\r\n");
    *eol = '\0';
    char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' ') != NULL || sp1 == line ||
        (size_t)(sp1 - line) >= sizeof(req->method)) {
        wh_error(resp, 400, "malformed request line");
        return -1;
    }
    for (char *m = line; m < sp1; m++)
        if (*m < 'A' || *m > 'Z') {
            wh_error(resp, 400, "malformed request line");
            return -1;
        }
    snprintf(req->method, sizeof(req->method), "%.*s", (int)(sp1 - line), line);
    char *target = sp1 + 1;
    *sp2 = '\0';
    if (strcmp(sp2 + 1, "HTTP/1.1") != 0 && strcmp(sp2 + 1, "HTTP/1.0") != 0) {
        wh_error(resp, 505, "only HTTP/1.0 and HTTP/1.1 are served");
        return -1;
    }
    for (char *t = target; *t; t++)
        if ((unsigned char)*t <= 0x20 || *t == 0x7f) {
            wh_error(resp, 400, "malformed request target");
            return -1;
        }
    size_t plen = strcspn(target, "?#");
    if (target[0] != '/' || plen >= sizeof(req->path)) {
        wh_error(resp, target[0] != '/' ? 400 : 414, "request target must be a path under 1 KiB");
        return -1;
    }
    snprintf(req->path, sizeof(req->path), "%.*s", (int)plen, target);
    for (line = eol + 2; *line != '\0'; line = eol + 2) {
        eol = strstr(line, "\r\n");
        *eol = '\0';
        if (eol == line)
            break;
        char *colon = strchr(line, ':');
        int name_ok = colon != NULL && colon != line;
        for (char *n = line; name_ok && n < colon; n++)
            name_ok = is_tchar(*n);
        if (!name_ok) {
            wh_error(resp, 400, "malformed header line");
            return -1;
        }
        if (req->n_headers == WH_MAX_HEADERS) {
            wh_error(resp, 431, "more than %d headers", WH_MAX_HEADERS);
            return -1;
        }
        for (char *v = colon + 1; *v; v++)
            if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f) {
                wh_error(resp, 400, "control character in a header value");
                return -1;
            }
        *colon = '\0';
        char *value = colon + 1 + strspn(colon + 1, " \t");
        for (char *end = value + strlen(value); end > value && (end[-1] == ' ' || end[-1] == '\t');)
            *--end = '\0';
        req->names[req->n_headers] = line;
        req->values[req->n_headers++] = value;
    }
    if (strcmp(sp2 + 1, "HTTP/1.1") == 0 && count_header(req, "Host") != 1) {
        wh_error(resp, 400, "an HTTP/1.1 request needs exactly one Host header");
        return -1;
    }
    return 0;
}

/* Content-Length as a number, -1 for chunked, -2 (resp filled) when invalid. */
static long long body_length(const struct wh_request *req, struct wh_response *resp)
{
    const char *te = wh_header(req, "Transfer-Encoding");
    const char *cl = wh_header(req, "Content-Length");
    if (te != NULL) {
        if (strcasecmp(te, "chunked") != 0 || count_header(req, "Transfer-Encoding") != 1) {
            wh_error(resp, 501, "only Transfer-Encoding: chunked is supported");
            return -2;
        }
        if (cl != NULL) {
            wh_error(resp, 400, "both Content-Length and Transfer-Encoding");
            return -2;
        }
        return -1;
    }
    if (cl == NULL)
        return 0;
    if (count_header(req, "Content-Length") != 1 || cl[0] == '\0' || strspn(cl, "0123456789") != strlen(cl) ||
        strlen(cl) > 18) {
        wh_error(resp, 400, "invalid Content-Length");
        return -2;
    }
    return strtoll(cl, NULL, 10);
}

/* Makes sure c->buf holds `need` bytes from c->pos.  READ_* codes or 1.
 * Consumed bytes are dropped first, so chunk framing cannot grow the
 * buffer past one chunk. */
static int want(struct conn *c, size_t need)
{
    if (c->len - c->pos < need && c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
        c->buf[c->len] = '\0';
    }
    while (c->len - c->pos < need) {
        int r = read_more(c);
        if (r <= 0)
            return r;
    }
    return 1;
}

/* The body after a chunked encoding; 413 past max without reading further. */
static int read_chunked(struct conn *c, struct wh_request *req, struct wh_response *resp)
{
    size_t max = c->wh->max_body_bytes, total = 0;
    char *body = malloc(1);
    for (;;) {
        char *eol;
        while ((eol = memmem(c->buf + c->pos, c->len - c->pos, "\r\n", 2)) == NULL) {
            if (c->len - c->pos > 1024 || want(c, c->len - c->pos + 1) <= 0)
                goto broken;
        }
        char *end = NULL;
        if (!isxdigit((unsigned char)c->buf[c->pos]))
            goto broken;
        errno = 0;
        unsigned long long size = strtoull(c->buf + c->pos, &end, 16);
        if (end == c->buf + c->pos || errno != 0 || (end != eol && *end != ';' && *end != ' '))
            goto broken;
        c->pos = (size_t)(eol + 2 - c->buf);
        if (size == 0)
            break;
        if (size > max - total) {
            free(body);
            wh_error(resp, 413, "body is over max_body_bytes (%zu)", max);
            return -1;
        }
        if (want(c, (size_t)size + 2) <= 0 || memcmp(c->buf + c->pos + size, "\r\n", 2) != 0)
            goto broken;
        char *grown = realloc(body, total + size + 1);
        if (grown == NULL)
            goto broken;
        body = grown;
        memcpy(body + total, c->buf + c->pos, size);
        total += size;
        c->pos += size + 2;
    }
    /* Trailers are read and ignored, up to the empty line. */
    for (;;) {
        char *eol;
        while ((eol = memmem(c->buf + c->pos, c->len - c->pos, "\r\n", 2)) == NULL)
            if (c->len - c->pos > 4096 || want(c, c->len - c->pos + 1) <= 0)
                goto broken;
        int empty = eol == c->buf + c->pos;
        c->pos = (size_t)(eol + 2 - c->buf);
        if (empty)
            break;
    }
    body[total] = '\0';
    req->body = body;
    req->body_len = total;
    return 0;
broken:
    free(body);
    wh_error(resp, 400, "malformed or incomplete chunked body");
    return -1;
}

static int read_body(struct conn *c, struct wh_request *req, long long length, struct wh_response *resp)
{
    if (length == -1)
        return read_chunked(c, req, resp);
    int r = want(c, (size_t)length);
    if (r == READ_STOP) {
        wh_error(resp, 503, "shutting down");
        snprintf(resp->extra_header, sizeof(resp->extra_header), "Retry-After: 5");
        return -1;
    }
    if (r <= 0) {
        wh_error(resp, r == READ_TIMEOUT ? 408 : 400, "body shorter than its Content-Length");
        return -1;
    }
    req->body = malloc((size_t)length + 1);
    if (req->body == NULL) {
        wh_error(resp, 500, "out of memory");
        return -1;
    }
    memcpy(req->body, c->buf + c->pos, (size_t)length);
    req->body[length] = '\0';
    req->body_len = (size_t)length;
    return 0;
}

/* After the answer: stop sending, then read what the client still sends for
 * a moment, so closing does not reset the connection before it reads us. */
static void lingering_close(struct conn *c)
{
    shutdown(c->fd, SHUT_WR);
    char sink[4096];
    long long until = now_ms() + 300;
    size_t drained = 0;
    for (;;) {
        long long left = until - now_ms();
        struct pollfd pfd[2] = {{.fd = c->fd, .events = POLLIN},
                                {.fd = c->wh->stop_pipe[0], .events = POLLIN}};
        if (left <= 0 || drained > (1u << 20) || poll(pfd, 2, (int)left) <= 0 || pfd[1].revents != 0)
            break;
        ssize_t n = read(c->fd, sink, sizeof(sink));
        if (n <= 0 && !(n < 0 && errno == EAGAIN))
            break;
        drained += n > 0 ? (size_t)n : 0;
    }
    close(c->fd);
}

void wh_serve_connection(struct webhook *wh, int fd, const char *remote)
{
    struct conn c = {.wh = wh, .fd = fd, .deadline_ms = now_ms() + wh->timeout_ms};
    struct wh_request req = {0};
    struct wh_response resp = {0};
    snprintf(req.remote, sizeof(req.remote), "%s", remote);
    char *end = NULL;
    while (c.len < 4 || (end = memmem(c.buf, c.len, "\r\n\r\n", 4)) == NULL) {
        if (c.len > WH_MAX_HEAD_BYTES) {
            wh_error(&resp, 431, "request head over %d bytes", WH_MAX_HEAD_BYTES);
            goto answer;
        }
        int r = read_more(&c);
        if (r == READ_TIMEOUT && c.len > 0) {
            wh_error(&resp, 408, "request not received within the timeout");
            goto answer;
        }
        if (r <= 0)
            goto done;
    }
    if (memchr(c.buf, '\0', (size_t)(end - c.buf)) != NULL) {
        wh_error(&resp, 400, "NUL byte in the request head");
        goto answer;
    }
    size_t head_len = (size_t)(end - c.buf) + 4;
    req.head = strndup(c.buf, head_len);
    c.pos = head_len;
    if (req.head == NULL) {
        wh_error(&resp, 500, "out of memory");
        goto answer;
    }
    if (parse_head(&req, &resp) != 0)
        goto answer;
    long long length = body_length(&req, &resp);
    if (length == -2)
        goto answer;
    const struct wh_path *p = wh_check_head(wh, &req, length, &resp);
    if (p == NULL)
        goto answer;
    const char *expect = wh_header(&req, "Expect");
    if (expect != NULL) {
        if (strcasecmp(expect, "100-continue") != 0) {
            wh_error(&resp, 417, "only Expect: 100-continue is supported");
            goto answer;
        }
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        write_all(&c, cont, sizeof(cont) - 1, c.deadline_ms);
    }
    if (read_body(&c, &req, length, &resp) != 0)
        goto answer;
    wh_handle_body(wh, p, &req, &resp);
answer:
    send_response(&c, &req, &resp);
done:
    lingering_close(&c);
    free(c.buf);
    free(req.head);
    free(req.body);
}
