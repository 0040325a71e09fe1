/* The shared HTTP client against tests/support/http_test_server.py on
 * loopback: bodies, retries, Retry-After, timeouts, messages, streams. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_test_support.h"
#include "redact.h"

TestSuite(http, .init = http_test_setup, .fini = http_test_teardown);

Test(http, get_parses_json_body_and_keeps_raw_body)
{
    int port = start_server(0);
    char *u = url(port, "/json");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    cr_assert_eq(c.resp.status, 200);
    cr_assert_str_eq(c.err, "");
    cr_assert_str_eq(json_string_value(json_object_get(c.resp.json, "method")), "GET");
    cr_assert_not_null(strstr(c.resp.body, "\"method\""));
    cr_assert_eq(c.resp.body_len, strlen(c.resp.body));
    cr_assert_str_eq(c.resp.content_type, "application/json");
    http_response_free(&c.resp);
    free(u);
}

Test(http, post_sends_compact_json_auth_and_extra_headers)
{
    int port = start_server(0);
    char *u = url(port, "/echo");
    const char *extra[] = {"X-Test: yes", NULL};
    struct nbsoar_http_endpoint ep = {.auth_header = "Authorization: Bearer tok-123456",
                                      .headers = extra};
    json_t *body = json_pack("{s:i, s:[b]}", "a", 1, "b", 1);
    struct call c;
    call(&c, &ep, "POST", u, body);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    json_t *j = c.resp.json;
    cr_assert_str_eq(json_string_value(json_object_get(j, "method")), "POST");
    cr_assert_str_eq(json_string_value(json_object_get(j, "body")), "{\"a\":1,\"b\":[true]}");
    cr_assert_str_eq(json_string_value(json_object_get(j, "content_type")), "application/json");
    json_t *h = json_object_get(j, "headers");
    cr_assert_str_eq(json_string_value(json_object_get(h, "authorization")), "Bearer tok-123456");
    cr_assert_str_eq(json_string_value(json_object_get(h, "x-test")), "yes");
    json_decref(body);
    http_response_free(&c.resp);
    free(u);
}

Test(http, text_body_is_kept_raw_without_json)
{
    int port = start_server(0);
    char *u = url(port, "/text");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    cr_assert_null(c.resp.json);
    cr_assert_str_eq(c.resp.body, "hello");
    http_response_free(&c.resp);
    free(u);
}

Test(http, get_is_retried_on_503_until_it_succeeds)
{
    int port = start_server(0);
    char *u = url(port, "/status?code=503&fail=2&name=flaky");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    cr_assert_eq(c.resp.status, 200);
    cr_assert_eq(server_count(port, "flaky"), 3);
    http_response_free(&c.resp);
    free(u);
}

Test(http, exhausted_retries_return_retry_with_the_last_response)
{
    int port = start_server(0);
    char *u = url(port, "/status?code=502&name=down&body=upstream+is+down");
    struct nbsoar_http_endpoint ep = {.max_retries = 2};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_RETRY);
    cr_assert_eq(c.resp.status, 502);
    cr_assert_eq(server_count(port, "down"), 3);
    cr_assert_not_null(strstr(c.err, "GET http://127.0.0.1:"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "HTTP 502"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "upstream is down"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "after 3 attempts"), "%s", c.err);
    http_response_free(&c.resp);
    free(u);
}

Test(http, post_is_not_retried_on_503)
{
    int port = start_server(0);
    char *u = url(port, "/status?code=503&fail=1&name=post");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "POST", u, json_object());
    cr_assert_eq(c.rc, NBSOAR_RETRY);
    cr_assert_eq(c.resp.status, 503);
    cr_assert_eq(server_count(port, "post"), 1);
    cr_assert_not_null(strstr(c.err, "not idempotent"), "%s", c.err);
    http_response_free(&c.resp);
    free(u);
}

Test(http, post_marked_idempotent_is_retried)
{
    int port = start_server(0);
    char *u = url(port, "/status?code=500&fail=1&name=idem");
    struct nbsoar_http_endpoint ep = {0};
    struct nbsoar_http_request req = {.method = "POST", .url = u, .body = "x=1",
                                      .content_type = "text/plain", .idempotent = 1};
    struct nbsoar_http_response resp;
    char err[512];
    cr_assert_eq(http_request(&ep, &req, &resp, err, sizeof(err)), NBSOAR_OK, "%s", err);
    cr_assert_eq(resp.status, 200);
    cr_assert_eq(server_count(port, "idem"), 2);
    http_response_free(&resp);
    free(u);
}

Test(http, retry_after_seconds_is_honoured)
{
    int port = start_server(0);
    char *u = url(port, "/status?code=429&fail=1&retry_after=1&name=limited");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    cr_assert_eq(c.resp.status, 200);
    cr_assert_geq(c.elapsed, 1.0, "waited %.3f s for Retry-After: 1", c.elapsed);
    cr_assert_eq(server_count(port, "limited"), 2);
    http_response_free(&c.resp);
    free(u);
}

Test(http, retry_after_http_date_is_honoured)
{
    int port = start_server(0);
    char *u = url(port, "/status?code=503&fail=1&retry_after_date=1.5&name=dated");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    /* HTTP-dates have whole seconds: "now + 1.5 s" is at least 1 s away. */
    cr_assert_geq(c.elapsed, 1.0, "waited %.3f s for a Retry-After date", c.elapsed);
    http_response_free(&c.resp);
    free(u);
}

