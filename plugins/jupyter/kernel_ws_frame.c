/* Encoding and decoding of the kernel WebSocket frames (see the header). */
#include "kernel_ws_frame.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 1024

static void put_u64le(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t get_u32be(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int kws_channel_from_name(const char *name, size_t len)
{
    static const char *const names[] = {"shell", "iopub", "stdin", "control"};
    for (int i = 0; i < 4; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return i;
    }
    return -1;
}

unsigned char *kws_frame_v1(enum kernel_channel ch, const struct kernel_wire *w, size_t *len)
{
    const char *channel = kernel_channel_name(ch);
    size_t clen = strlen(channel);
    const size_t n_offsets = 6; /* channel, 4 parts, end */
    size_t head = 8 * (n_offsets + 1);
    size_t total = head + clen;
    for (int i = 0; i < 4; i++)
        total += w->len[i];
    unsigned char *buf = malloc(total);
    if (!buf)
        return NULL;
    put_u64le(buf, n_offsets);
    size_t off = head;
    put_u64le(buf + 8, off);
    memcpy(buf + off, channel, clen);
    off += clen;
    for (int i = 0; i < 4; i++) {
        put_u64le(buf + 8 * (i + 2), off);
        memcpy(buf + off, w->part[i], w->len[i]);
        off += w->len[i];
    }
    put_u64le(buf + 8 * 6, off);
    *len = total;
    return buf;
}

static json_t *buffer_sizes(const size_t *sizes, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)sizes[i]));
    return a;
}

static int decode_v1(const unsigned char *d, size_t len, struct kernel_msg *out, char *err, size_t errlen)
{
    if (len < 8) {
        snprintf(err, errlen, "v1 frame of %zu bytes has no offset count", len);
        return -1;
    }
    uint64_t n = get_u64le(d);
    if (n < 6 || n > MAX_PARTS || 8 * (n + 1) > len) {
        snprintf(err, errlen, "v1 frame: bad offset count %llu", (unsigned long long)n);
        return -1;
    }
    uint64_t off[MAX_PARTS + 1];
    for (uint64_t i = 0; i < n; i++) {
        off[i] = get_u64le(d + 8 * (i + 1));
        if (off[i] > len || (i > 0 && off[i] < off[i - 1]) || off[0] < 8 * (n + 1)) {
            snprintf(err, errlen, "v1 frame: offset %llu out of order or past the end", (unsigned long long)i);
            return -1;
        }
    }
    int ch = kws_channel_from_name((const char *)d + off[0], (size_t)(off[1] - off[0]));
    if (ch < 0) {
        snprintf(err, errlen, "v1 frame: unknown channel '%.*s'", (int)(off[1] - off[0] > 32 ? 32 : off[1] - off[0]),
                 (const char *)d + off[0]);
        return -1;
    }
    const void *part[4];
    size_t plen[4];
    for (int i = 0; i < 4; i++) {
        uint64_t end = (uint64_t)i + 2 < n ? off[i + 2] : len;
        part[i] = d + off[i + 1];
        plen[i] = (size_t)(end - off[i + 1]);
    }
    if (kernel_msg_parse((enum kernel_channel)ch, part, plen, out, err, errlen) != 0)
        return -1;
    /* parts after content are buffers: the last one runs to the end */
    size_t nbuf = n > 6 ? (size_t)(n - 5) : 0, sizes[MAX_PARTS];
    for (size_t i = 0; i < nbuf; i++) {
        uint64_t start = off[5 + i], end = 6 + i < n ? off[6 + i] : len;
        sizes[i] = (size_t)(end - start);
    }
    if (nbuf)
        json_object_set_new(out->msg, "buffers", buffer_sizes(sizes, nbuf));
    return 0;
}

static int adopt_json(json_t *msg, struct kernel_msg *out, char *err, size_t errlen)
{
    const char *name = json_string_value(json_object_get(msg, "channel"));
    int ch = name ? kws_channel_from_name(name, strlen(name)) : -1;
    if (ch < 0) {
        snprintf(err, errlen, "message on unknown channel '%.32s'", name ? name : "(none)");
        json_decref(msg);
        return -1;
    }
    return kernel_msg_adopt((enum kernel_channel)ch, msg, out, err, errlen);
}

static int decode_legacy_binary(const unsigned char *d, size_t len, struct kernel_msg *out, char *err,
                                size_t errlen)
{
    if (len < 4) {
        snprintf(err, errlen, "binary frame of %zu bytes has no part count", len);
        return -1;
    }
    uint32_t n = get_u32be(d);
    if (n < 1 || n > MAX_PARTS || 4 * ((size_t)n + 1) > len) {
        snprintf(err, errlen, "binary frame: bad part count %u", n);
        return -1;
    }
    size_t off[MAX_PARTS + 1], sizes[MAX_PARTS];
    for (uint32_t i = 0; i < n; i++) {
        off[i] = get_u32be(d + 4 * (i + 1));
        if (off[i] > len || (i > 0 && off[i] < off[i - 1])) {
            snprintf(err, errlen, "binary frame: offset %u out of order or past the end", i);
            return -1;
        }
    }
    off[n] = len;
    json_error_t jerr;
    json_t *msg = json_loadb((const char *)d + off[0], off[1] - off[0], 0, &jerr);
    if (!json_is_object(msg)) {
        snprintf(err, errlen, "binary frame: the message is not a JSON object: %s", msg ? "" : jerr.text);
        json_decref(msg);
        return -1;
    }
    for (uint32_t i = 1; i < n; i++)
        sizes[i - 1] = off[i + 1] - off[i];
    json_object_set_new(msg, "buffers", buffer_sizes(sizes, n - 1));
    return adopt_json(msg, out, err, errlen);
}

int kws_decode(const unsigned char *data, size_t len, int binary, int v1, struct kernel_msg *out, char *err,
               size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (v1) {
        if (!binary) {
            snprintf(err, errlen, "text frame on a v1 connection");
            return -1;
        }
        return decode_v1(data, len, out, err, errlen);
    }
    if (binary)
        return decode_legacy_binary(data, len, out, err, errlen);
    json_error_t jerr;
    json_t *msg = json_loadb((const char *)data, len, 0, &jerr);
    if (!json_is_object(msg)) {
        snprintf(err, errlen, "frame is not a JSON object: %s", msg ? "" : jerr.text);
        json_decref(msg);
        return -1;
    }
    return adopt_json(msg, out, err, errlen);
}
