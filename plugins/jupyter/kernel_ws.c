/* Remote kernel on a Jupyter Server: REST for its life cycle, the kernel
 * WebSocket for messages (see kernel_ws.h). */
#include "kernel_ws.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel_msg.h"
#include "kernel_ws_frame.h"

#define V1_PROTOCOL "v1.kernel.websocket.jupyter.org"
#define DEFAULT_START_MS 60000
#define ALIVE_EVERY_MS 5000
#define MAX_RECONNECTS 3

struct rk {
    const struct nbsoar_host *h;
    struct nbsoar_http_endpoint ep;   /* auth and ca_file strings OWNED below */
    char *auth, *ca_file;
    char *kernel_url;                 /* {base}api/kernels/{id} */
    char *ws_url;                     /* ws(s)://.../channels?session_id=... */
    char *id;
    struct kernel_session session;
    struct nbsoar_ws *ws;
    enum kernel_ws_protocol pref;
    int v1, dead, reconnects;
    long start_timeout_ms;
    char protocol[64];
    int64_t alive_checked_ms;
    int alive_last;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct rk *rk_of(struct kernel *k)
{
    return k->impl;
}

/* One REST call; returns the HTTP status (0 when none came) with err set
 * for anything the caller did not expect. */
static long rest(struct rk *r, const struct nbsoar_http_endpoint *ep, const char *method, const char *url,
                 const json_t *body, json_t **json_out, char *err, size_t errlen)
{
    struct nbsoar_http_request req = {.method = method, .url = url, .json = body};
    struct nbsoar_http_response resp = {0};
    char herr[768] = "";
    int rc = r->h->http(r->h, ep, &req, &resp, herr, sizeof herr);
    long status = rc == NBSOAR_OK || resp.status ? resp.status : 0;
    if (herr[0])
        snprintf(err, errlen, "%s", herr);
    if (json_out) {
        *json_out = resp.json;
        resp.json = NULL;
    }
    r->h->http_response_free(&resp);
    return status;
}

static void explain_status(long status, const char *what, char *err, size_t errlen)
{
    char detail[600];
    snprintf(detail, sizeof detail, "%s", err);
    if (status == 401 || status == 403)
        snprintf(err, errlen, "%s: HTTP %ld: the server refused the token (%s)", what, status, detail);
    else if (detail[0] == '\0')
        snprintf(err, errlen, "%s: HTTP %ld", what, status);
    else
        snprintf(err, errlen, "%s: %s", what, detail);
}

static const char *pick_by_language(struct rk *r, const char *base, const char *language, json_t **specs_out,
                                    char *err, size_t errlen)
{
    char url[2048];
    snprintf(url, sizeof url, "%sapi/kernelspecs", base);
    json_t *specs = NULL;
    long st = rest(r, &r->ep, "GET", url, NULL, &specs, err, errlen);
    *specs_out = specs;
    if (st != 200 || !json_is_object(specs)) {
        explain_status(st, "GET api/kernelspecs", err, errlen);
        return NULL;
    }
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(specs, "kernelspecs"), name, v) {
        const char *lang = json_string_value(json_object_get(json_object_get(v, "spec"), "language"));
        if (language && lang && strcasecmp(lang, language) == 0)
            return name;
    }
    return json_string_value(json_object_get(specs, "default"));
}

static int open_socket(struct rk *r, char *err, size_t errlen)
{
    const char *offer_v1[] = {V1_PROTOCOL, NULL};
    const char *const *offer = r->pref == KERNEL_WS_LEGACY ? NULL : offer_v1;
    char chosen[64] = "";
    /* the server answers the upgrade only once the kernel answered its
     * kernel_info_request: the handshake takes as long as a kernel start */
    struct nbsoar_http_endpoint ep = r->ep;
    if (ep.connect_timeout_ms < r->start_timeout_ms)
        ep.connect_timeout_ms = r->start_timeout_ms;
    int rc = r->h->ws_connect(r->h, &ep, r->ws_url, offer, &r->ws, chosen, sizeof chosen, err, errlen);
    if (rc != NBSOAR_OK)
        return -1;
    int v1 = strcmp(chosen, V1_PROTOCOL) == 0;
    if (r->pref == KERNEL_WS_V1 && !v1) {
        snprintf(err, errlen, "the server did not choose the %s WebSocket protocol", V1_PROTOCOL);
        r->h->ws_close(r->h, r->ws);
        r->ws = NULL;
        return -1;
    }
    r->v1 = v1;
    snprintf(r->protocol, sizeof r->protocol, "%s", v1 ? V1_PROTOCOL : "");
    return 0;
}

