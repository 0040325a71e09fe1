/* Transport-independent Jupyter message building and parsing. */
#include "kernel_msg.h"
#include "kernel_msg_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void kernel_uuid4(char out[37])
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

void kernel_session_init(struct kernel_session *s)
{
    kernel_uuid4(s->id);
    const char *user = getenv("USER");
    snprintf(s->username, sizeof s->username, "%s", user && *user ? user : "username");
}

const char *kernel_channel_name(enum kernel_channel ch)
{
    switch (ch) {
    case KERNEL_SHELL: return "shell";
    case KERNEL_IOPUB: return "iopub";
    case KERNEL_STDIN: return "stdin";
    case KERNEL_CONTROL: return "control";
    }
    return "?";
}

/* ISO 8601 UTC with microseconds, as jupyter_client writes dates. */
static void iso_now(char out[64])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

json_t *kernel_msg_header(const struct kernel_session *s, const char *msg_type, char msg_id[37])
{
    char date[64];
    kernel_uuid4(msg_id);
    iso_now(date);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "msg_id", msg_id, "session", s->id,
                     "username", s->username, "date", date, "msg_type", msg_type, "version",
                     KERNEL_PROTOCOL_VERSION);
}

/* ensure_ascii=False like jupyter_client's json_packer: UTF-8 on the wire. */
#define WIRE_JSON_FLAGS (JSON_COMPACT)

static char *dump_or_empty(const json_t *v, size_t *len)
{
    char *s = v ? json_dumps(v, WIRE_JSON_FLAGS) : strdup("{}");
    *len = s ? strlen(s) : 0;
    return s;
}

int kernel_wire_build(const struct kernel_session *s, const char *msg_type, const json_t *content,
                      const json_t *parent_header, struct kernel_wire *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    json_t *header = kernel_msg_header(s, msg_type, w->msg_id);
    if (!header) {
        snprintf(err, errlen, "out of memory building %s", msg_type);
        return -1;
    }
    w->part[0] = dump_or_empty(header, &w->len[0]);
    json_decref(header);
    w->part[1] = dump_or_empty(parent_header, &w->len[1]);
    w->part[2] = dump_or_empty(NULL, &w->len[2]);
    w->part[3] = dump_or_empty(content, &w->len[3]);
    for (int i = 0; i < 4; i++) {
        if (!w->part[i]) {
            kernel_wire_clear(w);
            snprintf(err, errlen, "cannot serialize %s", msg_type);
            return -1;
        }
    }
    return 0;
}

void kernel_wire_clear(struct kernel_wire *w)
{
    for (int i = 0; i < 4; i++) {
        free(w->part[i]);
        w->part[i] = NULL;
    }
}

json_t *kernel_msg_new_json(const struct kernel_session *s, enum kernel_channel ch, const char *msg_type,
                            const json_t *content, const json_t *parent_header, char msg_id[37])
{
    json_t *header = kernel_msg_header(s, msg_type, msg_id);
    json_t *c = content ? json_deep_copy(content) : json_object();
    json_t *p = parent_header ? json_deep_copy(parent_header) : json_object();
    if (!header || !c || !p) {
        json_decref(header);
        json_decref(c);
        json_decref(p);
        return NULL;
    }
    return json_pack("{s:o, s:o, s:{}, s:o, s:[], s:s}", "header", header, "parent_header", p,
                     "metadata", "content", c, "buffers", "channel", kernel_channel_name(ch));
}

static const char *const part_names[4] = {"header", "parent_header", "metadata", "content"};

/* Borrowed pointers into m->msg; a missing parent or msg_type reads "". */
static void fill_view(struct kernel_msg *m)
{
    json_t *header = json_object_get(m->msg, "header");
    json_t *parent = json_object_get(m->msg, "parent_header");
    m->msg_type = json_string_value(json_object_get(header, "msg_type"));
    m->parent_id = json_string_value(json_object_get(parent, "msg_id"));
    if (!m->msg_type)
        m->msg_type = "";
    if (!m->parent_id)
        m->parent_id = "";
    m->content = json_object_get(m->msg, "content");
}

/* What the engine reads of each dict: the header's type, id and date, the
 * parent's id; the message's own metadata is checked but not kept. */
static const char *const wanted[3][3] = {{"msg_type", "msg_id", "date"}, {"msg_id"}, {NULL}};
static const size_t n_wanted[3] = {3, 1, 0};

/* part as a small object of the wanted strings, or NULL when the scan
 * cannot vouch for it (then it is parsed in full). */
static json_t *scan_part(int i, const void *part, size_t len)
{
    struct scan_field f[3];
    for (size_t k = 0; k < n_wanted[i]; k++)
        f[k].key = wanted[i][k];
    if (kernel_msg_scan(part, len, f, n_wanted[i]) != 0)
        return NULL;
    json_t *obj = json_object();
    for (size_t k = 0; obj && k < n_wanted[i]; k++) {
        if (!f[k].value)
            continue;
        json_t *v = json_stringn(f[k].value, f[k].len); /* NULL for bad UTF-8 */
        if (!v || json_object_set_new(obj, f[k].key, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

int kernel_msg_parse(enum kernel_channel ch, const void *const part[4], const size_t len[4],
                     struct kernel_msg *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *msg = json_object();
    if (!msg) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        json_error_t jerr;
        json_t *v = i < 3 ? scan_part(i, part[i], len[i]) : NULL;
        if (!v)
            v = json_loadb(part[i], len[i], JSON_ALLOW_NUL, &jerr);
        if (!json_is_object(v)) {
            snprintf(err, errlen, "%s message: %s is not a JSON object%s%s", kernel_channel_name(ch),
                     part_names[i], v ? "" : ": ", v ? "" : jerr.text);
            json_decref(v);
            json_decref(msg);
            return -1;
        }
        json_object_set_new(msg, part_names[i], v);
    }
    out->channel = ch;
    out->msg = msg;
    fill_view(out);
    return 0;
}

int kernel_msg_adopt(enum kernel_channel ch, json_t *msg, struct kernel_msg *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(json_object_get(msg, "header")) || !json_is_object(json_object_get(msg, "content"))) {
        snprintf(err, errlen, "%s message without header or content", kernel_channel_name(ch));
        json_decref(msg);
        return -1;
    }
    out->channel = ch;
    out->msg = msg;
    fill_view(out);
    return 0;
}

void kernel_msg_clear(struct kernel_msg *m)
{
    json_decref(m->msg);
    memset(m, 0, sizeof *m);
}
