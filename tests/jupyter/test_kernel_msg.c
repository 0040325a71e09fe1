/* Message building, HMAC-SHA256 signing and verification, parsing. */
#include <criterion/criterion.h>

#include <regex.h>
#include <string.h>

#include "kernel_msg.h"
#include "kernel_msg_scan.h"

static const char *const P[4] = {"{\"a\":1}", "{}", "{}", "{\"code\":\"print(1)\"}"};

static void parts_of(const char *const src[4], const void *part[4], size_t len[4])
{
    for (int i = 0; i < 4; i++) {
        part[i] = src[i];
        len[i] = strlen(src[i]);
    }
}

static int matches(const char *re, const char *s)
{
    regex_t r;
    cr_assert_eq(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
    int ok = regexec(&r, s, 0, NULL, 0) == 0;
    regfree(&r);
    return ok;
}

Test(kernel_msg, signature_matches_python_hmac_hexdigest)
{
    /* python3: hmac.HMAC(b"secret-key", digestmod=sha256) updated with the
     * four parts, hexdigest(). */
    char err[128], hex[65];
    const void *part[4];
    size_t len[4];
    parts_of(P, part, len);
    struct kernel_signer *s = kernel_signer_new("secret-key", 10, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(kernel_signer_sign(s, part, len, hex), 0);
    cr_assert_str_eq(hex, "e2022f2987cfe155e0a1169239b489bab4ccc9dd76a0c0432e010b1367220ada");
    cr_assert(kernel_signer_verify(s, part, len, hex, 64));
    /* Signing again reuses the keyed context and gives the same result. */
    char again[65];
    cr_assert_eq(kernel_signer_sign(s, part, len, again), 0);
    cr_assert_str_eq(again, hex);
    kernel_signer_free(s);
}

Test(kernel_msg, signature_matches_rfc4231_vectors_short_and_over_block_keys)
{
    /* RFC 4231 test cases 2 (key shorter than a block) and 6 (131-byte key,
     * hashed first); the data is split across the four parts. */
    char err[128], hex[65];
    const void *part[4] = {"what do ya want ", "", "for nothing", "?"};
    size_t len[4] = {16, 0, 11, 1};
    struct kernel_signer *s = kernel_signer_new("Jefe", 4, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    kernel_signer_sign(s, part, len, hex);
    cr_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    kernel_signer_free(s);

    char key[131];
    memset(key, 0xaa, sizeof key);
    const char *text = "Test Using Larger Than Block-Size Key - Hash Key First";
    const void *p6[4] = {text, text + 10, "", text + 20};
    size_t l6[4] = {10, 10, 0, strlen(text) - 20};
    s = kernel_signer_new(key, sizeof key, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    kernel_signer_sign(s, p6, l6, hex);
    cr_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    kernel_signer_free(s);
}

Test(kernel_msg, verify_rejects_tampered_parts_and_bad_signatures)
{
    char err[128], hex[65];
    const void *part[4];
    size_t len[4];
    parts_of(P, part, len);
    struct kernel_signer *s = kernel_signer_new("secret-key", 10, err, sizeof err);
    kernel_signer_sign(s, part, len, hex);
    for (int i = 0; i < 4; i++) {
        const char *tampered[4] = {P[0], P[1], P[2], P[3]};
        tampered[i] = "{\"evil\":true}";
        const void *tp[4];
        size_t tl[4];
        parts_of(tampered, tp, tl);
        cr_assert_not(kernel_signer_verify(s, tp, tl, hex, 64), "tampered part %d accepted", i);
    }
    char bad[65];
    memcpy(bad, hex, 65);
    bad[10] = bad[10] == 'a' ? 'b' : 'a';
    cr_assert_not(kernel_signer_verify(s, part, len, bad, 64));
    cr_assert_not(kernel_signer_verify(s, part, len, hex, 63), "truncated signature");
    cr_assert_not(kernel_signer_verify(s, part, len, "", 0), "empty signature");
    struct kernel_signer *other = kernel_signer_new("other-key", 9, err, sizeof err);
    cr_assert_not(kernel_signer_verify(other, part, len, hex, 64), "another key");
    kernel_signer_free(other);
    kernel_signer_free(s);
}

Test(kernel_msg, empty_key_means_unsigned)
{
    char err[128], hex[65];
    const void *part[4];
    size_t len[4];
    parts_of(P, part, len);
    struct kernel_signer *s = kernel_signer_new("", 0, err, sizeof err);
    cr_assert_not_null(s);
    cr_assert_eq(kernel_signer_sign(s, part, len, hex), 0);
    cr_assert_str_eq(hex, "");
    cr_assert(kernel_signer_verify(s, part, len, "", 0));
    kernel_signer_free(s);
}

Test(kernel_msg, header_has_protocol_fields)
{
    struct kernel_session s;
    kernel_session_init(&s);
    char id[37];
    json_t *h = kernel_msg_header(&s, "execute_request", id);
    cr_assert(matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id), "%s", id);
    cr_assert_str_eq(json_string_value(json_object_get(h, "msg_id")), id);
    cr_assert_str_eq(json_string_value(json_object_get(h, "session")), s.id);
    cr_assert_str_eq(json_string_value(json_object_get(h, "msg_type")), "execute_request");
    cr_assert_str_eq(json_string_value(json_object_get(h, "version")), "5.3");
    cr_assert(json_is_string(json_object_get(h, "username")));
    const char *date = json_string_value(json_object_get(h, "date"));
    cr_assert(matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$", date), "%s", date);
    char id2[37];
    json_t *h2 = kernel_msg_header(&s, "x", id2);
    cr_assert_str_neq(id, id2, "fresh id per message");
    json_decref(h);
    json_decref(h2);
}

Test(kernel_msg, wire_build_then_parse_round_trips)
{
    struct kernel_session s;
    kernel_session_init(&s);
    struct kernel_wire w;
    char err[256];
    json_t *content = json_pack("{s:s}", "code", "print('é\\n')");
    json_t *parent = json_pack("{s:s}", "msg_id", "parent-1");
    cr_assert_eq(kernel_wire_build(&s, "execute_request", content, parent, &w, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(w.part[2], "{}");
    cr_assert(strstr(w.part[3], "é"), "UTF-8 on the wire, not \\u escapes: %s", w.part[3]);
    const void *part[4] = {w.part[0], w.part[1], w.part[2], w.part[3]};
    struct kernel_msg m;
    cr_assert_eq(kernel_msg_parse(KERNEL_SHELL, part, w.len, &m, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(m.msg_type, "execute_request");
    cr_assert_str_eq(m.parent_id, "parent-1");
    cr_assert(json_equal(m.content, content));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m.msg, "header"), "msg_id")), w.msg_id);
    kernel_msg_clear(&m);
    kernel_wire_clear(&w);
    json_decref(content);
    json_decref(parent);
}

Test(kernel_msg, parse_names_the_part_that_is_not_an_object)
{
    const char *src[4] = {"{\"msg_type\":\"x\"}", "{}", "[1]", "{}"};
    const void *part[4];
    size_t len[4];
    parts_of(src, part, len);
    struct kernel_msg m;
    char err[256];
    cr_assert_eq(kernel_msg_parse(KERNEL_IOPUB, part, len, &m, err, sizeof err), -1);
    cr_assert(strstr(err, "iopub") && strstr(err, "metadata"), "%s", err);
    src[2] = "{}";
    src[3] = "{\"trunc";
    parts_of(src, part, len);
    cr_assert_eq(kernel_msg_parse(KERNEL_IOPUB, part, len, &m, err, sizeof err), -1);
    cr_assert(strstr(err, "content"), "%s", err);
}

Test(kernel_msg, missing_parent_reads_as_empty_string)
{
    const char *src[4] = {"{\"msg_type\":\"status\"}", "{}", "{}", "{\"execution_state\":\"starting\"}"};
    const void *part[4];
    size_t len[4];
    parts_of(src, part, len);
    struct kernel_msg m;
    char err[256];
    cr_assert_eq(kernel_msg_parse(KERNEL_IOPUB, part, len, &m, err, sizeof err), 0);
    cr_assert_str_eq(m.parent_id, "");
    cr_assert_eq(m.channel, KERNEL_IOPUB);
    kernel_msg_clear(&m);
}

Test(kernel_msg, json_form_for_websocket_has_channel_and_buffers)
{
    struct kernel_session s;
    kernel_session_init(&s);
    char id[37], err[128];
    json_t *msg = kernel_msg_new_json(&s, KERNEL_SHELL, "kernel_info_request", NULL, NULL, id);
    cr_assert_not_null(msg);
    cr_assert_str_eq(json_string_value(json_object_get(msg, "channel")), "shell");
    cr_assert(json_is_array(json_object_get(msg, "buffers")));
    cr_assert(json_is_object(json_object_get(msg, "parent_header")));
    struct kernel_msg m;
    cr_assert_eq(kernel_msg_adopt(KERNEL_SHELL, msg, &m, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(m.msg_type, "kernel_info_request");
    kernel_msg_clear(&m);
    cr_assert_eq(kernel_msg_adopt(KERNEL_SHELL, json_pack("{s:{}}", "header"), &m, err, sizeof err), -1);
}

Test(kernel_msg, scan_finds_top_level_strings_only)
{
    const char *h = "{\"note\": \"\\\"msg_type\\\": \\\"fake\\\"\", \"nested\": {\"msg_type\": \"inner\"},"
                    " \"list\": [1, -2.5e+3, true, false, null, {\"date\": \"x\"}], \"msg_type\": \"stream\","
                    " \"date\": \"2026-11-22T10:00:00.123456Z\"}";
    struct scan_field f[3] = {{.key = "msg_type"}, {.key = "date"}, {.key = "msg_id"}};
    cr_assert_eq(kernel_msg_scan(h, strlen(h), f, 3), 0);
    cr_assert(f[0].value && f[0].len == 6 && !memcmp(f[0].value, "stream", 6), "msg_type from the top level");
    cr_assert(f[1].value && f[1].len == 27, "date from the top level, not the one in the list");
    cr_assert_null(f[2].value, "absent key reads NULL");
}

Test(kernel_msg, scan_refuses_malformed_text_and_escaped_wanted_values)
{
    static const char *const bad[] = {
        "", "[]", "{", "{\"a\" 1}", "{\"a\": 1,}", "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": tru}",
        "{\"a\": \"\x01\"}", "{\"a\": \"\\x\"}", "{\"a\": \"\\u12g4\"}", "{} x", "{\"a\": [1 2]}",
        "{\"msg_type\": 5}", "{\"msg_type\": \"a\\u0062\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct scan_field f = {.key = "msg_type"};
        cr_assert_eq(kernel_msg_scan(bad[i], strlen(bad[i]), &f, 1), -1, "accepted: %s", bad[i]);
    }
    char deep[200] = "{\"a\":";
    for (int i = 0; i < 70; i++)
        strcat(deep, "[");
    cr_assert_eq(kernel_msg_scan(deep, strlen(deep), NULL, 0), -1, "nesting past 64 refused");
}

Test(kernel_msg, parse_falls_back_to_full_json_for_escaped_headers)
{
    /* An escaped msg_type cannot be read in place: the full parse decodes it. */
    const char *src[4] = {"{\"msg_type\": \"exec\\u0075te_reply\", \"msg_id\": \"m1\", \"username\": \"\\u00e9\"}",
                          "{\"msg_id\": \"p\\\"1\", \"msg_type\": \"execute_request\"}",
                          "{\"dependencies_met\": true, \"engine\": \"e\", \"started\": \"t\"}",
                          "{\"status\": \"ok\", \"msg_type\": \"not me\"}"};
    const void *part[4];
    size_t len[4];
    parts_of(src, part, len);
    struct kernel_msg m;
    char err[256];
    cr_assert_eq(kernel_msg_parse(KERNEL_SHELL, part, len, &m, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(m.msg_type, "execute_reply");
    cr_assert_str_eq(m.parent_id, "p\"1");
    cr_assert_str_eq(json_string_value(json_object_get(m.content, "status")), "ok");
    kernel_msg_clear(&m);
}