static int ws_send_msg(struct kernel *k, enum kernel_channel ch, const char *msg_type, const json_t *content,
                       char msg_id[37], char *err, size_t errlen)
{
    struct rk *r = rk_of(k);
    if (!r->ws) {
        snprintf(err, errlen, "the WebSocket to the kernel is closed");
        return -1;
    }
    int rc;
    if (r->v1) {
        struct kernel_wire w;
        if (kernel_wire_build(&r->session, msg_type, content, NULL, &w, err, errlen) != 0)
            return -1;
        size_t len;
        unsigned char *frame = kws_frame_v1(ch, &w, &len);
        memcpy(msg_id, w.msg_id, 37);
        kernel_wire_clear(&w);
        if (!frame) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        rc = r->h->ws_send(r->h, r->ws, frame, len, 1, err, errlen);
        free(frame);
    } else {
        json_t *msg = kernel_msg_new_json(&r->session, ch, msg_type, content, NULL, msg_id);
        char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
        json_decref(msg);
        if (!text) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        rc = r->h->ws_send(r->h, r->ws, text, strlen(text), 0, err, errlen);
        free(text);
    }
    return rc == NBSOAR_OK ? 0 : -1;
}

/* After a drop: one new connection with the same session, so the server
 * replays what it buffered meanwhile. */
static int reconnect(struct rk *r, const char *why, char *err, size_t errlen)
{
    if (r->ws)
        r->h->ws_close(r->h, r->ws);
    r->ws = NULL;
    if (r->reconnects >= MAX_RECONNECTS) {
        snprintf(err, errlen, "lost the kernel WebSocket (%s) and gave up after %d reconnects", why, MAX_RECONNECTS);
        return -1;
    }
    r->reconnects++;
    r->h->log(r->h, NBSOAR_LOG_WARN, "kernel %s: WebSocket lost (%s); reconnecting", r->id, why);
    char cerr[512] = "";
    if (open_socket(r, cerr, sizeof cerr) != 0) {
        snprintf(err, errlen, "lost the kernel WebSocket (%s) and could not reconnect: %s", why, cerr);
        return -1;
    }
    return 0;
}

static int dead_status(const struct kernel_msg *m)
{
    if (m->channel != KERNEL_IOPUB || strcmp(m->msg_type, "status") != 0)
        return 0;
    const char *st = json_string_value(json_object_get(m->content, "execution_state"));
    return st && (strcmp(st, "restarting") == 0 || strcmp(st, "dead") == 0);
}

static int ws_recv_msg(struct kernel *k, int timeout_ms, struct kernel_msg *out, char *err, size_t errlen)
{
    struct rk *r = rk_of(k);
    memset(out, 0, sizeof *out);
    if (r->dead)
        return KERNEL_RECV_DEAD;
    int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    for (;;) {
        int left = -1;
        if (deadline >= 0) {
            int64_t l = deadline - mono_ms();
            left = l > 0 ? (int)l : 0;
        }
        void *data = NULL;
        size_t len = 0;
        int binary = 0;
        char werr[512] = "";
        int rc = r->ws ? r->h->ws_recv(r->h, r->ws, left, &data, &len, &binary, werr, sizeof werr) : -1;
        if (rc == 0)
            return KERNEL_RECV_TIMEOUT;
        if (rc < 0) {
            if (reconnect(r, werr[0] ? werr : "closed", err, errlen) != 0)
                return KERNEL_RECV_ERROR;
            continue;
        }
        char derr[256];
        int bad = kws_decode(data, len, binary, r->v1, out, derr, sizeof derr);
        free(data);
        if (bad) {
            k->rejected++;
            continue;
        }
        if (dead_status(out)) {
            r->dead = 1;
            kernel_msg_clear(out);
            return KERNEL_RECV_DEAD;
        }
        return KERNEL_RECV_MSG;
    }
}

