/* Scripted kernel for the engine tests (see fake_kernel.h). */
#include "fake_kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fake {
    json_t *queue;        /* array of [channel, msg] waiting to be received */
    json_t *last_request; /* content of the last execute_request */
    int requests;
    int dead;
    int hanging;          /* 1: waiting for an interrupt; 2: ignoring it */
    char hang_id[37];
    int seq;
};

void kernel_msg_clear(struct kernel_msg *m)
{
    json_decref(m->msg);
    memset(m, 0, sizeof *m);
}

static json_t *make_msg(struct fake *f, const char *type, const char *parent, const json_t *content)
{
    char id[40], date[40];
    snprintf(id, sizeof id, "fake-%d", ++f->seq);
    snprintf(date, sizeof date, "2026-01-02T03:04:05.%06dZ", f->seq);
    json_t *h = json_pack("{s:s, s:s, s:s, s:s}", "msg_id", id, "msg_type", type, "date", date, "version", "5.3");
    json_t *ph = parent ? json_pack("{s:s}", "msg_id", parent) : json_object();
    return json_pack("{s:o, s:o, s:{}, s:O}", "header", h, "parent_header", ph, "metadata", "content",
                     content);
}

static void push(struct fake *f, int channel, const char *type, const char *parent, json_t *content)
{
    json_t *m = make_msg(f, type, parent, content);
    json_decref(content);
    json_array_append_new(f->queue, json_pack("[i, o]", channel, m));
}

static void status(struct fake *f, const char *parent, const char *state)
{
    push(f, KERNEL_IOPUB, "status", parent, json_pack("{s:s}", "execution_state", state));
}

static void script(struct fake *f, const char *id, const char *code)
{
    json_t *s = json_loads(code, 0, NULL);
    if (!json_is_object(s)) {
        json_decref(s);
        s = json_object();
    }
    if (json_is_true(json_object_get(s, "die"))) {
        f->dead = 1;
        json_decref(s);
        return;
    }
    json_int_t count = json_is_integer(json_object_get(s, "count")) ? json_integer_value(json_object_get(s, "count"))
                                                                     : f->requests;
    json_t *reply = json_object_get(s, "reply");
    reply = reply ? json_deep_copy(reply) : json_pack("{s:s}", "status", "ok");
    json_object_set_new(reply, "execution_count", json_integer(count));
    status(f, id, "busy");
    push(f, KERNEL_IOPUB, "execute_input", id, json_pack("{s:s, s:I}", "code", code, "execution_count", count));
    if (json_is_true(json_object_get(s, "hang"))) {
        f->hanging = json_is_true(json_object_get(s, "ignore_interrupt")) ? 2 : 1;
        snprintf(f->hang_id, sizeof f->hang_id, "%s", id);
        json_decref(reply);
        json_decref(s);
        return;
    }
    int reply_first = json_is_true(json_object_get(s, "reply_first"));
    if (reply_first)
        push(f, KERNEL_SHELL, "execute_reply", id, json_incref(reply));
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(s, "out"), i, o) {
        push(f, KERNEL_IOPUB, json_string_value(json_array_get(o, 0)), id,
             json_deep_copy(json_array_get(o, 1)));
    }
    if (!reply_first)
        push(f, KERNEL_SHELL, "execute_reply", id, json_incref(reply));
    if (!json_is_true(json_object_get(s, "no_idle")))
        status(f, id, "idle");
    json_decref(reply);
    json_decref(s);
}

static int fk_send(struct kernel *k, enum kernel_channel ch, const char *msg_type, const json_t *content,
                   char msg_id[37], char *err, size_t errlen)
{
    (void)ch;
    (void)err;
    (void)errlen;
    struct fake *f = k->impl;
    snprintf(msg_id, 37, "%08u-0000-0000-0000-000000000000", (unsigned)++f->seq % 100000000u);
    if (strcmp(msg_type, "execute_request") == 0) {
        f->requests++;
        json_decref(f->last_request);
        f->last_request = json_deep_copy(content);
        script(f, msg_id, json_string_value(json_object_get(content, "code")));
    } else if (strcmp(msg_type, "kernel_info_request") == 0) {
        status(f, msg_id, "busy");
        push(f, KERNEL_SHELL, "kernel_info_reply", msg_id,
             json_pack("{s:s, s:{s:s, s:s}}", "status", "ok", "language_info", "name", "python", "version",
                       "3.11.2"));
        status(f, msg_id, "idle");
    }
    return 0;
}

static int fk_recv(struct kernel *k, int timeout_ms, struct kernel_msg *out, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct fake *f = k->impl;
    if (f->dead)
        return KERNEL_RECV_DEAD;
    if (json_array_size(f->queue) == 0) {
        (void)timeout_ms; /* a scripted kernel has nothing more to say: time passes at once */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        return KERNEL_RECV_TIMEOUT;
    }
    json_t *item = json_incref(json_array_get(f->queue, 0));
    json_array_remove(f->queue, 0);
    memset(out, 0, sizeof *out);
    out->channel = (enum kernel_channel)json_integer_value(json_array_get(item, 0));
    out->msg = json_incref(json_array_get(item, 1));
    json_decref(item);
    out->msg_type = json_string_value(json_object_get(json_object_get(out->msg, "header"), "msg_type"));
    const char *p = json_string_value(json_object_get(json_object_get(out->msg, "parent_header"), "msg_id"));
    out->parent_id = p ? p : "";
    out->content = json_object_get(out->msg, "content");
    return KERNEL_RECV_MSG;
}

static int fk_interrupt(struct kernel *k, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct fake *f = k->impl;
    if (f->hanging == 1) {
        push(f, KERNEL_IOPUB, "error", f->hang_id,
             json_pack("{s:s, s:s, s:[s]}", "ename", "KeyboardInterrupt", "evalue", "", "traceback",
                       "\x1b[0;31mKeyboardInterrupt\x1b[0m"));
        push(f, KERNEL_SHELL, "execute_reply", f->hang_id,
             json_pack("{s:s, s:s, s:s}", "status", "error", "ename", "KeyboardInterrupt", "evalue", ""));
        status(f, f->hang_id, "idle");
        f->hanging = 0;
    }
    return 0;
}

static int fk_alive(struct kernel *k)
{
    return !((struct fake *)k->impl)->dead;
}

static void fk_shutdown(struct kernel *k)
{
    struct fake *f = k->impl;
    json_decref(f->queue);
    json_decref(f->last_request);
    free(f);
    json_decref(k->info);
    free(k->name);
    free(k->language);
    free(k);
}

static const struct kernel_ops fake_ops = {fk_send, fk_recv, fk_interrupt, fk_alive, fk_shutdown};

struct kernel *fake_kernel_new(void)
{
    struct kernel *k = calloc(1, sizeof *k);
    struct fake *f = calloc(1, sizeof *f);
    f->queue = json_array();
    k->ops = &fake_ops;
    k->impl = f;
    k->name = strdup("fake");
    k->language = strdup("python");
    return k;
}

int fake_kernel_requests(struct kernel *k)
{
    return ((struct fake *)k->impl)->requests;
}

const json_t *fake_kernel_last_request(struct kernel *k)
{
    return ((struct fake *)k->impl)->last_request;
}