Test(http, retry_after_beyond_the_cap_returns_retry_at_once)
{
    int port = start_server(0);
    char *u = url(port, "/status?code=429&retry_after=30&name=long");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_RETRY);
    cr_assert_lt(c.elapsed, 1.0);
    cr_assert_eq(server_count(port, "long"), 1);
    cr_assert_not_null(strstr(c.err, "wait 30 s"), "%s", c.err);
    http_response_free(&c.resp);
    free(u);
}

Test(http, total_timeout_gives_a_clear_error_in_time)
{
    int port = start_server(0);
    char *u = url(port, "/sleep?ms=5000");
    struct nbsoar_http_endpoint ep = {.timeout_ms = 300, .max_retries = 1};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_RETRY);
    cr_assert_lt(c.elapsed, 2.0, "took %.3f s", c.elapsed);
    cr_assert_not_null(strstr(c.err, "GET http://127.0.0.1:"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "timed out"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "after 2 attempts"), "%s", c.err);
    http_response_free(&c.resp);
    free(u);
}

Test(http, refused_connection_is_transient)
{
    /* A port nothing listens on: the server's, after it is gone. */
    int port = start_server(0);
    stop_server(0);
    char *u = url(port, "/json");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_RETRY);
    cr_assert_eq(c.resp.status, 0);
    cr_assert_not_null(strstr(c.err, "cannot connect"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "after 4 attempts"), "%s", c.err);
    http_response_free(&c.resp);
    free(u);
}

Test(http, client_error_is_ok_and_quotes_the_server_body)
{
    int port = start_server(0);
    char *u = url(port, "/status?code=404&body=no+such+case&token=abc123");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "DELETE", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK);
    cr_assert_eq(c.resp.status, 404);
    cr_assert_not_null(strstr(c.err, "DELETE http://127.0.0.1:"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "token=***"), "%s", c.err);
    cr_assert_null(strstr(c.err, "abc123"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "HTTP 404: server said: {\"error\": \"no such case\"}"),
                       "%s", c.err);
    http_response_free(&c.resp);
    free(u);
}

Test(http, long_error_body_is_truncated_in_the_message)
{
    int port = start_server(0);
    char path[1200] = "/status?code=400&body=";
    for (int i = 0; i < 1000; i++)
        strcat(path, "x");
    char *u = url(port, path);
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK);
    const char *said = strstr(c.err, "server said: ");
    cr_assert_not_null(said, "%s", c.err);
    cr_assert_lt(strlen(said), 600, "%s", c.err);
    cr_assert_not_null(strstr(said, "xxx..."), "%s", c.err);
    http_response_free(&c.resp);
    free(u);
}

Test(http, auth_header_never_appears_in_messages)
{
    int port = start_server(0);
    const char *token = "sekret-token-98765";
    struct nbsoar_http_endpoint ep = {.auth_header = "Authorization: Bearer sekret-token-98765"};
    /* The server echoes the header back in its error body. */
    char *u = url(port, "/status?code=403&echo=1");
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.resp.status, 403);
    cr_assert_not_null(strstr(c.err, "you sent: ***"), "%s", c.err);
    cr_assert_null(strstr(c.err, token), "%s", c.err);
    http_response_free(&c.resp);
    free(u);
    /* Nor when the secret is in the URL itself and the connection fails. */
    u = url(1, "/x/sekret-token-98765?q=sekret-token-98765");
    ep.max_retries = -1;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_RETRY);
    cr_assert_null(strstr(c.err, token), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "/x/***?q=***"), "%s", c.err);
    http_response_free(&c.resp);
    free(u);
}

