/* Pieces of the remote transport without a server: the kernel WebSocket
 * frames (v1 offsets, legacy JSON and binary-buffers frames), contents API
 * URLs (browser links, strftime folders). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel_msg.h"
#include "kernel_ws_frame.h"
#include "store_contents.h"

static uint64_t u64le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

Test(frames, a_v1_frame_has_jupyter_servers_offsets_and_decodes_back)
{
    struct kernel_session s;
    kernel_session_init(&s);
    json_t *content = json_pack("{s:s}", "code", "print(1)");
    struct kernel_wire w;
    char err[256];
    cr_assert_eq(kernel_wire_build(&s, "execute_request", content, NULL, &w, err, sizeof err), 0);
    size_t len;
    unsigned char *f = kws_frame_v1(KERNEL_SHELL, &w, &len);
    cr_assert_not_null(f);
    /* offset_number = 6; offset_0 = 8 * 7 = start of "shell"; the last is the end */
    cr_assert_eq(u64le(f), 6);
    cr_assert_eq(u64le(f + 8), 56);
    cr_assert_eq(memcmp(f + 56, "shell", 5), 0);
    cr_assert_eq(u64le(f + 16), 61);
    cr_assert_eq(u64le(f + 48), len);
    /* a server frame has the same shape: decode our own as one */
    struct kernel_msg m;
    cr_assert_eq(kws_decode(f, len, 1, 1, &m, err, sizeof err), 0, "%s", err);
    cr_assert_eq(m.channel, KERNEL_SHELL);
    cr_assert_str_eq(m.msg_type, "execute_request");
    cr_assert_str_eq(json_string_value(json_object_get(m.content, "code")), "print(1)");
    kernel_msg_clear(&m);
    free(f);
    kernel_wire_clear(&w);
    json_decref(content);
}

Test(frames, v1_frames_with_bad_offsets_are_refused)
{
    unsigned char f[64] = {0};
    f[0] = 6;
    f[8] = 200; /* offset past the end */
    struct kernel_msg m;
    char err[256];
    cr_assert_eq(kws_decode(f, sizeof f, 1, 1, &m, err, sizeof err), -1);
    cr_assert_eq(kws_decode(f, 4, 1, 1, &m, err, sizeof err), -1);
    cr_assert_eq(kws_decode((const unsigned char *)"{}", 2, 0, 1, &m, err, sizeof err), -1, "text on v1");
}

Test(frames, legacy_json_frames_carry_their_channel)
{
    const char *t = "{\"header\":{\"msg_type\":\"stream\",\"msg_id\":\"a\"},\"parent_header\":{\"msg_id\":\"p1\"},"
                    "\"metadata\":{},\"content\":{\"name\":\"stdout\",\"text\":\"hi\\n\"},\"buffers\":[],"
                    "\"channel\":\"iopub\",\"msg_type\":\"stream\"}";
    struct kernel_msg m;
    char err[256];
    cr_assert_eq(kws_decode((const unsigned char *)t, strlen(t), 0, 0, &m, err, sizeof err), 0, "%s", err);
    cr_assert_eq(m.channel, KERNEL_IOPUB);
    cr_assert_str_eq(m.parent_id, "p1");
    cr_assert_str_eq(m.msg_type, "stream");
    kernel_msg_clear(&m);
    const char *bad = "{\"header\":{},\"content\":{},\"channel\":\"nowhere\"}";
    cr_assert_eq(kws_decode((const unsigned char *)bad, strlen(bad), 0, 0, &m, err, sizeof err), -1);
    cr_assert(strstr(err, "nowhere"), "%s", err);
}

Test(frames, legacy_binary_frames_keep_the_json_and_count_the_buffers)
{
    const char *js = "{\"header\":{\"msg_type\":\"comm_msg\"},\"parent_header\":{},\"metadata\":{},"
                     "\"content\":{},\"channel\":\"iopub\"}";
    size_t jl = strlen(js);
    /* nbufs = 3 (json + 2 buffers), u32 BE offsets */
    size_t head = 4 * 4, total = head + jl + 3 + 5;
    unsigned char *f = calloc(1, total);
    uint32_t offs[3] = {(uint32_t)head, (uint32_t)(head + jl), (uint32_t)(head + jl + 3)};
    f[3] = 3;
    for (int i = 0; i < 3; i++) {
        f[4 + 4 * i + 2] = (unsigned char)(offs[i] >> 8);
        f[4 + 4 * i + 3] = (unsigned char)offs[i];
    }
    memcpy(f + head, js, jl);
    memcpy(f + head + jl, "abcdefgh", 8);
    struct kernel_msg m;
    char err[256];
    cr_assert_eq(kws_decode(f, total, 1, 0, &m, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(m.msg_type, "comm_msg");
    json_t *b = json_object_get(m.msg, "buffers");
    cr_assert_eq(json_array_size(b), 2);
    cr_assert_eq(json_integer_value(json_array_get(b, 0)), 3);
    cr_assert_eq(json_integer_value(json_array_get(b, 1)), 5);
    kernel_msg_clear(&m);
    free(f);
}

Test(contents, urls_and_browser_links)
{
    cr_assert(contents_is_url("https://hub.example/user/a/s/api/contents/x/y.ipynb"));
    cr_assert_not(contents_is_url("https://example/notebooks/y.ipynb"));
    cr_assert_not(contents_is_url("/local/api/contents/y.ipynb"));
    char *l = contents_browser_link("https://hub.example/user/a/s/api/contents/x/y.ipynb");
    cr_assert_str_eq(l, "https://hub.example/user/a/s/lab/tree/x/y.ipynb");
    free(l);
    cr_assert_null(contents_browser_link("out.ipynb"));
}

Test(contents, strftime_patterns_expand_in_the_folder_only)
{
    time_t t = 1700000000; /* 2023-11-14 22:13:20 UTC */
    char *a = output_expand_folder("http://h/api/contents/runs/%Y/%m/%d/out-%H.ipynb", t);
    cr_assert_str_eq(a, "http://h/api/contents/runs/2023/11/14/out-%H.ipynb");
    free(a);
    char *b = output_expand_folder("plain/out.ipynb", t);
    cr_assert_str_eq(b, "plain/out.ipynb");
    free(b);
    char *c = output_expand_folder("100%%/x.ipynb", t);
    cr_assert_str_eq(c, "100%/x.ipynb");
    free(c);
}
