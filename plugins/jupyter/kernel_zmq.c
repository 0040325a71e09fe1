/* Local kernel over ZeroMQ: sockets, signed send, verified receive from
 * all channels, death detection, interrupt and shutdown. */
#include "kernel_zmq.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

static const char delimiter[] = "<IDS|MSG>";

static void *open_socket(struct zk *z, int type, const char *identity, int port)
{
    char ep[64];
    int zero = 0, ivl = 10;
    void *s = zmq_socket(z->ctx, type);
    if (!s)
        return NULL;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    /* Connections are made before the kernel binds: retry quickly so the
     * kernel is reached as soon as it listens (the default is 100 ms). */
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    if (identity)
        zmq_setsockopt(s, ZMQ_ROUTING_ID, identity, strlen(identity));
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    if (zmq_connect(s, ep) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

int zk_connect(struct zk *z, char *err, size_t errlen)
{
    static const int kport[4] = {KPORT_SHELL, KPORT_IOPUB, KPORT_STDIN, KPORT_CONTROL};
    int one = 1;
    for (int ch = 0; ch < 4; ch++) {
        int type = ch == KERNEL_IOPUB ? ZMQ_SUB : ZMQ_DEALER;
        /* shell and stdin share the session as identity: the kernel routes
         * input_request to the identity that sent the execute_request. */
        z->sock[ch] = open_socket(z, type, type == ZMQ_DEALER ? z->session.id : NULL, z->proc.port[kport[ch]]);
        if (!z->sock[ch])
            goto fail;
    }
    if (zmq_setsockopt(z->sock[KERNEL_IOPUB], ZMQ_SUBSCRIBE, "", 0) != 0)
        goto fail;
    /* PUB drops what does not fit the subscriber's queue: with no limit
     * here our I/O thread always drains the kernel, so a busy engine
     * delays output but never loses it (an idle status included). */
    int unlimited = 0;
    zmq_setsockopt(z->sock[KERNEL_IOPUB], ZMQ_RCVHWM, &unlimited, sizeof unlimited);
    z->hb = open_socket(z, ZMQ_REQ, NULL, z->proc.port[KPORT_HB]);
    if (!z->hb)
        goto fail;
    /* A ping may go unanswered: the next one must still be sendable and an
     * old pong must not be taken for the new one. */
    zmq_setsockopt(z->hb, ZMQ_REQ_RELAXED, &one, sizeof one);
    zmq_setsockopt(z->hb, ZMQ_REQ_CORRELATE, &one, sizeof one);
    return 0;
fail:
    snprintf(err, errlen, "cannot open ZeroMQ sockets: %s", zmq_strerror(zmq_errno()));
    zk_close_sockets(z);
    return -1;
}

void zk_close_sockets(struct zk *z)
{
    for (int ch = 0; ch < 4; ch++) {
        if (z->sock[ch])
            zmq_close(z->sock[ch]);
        z->sock[ch] = NULL;
    }
    if (z->hb)
        zmq_close(z->hb);
    z->hb = NULL;
}

int zk_send(struct kernel *k, enum kernel_channel ch, const char *msg_type, const json_t *content,
            char msg_id[37], char *err, size_t errlen)
{
    struct zk *z = k->impl;
    struct kernel_wire w;
    char sig[65];
    if (ch == KERNEL_IOPUB) {
        snprintf(err, errlen, "cannot send %s on iopub", msg_type);
        return -1;
    }
    if (kernel_wire_build(&z->session, msg_type, content, NULL, &w, err, errlen) != 0)
        return -1;
    const void *parts[4] = {w.part[0], w.part[1], w.part[2], w.part[3]};
    int rc = kernel_signer_sign(z->signer, parts, w.len, sig);
    void *s = z->sock[ch];
    /* DONTWAIT: a queue that is full (kernel gone for long) is an error,
     * not a hang. */
    if (rc == 0 && (zmq_send(s, delimiter, 9, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                    zmq_send(s, sig, strlen(sig), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0))
        rc = -1;
    for (int i = 0; i < 4 && rc == 0; i++)
        if (zmq_send(s, w.part[i], w.len[i], (i < 3 ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
            rc = -1;
    if (rc != 0)
        snprintf(err, errlen, "cannot send %s on %s: %s", msg_type, kernel_channel_name(ch),
                 zmq_strerror(zmq_errno()));
    else
        memcpy(msg_id, w.msg_id, 37);
    kernel_wire_clear(&w);
    return rc;
}

/* Says why a message was dropped: channel and count only, never the key
 * or the message's bytes (they may hold secrets from the notebook). */
static void reject(struct zk *z, enum kernel_channel ch, const char *why)
{
    char line[256];
    z->base.rejected++;
    if (!z->log)
        return;
    snprintf(line, sizeof line, "rejected a %s message %s (%lu rejected so far)", kernel_channel_name(ch), why,
             z->base.rejected);
    z->log(z->log_ud, line);
}

/* Reads one multipart message from s and turns it into out.  Returns 1 for
 * a message, 0 when it was rejected (counted and logged), -1 on a socket
 * error. */
static int read_one(struct zk *z, enum kernel_channel ch, struct kernel_msg *out)
{
    zmq_msg_t f[ZK_MAX_FRAMES];
    int kept = 0, more = 1, rc = 0;
    while (more) {
        /* Frames past ZK_MAX_FRAMES are binary buffers: read and dropped. */
        zmq_msg_t extra;
        zmq_msg_t *m = kept < ZK_MAX_FRAMES ? &f[kept] : &extra;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, z->sock[ch], ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            for (int i = 0; i < kept; i++)
                zmq_msg_close(&f[i]);
            return -1;
        }
        more = zmq_msg_more(m);
        if (m == &extra)
            zmq_msg_close(m);
        else
            kept++;
    }
    int d = 0;
    while (d < kept && !(zmq_msg_size(&f[d]) == 9 && memcmp(zmq_msg_data(&f[d]), delimiter, 9) == 0))
        d++;
    if (d + 6 > kept) {
        reject(z, ch, "that is malformed (no <IDS|MSG> and four parts)");
    } else {
        const void *parts[4];
        size_t lens[4];
        for (int i = 0; i < 4; i++) {
            parts[i] = zmq_msg_data(&f[d + 2 + i]);
            lens[i] = zmq_msg_size(&f[d + 2 + i]);
        }
        char perr[200];
        if (!kernel_signer_verify(z->signer, parts, lens, zmq_msg_data(&f[d + 1]), zmq_msg_size(&f[d + 1])))
            reject(z, ch, "with a bad signature");
        else if (kernel_msg_parse(ch, parts, lens, out, perr, sizeof perr) != 0)
            reject(z, ch, "that is not valid JSON");
        else
            rc = 1;
    }
    for (int i = 0; i < kept; i++)
        zmq_msg_close(&f[i]);
    return rc;
}

/* Leftover replies to the kernel_info_requests sent while waiting for the
 * kernel are consumed here, not handed to the engine. */
static int is_startup_echo(const struct zk *z, const struct kernel_msg *m)
{
    if (z->n_startup == 0 || !m->parent_id[0])
        return 0;
    for (size_t i = 0; i < z->n_startup; i++)
        if (strcmp(z->startup_ids[i], m->parent_id) == 0)
            return 1;
    return 0;
}

static void hb_ping(struct zk *z, long long now)
{
    if (zmq_send(z->hb, "ping", 4, ZMQ_DONTWAIT) == 4) {
        z->hb_waiting = 1;
        z->hb_sent_ms = now;
    }
}

static void hb_drain(struct zk *z)
{
    char buf[64];
    while (zmq_recv(z->hb, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
        z->hb_waiting = 0;
        z->hb_missed = 0;
    }
}

void zk_check_health(struct zk *z)
{
    long long now = kernel_now_ms();
    char how[96];
    z->next_check_ms = now + ZK_CHECK_MS;
    if (z->dead)
        return;
    if (!kernel_proc_alive(&z->proc)) {
        kernel_proc_describe(&z->proc, how, sizeof how);
        snprintf(z->dead_reason, sizeof z->dead_reason, "kernel %s died: the process %s", z->base.name, how);
        z->dead = 1;
        return;
    }
    if (!z->hb_on)
        return;
    hb_drain(z);
    if (z->hb_waiting && now - z->hb_sent_ms >= ZK_HB_INTERVAL_MS) {
        if (++z->hb_missed >= ZK_HB_MAX_MISSED) {
            snprintf(z->dead_reason, sizeof z->dead_reason,
                     "kernel %s died: %d heartbeats in a row were not answered", z->base.name, z->hb_missed);
            z->dead = 1;
            return;
        }
        hb_ping(z, now);
    } else if (!z->hb_waiting && now - z->hb_sent_ms >= ZK_HB_INTERVAL_MS) {
        hb_ping(z, now);
    }
}

int zk_recv_from(struct zk *z, unsigned mask, int timeout_ms, struct kernel_msg *out, char *err, size_t errlen)
{
    zmq_pollitem_t items[5];
    int chan[5], n = 0;
    int forever = timeout_ms < 0;
    long long deadline = kernel_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    memset(out, 0, sizeof *out);
    for (int ch = 0; ch < 4; ch++) {
        if (mask & (1u << ch)) {
            items[n] = (zmq_pollitem_t){.socket = z->sock[ch], .events = ZMQ_POLLIN};
            chan[n++] = ch;
        }
    }
    int hb_item = n;
    items[n++] = (zmq_pollitem_t){.socket = z->hb, .events = ZMQ_POLLIN};
    for (;;) {
        long long now = kernel_now_ms();
        if (now >= z->next_check_ms)
            zk_check_health(z);
        if (z->dead) {
            snprintf(err, errlen, "%s", z->dead_reason);
            return KERNEL_RECV_DEAD;
        }
        long long wait = forever ? z->next_check_ms - now : deadline - now;
        if (wait > z->next_check_ms - now)
            wait = z->next_check_ms - now;
        if (wait < 0)
            wait = 0;
        int r = zmq_poll(items, n, (long)wait);
        if (r < 0 && zmq_errno() != EINTR) {
            snprintf(err, errlen, "polling kernel %s: %s", z->base.name, zmq_strerror(zmq_errno()));
            return KERNEL_RECV_ERROR;
        }
        if (r > 0 && (items[hb_item].revents & ZMQ_POLLIN))
            hb_drain(z);
        for (int i = 0; r > 0 && i < hb_item; i++) {
            int j = (int)((z->rr + (unsigned)i) % (unsigned)hb_item);
            if (!(items[j].revents & ZMQ_POLLIN))
                continue;
            int got = read_one(z, (enum kernel_channel)chan[j], out);
            if (got < 0 && zmq_errno() != EAGAIN) {
                snprintf(err, errlen, "reading from kernel %s: %s", z->base.name, zmq_strerror(zmq_errno()));
                return KERNEL_RECV_ERROR;
            }
            if (got > 0 && is_startup_echo(z, out)) {
                kernel_msg_clear(out);
                got = 0;
            }
            if (got > 0) {
                z->rr = (unsigned)j + 1;
                return KERNEL_RECV_MSG;
            }
        }
        if (!forever && r == 0 && kernel_now_ms() >= deadline)
            return KERNEL_RECV_TIMEOUT;
    }
}

static int zk_recv(struct kernel *k, int timeout_ms, struct kernel_msg *out, char *err, size_t errlen)
{
    return zk_recv_from(k->impl, 0xfu, timeout_ms, out, err, errlen);
}

static int zk_interrupt(struct kernel *k, char *err, size_t errlen)
{
    struct zk *z = k->impl;
    char id[37];
    if (z->interrupt_message)
        return zk_send(k, KERNEL_CONTROL, "interrupt_request", NULL, id, err, errlen);
    if (kernel_proc_signal(&z->proc, SIGINT) != 0) {
        snprintf(err, errlen, "cannot interrupt kernel %s: %s", k->name, strerror(errno));
        return -1;
    }
    return 0;
}

static int zk_alive(struct kernel *k)
{
    struct zk *z = k->impl;
    zk_check_health(z);
    return !z->dead;
}

/* ipykernel exits within ~100 ms of shutdown_request; 1 s is generous. */
#define ZK_SHUTDOWN_GRACE_MS 1000
#define ZK_TERM_GRACE_MS 500

static void zk_shutdown(struct kernel *k)
{
    if (!k)
        return;
    struct zk *z = k->impl;
    char id[37], err[160];
    int grace = 0;
    if (z->sock[KERNEL_CONTROL] && kernel_proc_alive(&z->proc) && !z->dead) {
        json_t *c = json_pack("{s:b}", "restart", 0);
        if (zk_send(k, KERNEL_CONTROL, "shutdown_request", c, id, err, sizeof err) == 0)
            grace = ZK_SHUTDOWN_GRACE_MS;
        json_decref(c);
    }
    kernel_proc_stop(&z->proc, grace, ZK_TERM_GRACE_MS);
    zk_close_sockets(z);
    if (z->ctx)
        zmq_ctx_term(z->ctx);
    kernel_signer_free(z->signer);
    free(z->startup_ids);
    free(k->name);
    free(k->language);
    json_decref(k->info);
    free(z);
}

const struct kernel_ops zk_ops = {
    .send = zk_send,
    .recv = zk_recv,
    .interrupt = zk_interrupt,
    .alive = zk_alive,
    .shutdown = zk_shutdown,
};