static int ws_interrupt(struct kernel *k, char *err, size_t errlen)
{
    struct rk *r = rk_of(k);
    char url[2200];
    snprintf(url, sizeof url, "%s/interrupt", r->kernel_url);
    err[0] = '\0';
    long st = rest(r, &r->ep, "POST", url, NULL, NULL, err, errlen);
    if (st == 204 || st == 200)
        return 0;
    explain_status(st, "interrupting the remote kernel", err, errlen);
    return -1;
}

static int ws_alive(struct kernel *k)
{
    struct rk *r = rk_of(k);
    if (r->dead)
        return 0;
    int64_t now = mono_ms();
    if (r->alive_checked_ms && now - r->alive_checked_ms < ALIVE_EVERY_MS)
        return r->alive_last;
    /* a quick question: no retries, a short limit */
    struct nbsoar_http_endpoint quick = r->ep;
    quick.max_retries = -1;
    quick.timeout_ms = 5000;
    char err[512] = "";
    long st = rest(r, &quick, "GET", r->kernel_url, NULL, NULL, err, sizeof err);
    r->alive_checked_ms = now;
    r->alive_last = st != 404 && st != 0;
    if (st == 404)
        r->dead = 1;
    return r->alive_last;
}

static void rk_free(struct rk *r)
{
    if (r->auth) {
        explicit_bzero(r->auth, strlen(r->auth));
        free(r->auth);
    }
    free(r->ca_file);
    free(r->kernel_url);
    free(r->ws_url);
    free(r->id);
    free(r);
}

static void ws_shutdown(struct kernel *k)
{
    if (!k)
        return;
    struct rk *r = rk_of(k);
    if (r) {
        if (r->ws)
            r->h->ws_close(r->h, r->ws);
        if (r->kernel_url) {
            struct nbsoar_http_endpoint quick = r->ep;
            quick.max_retries = 1;
            quick.timeout_ms = 10000;
            char err[768] = "";
            long st = rest(r, &quick, "DELETE", r->kernel_url, NULL, NULL, err, sizeof err);
            if (st != 204 && st != 200 && st != 404)
                r->h->log(r->h, NBSOAR_LOG_WARN, "could not delete remote kernel %s: %s", r->id,
                          err[0] ? err : "no answer");
        }
        rk_free(r);
    }
    free(k->name);
    free(k->language);
    json_decref(k->info);
    free(k);
}

static const struct kernel_ops ws_ops = {
    .send = ws_send_msg,
    .recv = ws_recv_msg,
    .interrupt = ws_interrupt,
    .alive = ws_alive,
    .shutdown = ws_shutdown,
};

const char *kernel_remote_protocol(const struct kernel *k)
{
    return k->ops == &ws_ops ? ((const struct rk *)k->impl)->protocol : "";
}

