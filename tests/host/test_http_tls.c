/* The shared HTTP client's TLS options, proxies and URL redaction, against
 * tests/support/http_test_server.py on loopback. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_test_support.h"
#include "redact.h"

TestSuite(http_tls, .init = http_test_setup, .fini = http_test_teardown);

static char *tls_url(int port)
{
    char *u = NULL;
    cr_assert_neq(asprintf(&u, "https://127.0.0.1:%d/json", port), -1);
    return u;
}

/* A GET of the TLS test server (certificate made) succeeds with ep. */
static void expect_get_ok(const struct nbsoar_http_endpoint *ep)
{
    char *u = tls_url(start_server(1));
    struct call c;
    call(&c, ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    cr_assert_eq(c.resp.status, 200);
    http_response_free(&c.resp);
    free(u);
}

Test(http_tls, self_signed_certificate_fails_verification_clearly)
{
    make_certificate();
    char *u = tls_url(start_server(1));
    struct nbsoar_http_endpoint ep = {0};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_ERROR);
    cr_assert_not_null(strstr(c.err, "certificate verification failed"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "ca_file"), "%s", c.err);
    cr_assert_not_null(strstr(c.err, "verify_tls = false"), "%s", c.err);
    cr_assert_null(strstr(c.err, "attempts"), "TLS failures are not retried: %s", c.err);
    http_response_free(&c.resp);
    free(u);
}

Test(http_tls, self_signed_certificate_passes_with_ca_file)
{
    make_certificate();
    char ca[128];
    snprintf(ca, sizeof(ca), "%s/cert.pem", tls_dir);
    struct nbsoar_http_endpoint ep = {.ca_file = ca};
    expect_get_ok(&ep);
}

Test(http_tls, verification_off_accepts_a_self_signed_certificate)
{
    make_certificate();
    struct nbsoar_http_endpoint ep = {.no_verify_tls = 1};
    expect_get_ok(&ep);
}

Test(http_tls, missing_ca_file_is_a_permanent_error)
{
    struct nbsoar_http_endpoint ep = {.ca_file = "/nonexistent/ca.pem"};
    struct call c;
    call(&c, &ep, "GET", "https://127.0.0.1:1/", NULL);
    cr_assert_eq(c.rc, NBSOAR_ERROR);
    cr_assert_not_null(strstr(c.err, "cannot read ca_file /nonexistent/ca.pem"), "%s", c.err);
    http_response_free(&c.resp);
}

Test(http_tls, url_for_log_masks_userinfo_secret_parameters_and_registered_secrets)
{
    struct { const char *in, *out; } cases[] = {
        {"https://user:pw@host/p?token=abc&x=1&api_key=zz#frag",
         "https://***@host/p?token=***&x=1&api_key=***#frag"},
        {"http://h/p?Signature=s1&AWSAccessKeyId=k1&page=2",
         "http://h/p?Signature=***&AWSAccessKeyId=***&page=2"},
        {"https://h/cb#access_token=t0k&state=ok", "https://h/cb#access_token=***&state=ok"},
        {"http://h/p?password=&flag", "http://h/p?password=***&flag"},
        {"h/no-scheme?secret=1", "h/no-scheme?secret=***"},
        {"https://h/items/registered-secret-1/x", "https://h/items/***/x"},
        {"https://h:8443/plain?a=b", "https://h:8443/plain?a=b"},
    };
    redact_add("registered-secret-1");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = http_url_for_log(cases[i].in);
        cr_assert_str_eq(got, cases[i].out, "for %s", cases[i].in);
        free(got);
    }
}

Test(http_tls, certificate_for_another_name_is_reported_as_such)
{
    make_certificate();
    int port = start_server(1);
    char u[128], ca[128];
    /* The certificate names 127.0.0.1, not localhost. */
    snprintf(u, sizeof(u), "https://localhost:%d/json", port);
    snprintf(ca, sizeof(ca), "%s/cert.pem", tls_dir);
    struct nbsoar_http_endpoint ep = {.ca_file = ca};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_ERROR);
    cr_assert_not_null(strstr(c.err, "not for this host name"), "%s", c.err);
    http_response_free(&c.resp);
}

Test(http_tls, proxy_from_the_endpoint_is_used)
{
    int port = start_server(0);
    char proxy[64];
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", port);
    struct nbsoar_http_endpoint ep = {.proxy = proxy};
    struct call c;
    /* .invalid never resolves: only the proxy can answer. */
    call(&c, &ep, "GET", "http://nbsoar-test.invalid/via", NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    cr_assert(json_is_true(json_object_get(c.resp.json, "proxied")));
    cr_assert_str_eq(json_string_value(json_object_get(c.resp.json, "target")),
                     "http://nbsoar-test.invalid/via");
    http_response_free(&c.resp);
}

Test(http_tls, proxy_from_the_environment_and_no_proxy_apply)
{
    int port = start_server(0);
    char proxy[64];
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", port);
    setenv("http_proxy", proxy, 1);
    struct nbsoar_http_endpoint ep = {.max_retries = -1};
    struct call c;
    call(&c, &ep, "GET", "http://nbsoar-test.invalid/env", NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    cr_assert(json_is_true(json_object_get(c.resp.json, "proxied")));
    http_response_free(&c.resp);

    setenv("no_proxy", "nbsoar-test.invalid", 1);
    call(&c, &ep, "GET", "http://nbsoar-test.invalid/env", NULL);
    cr_assert_eq(c.rc, NBSOAR_RETRY, "no_proxy sends it direct, where it cannot resolve");
    http_response_free(&c.resp);
    unsetenv("no_proxy");

    ep.proxy = "";
    call(&c, &ep, "GET", "http://nbsoar-test.invalid/env", NULL);
    cr_assert_eq(c.rc, NBSOAR_RETRY, "proxy = \"\" ignores the environment");
    http_response_free(&c.resp);
}

Test(http_tls, unreachable_proxy_is_named_without_its_password)
{
    struct nbsoar_http_endpoint ep = {.proxy = "http://user:proxy-pass-1@127.0.0.1:1",
                                      .max_retries = -1};
    struct call c;
    call(&c, &ep, "GET", "http://nbsoar-test.invalid/", NULL);
    cr_assert_eq(c.rc, NBSOAR_RETRY);
    cr_assert_not_null(strstr(c.err, "via proxy http://***@127.0.0.1:1"), "%s", c.err);
    cr_assert_null(strstr(c.err, "proxy-pass-1"), "%s", c.err);
    http_response_free(&c.resp);
}