struct sink {
    char data[256];
    size_t len;
    int stop_after; /* chunks; 0: never */
    int chunks;
};

static int collect(void *arg, const char *data, size_t len)
{
    struct sink *s = arg;
    if (s->len + len < sizeof(s->data)) {
        memcpy(s->data + s->len, data, len);
        s->len += len;
    }
    return s->stop_after > 0 && ++s->chunks >= s->stop_after;
}

Test(http, stream_hands_over_the_body_and_can_be_aborted)
{
    int port = start_server(0);
    char *u = url(port, "/stream?chunks=3");
    struct sink s = {0};
    struct nbsoar_http_endpoint ep = {.timeout_ms = -1};
    struct nbsoar_http_request req = {.method = "GET", .url = u, .on_data = collect,
                                      .on_data_arg = &s};
    struct nbsoar_http_response resp;
    char err[512];
    cr_assert_eq(http_request(&ep, &req, &resp, err, sizeof(err)), NBSOAR_OK, "%s", err);
    cr_assert_null(resp.body);
    cr_assert_eq(s.len, strlen("line 0\nline 1\nline 2\n"));
    cr_assert_eq(memcmp(s.data, "line 0\nline 1\nline 2\n", s.len), 0);
    http_response_free(&resp);

    struct sink stop = {.stop_after = 1};
    req.on_data_arg = &stop;
    cr_assert_eq(http_request(&ep, &req, &resp, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert_not_null(strstr(err, "aborted by the stream handler"), "%s", err);
    http_response_free(&resp);
    free(u);
}

Test(http, interrupted_stream_is_not_retried_after_data_arrived)
{
    int port = start_server(0);
    char *u = url(port, "/stream?chunks=2&sleep_ms=3000&name=cut");
    struct sink s = {0};
    struct nbsoar_http_endpoint ep = {.timeout_ms = 400};
    struct nbsoar_http_request req = {.method = "GET", .url = u, .on_data = collect,
                                      .on_data_arg = &s};
    struct nbsoar_http_response resp;
    char err[512];
    cr_assert_eq(http_request(&ep, &req, &resp, err, sizeof(err)), NBSOAR_RETRY);
    cr_assert_not_null(strstr(err, "already delivered"), "%s", err);
    cr_assert_eq(server_count(port, "cut"), 1);
    cr_assert_gt(s.len, 0);
    http_response_free(&resp);
    free(u);
}

Test(http, bad_urls_and_headers_are_refused)
{
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", "ftp://127.0.0.1/file", NULL);
    cr_assert_eq(c.rc, NBSOAR_ERROR);
    cr_assert_not_null(strstr(c.err, "GET ftp://127.0.0.1/file: "), "%s", c.err);
    http_response_free(&c.resp);

    const char *smuggle[] = {"X-A: 1\r\nX-B: 2", NULL};
    ep.headers = smuggle;
    call(&c, &ep, "GET", "http://127.0.0.1:1/", NULL);
    cr_assert_eq(c.rc, NBSOAR_ERROR);
    cr_assert_not_null(strstr(c.err, "line break"), "%s", c.err);
    http_response_free(&c.resp);
}

Test(http, bodiless_put_sends_an_empty_body)
{
    int port = start_server(0);
    char *u = url(port, "/echo");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "PUT", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    json_t *h = json_object_get(c.resp.json, "headers");
    cr_assert_str_eq(json_string_value(json_object_get(c.resp.json, "method")), "PUT");
    cr_assert_str_eq(json_string_value(json_object_get(h, "content-length")), "0");
    cr_assert_null(json_object_get(h, "expect"));
    http_response_free(&c.resp);
    free(u);
}

Test(http, redirects_are_reported_not_followed)
{
    int port = start_server(0);
    char *u = url(port, "/redirect");
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    cr_assert_eq(c.resp.status, 302);
    cr_assert_str_eq(c.resp.location, "/json");
    cr_assert_eq(server_count(port, "/json"), 0);
    http_response_free(&c.resp);
    free(u);
}