/* POST api/kernels; fills r->id, kernel_url, ws_url and k->name. */
static int create_kernel(struct kernel *k, const struct kernel_remote_opts *o, char *err, size_t errlen)
{
    struct rk *r = rk_of(k);
    json_t *specs = NULL;
    const char *name = o->kernel_name;
    if (!name && !(name = pick_by_language(r, o->base_url, o->language, &specs, err, errlen))) {
        json_decref(specs);
        if (!err[0])
            snprintf(err, errlen, "the server names no kernel for language %s", o->language ? o->language : "?");
        return -1;
    }
    char url[2048];
    snprintf(url, sizeof url, "%sapi/kernels", o->base_url);
    json_t *body = json_pack("{s:s}", "name", name);
    if (o->path)
        json_object_set_new(body, "path", json_string(o->path));
    k->name = strdup(name);
    json_decref(specs);
    json_t *model = NULL;
    err[0] = '\0';
    long st = rest(r, &r->ep, "POST", url, body, &model, err, errlen);
    json_decref(body);
    const char *id = json_string_value(json_object_get(model, "id"));
    if ((st != 201 && st != 200) || !id || strspn(id, "0123456789abcdefABCDEF-") != strlen(id)) {
        json_decref(model);
        char what[300];
        snprintf(what, sizeof what, "starting kernel %.60s on the server (POST %.200s)", k->name ? k->name : "?", url);
        explain_status(st, what, err, errlen);
        return -1;
    }
    r->id = strdup(id);
    json_decref(model);
    const char *scheme_end = strstr(o->base_url, "://");
    int tls = strncmp(o->base_url, "https", 5) == 0;
    if (!r->id || !scheme_end || asprintf(&r->kernel_url, "%sapi/kernels/%s", o->base_url, r->id) < 0 ||
        asprintf(&r->ws_url, "%s%sapi/kernels/%s/channels?session_id=%s", tls ? "wss" : "ws", scheme_end,
                 r->id, r->session.id) < 0) {
        r->kernel_url = r->ws_url = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int wait_kernel_info(struct kernel *k, long timeout_ms, char *err, size_t errlen)
{
    char id[37];
    if (ws_send_msg(k, KERNEL_SHELL, "kernel_info_request", NULL, id, err, errlen) != 0)
        return -1;
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            snprintf(err, errlen, "remote kernel %s did not answer kernel_info_request within %ld ms", k->name,
                     timeout_ms);
            return -1;
        }
        struct kernel_msg m;
        int rc = ws_recv_msg(k, (int)left, &m, err, errlen);
        if (rc == KERNEL_RECV_DEAD) {
            snprintf(err, errlen, "remote kernel %s died while starting", k->name);
            return -1;
        }
        if (rc == KERNEL_RECV_ERROR)
            return -1;
        if (rc == KERNEL_RECV_MSG && m.channel == KERNEL_SHELL && strcmp(m.parent_id, id) == 0) {
            k->info = json_incref(m.content);
            const char *lang =
                json_string_value(json_object_get(json_object_get(m.content, "language_info"), "name"));
            k->language = strdup(lang ? lang : "");
            kernel_msg_clear(&m);
            return 0;
        }
        if (rc == KERNEL_RECV_MSG)
            kernel_msg_clear(&m);
    }
}

struct kernel *kernel_remote_start(const struct kernel_remote_opts *o, char *err, size_t errlen)
{
    struct kernel *k = calloc(1, sizeof *k);
    struct rk *r = calloc(1, sizeof *r);
    if (!k || !r) {
        free(k);
        free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->ops = &ws_ops;
    k->impl = r;
    r->h = o->host;
    r->pref = o->protocol;
    if (o->ep)
        r->ep = *o->ep;
    r->ep.headers = NULL;
    r->ep.proxy = NULL;
    r->auth = o->ep && o->ep->auth_header ? strdup(o->ep->auth_header) : NULL;
    r->ca_file = o->ep && o->ep->ca_file ? strdup(o->ep->ca_file) : NULL;
    r->ep.auth_header = r->auth;
    r->ep.ca_file = r->ca_file;
    kernel_session_init(&r->session);
    long timeout = o->start_timeout_ms > 0 ? o->start_timeout_ms : DEFAULT_START_MS;
    r->start_timeout_ms = timeout;
    err[0] = '\0';
    if (!o->base_url || create_kernel(k, o, err, errlen) != 0 || open_socket(r, err, errlen) != 0 ||
        wait_kernel_info(k, timeout, err, errlen) != 0) {
        if (!err[0])
            snprintf(err, errlen, "no server URL");
        ws_shutdown(k);
        return NULL;
    }
    return k;
}
