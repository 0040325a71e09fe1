/* mail_send's SMTP client (host/src/mail_smtp.c) against the loopback
 * SMTP sink tests/support/smtp_sink.py. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_client.h"
#include "mail_smtp.h"
#include "py_server.h"
#include "redact.h"
#include "test_files.h"

static char *dir;
static char out[4096];
static pid_t sink;
static int port;
static char url[64];

static void setup(void)
{
    http_global_init();
    dir = test_tmpdir("nbsoar-mail");
    snprintf(out, sizeof(out), "%s/mail.jsonl", dir);
    sink = 0;
}

static void teardown(void)
{
    py_server_stop(sink);
    test_rmtree(dir);
    free(dir);
    redact_clear();
}

TestSuite(mail_smtp, .init = setup, .fini = teardown, .timeout = 30);

static void start_sink(const char *extra1, const char *extra2)
{
    const char *args[] = {"--out", out, extra1, extra2, NULL};
    sink = py_server_start("tests/support/smtp_sink.py", args, &port);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
}

/* The n-th message the sink received.  OWNED: json_decref(). */
static json_t *received(int n)
{
    char *text = test_read_file(out, NULL);
    cr_assert_not_null(text, "the sink received nothing");
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    for (int i = 0; i < n && line != NULL; i++)
        line = strtok_r(NULL, "\n", &save);
    cr_assert_not_null(line, "no message %d", n);
    json_t *v = json_loads(line, 0, NULL);
    free(text);
    cr_assert_not_null(v);
    return v;
}

static const char *const two[] = {"soc@example.org", "Duty Analyst <duty@example.org>", NULL};

Test(mail_smtp, message_reaches_the_server_with_headers_and_crlf_body)
{
    start_sink(NULL, NULL);
    struct nbsoar_mail m = {.url = url, .from = "nbsoar <nbsoar@example.org>", .to = two,
                            .subject = "[nbsoar] failed: phishing", .body = "line one\nline two\n.dot line\n"};
    char err[512];
    cr_assert_eq(mail_smtp_send(&m, err, sizeof(err)), NBSOAR_OK, "%s", err);
    json_t *msg = received(0);
    cr_assert_str_eq(json_string_value(json_object_get(msg, "from")), "<nbsoar@example.org>");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(msg, "to"), 0)), "<soc@example.org>");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(msg, "to"), 1)), "<duty@example.org>");
    const char *data = json_string_value(json_object_get(msg, "data"));
    cr_assert(strstr(data, "Subject: [nbsoar] failed: phishing\r\n") != NULL, "%s", data);
    cr_assert(strstr(data, "From: nbsoar <nbsoar@example.org>\r\n") != NULL, "%s", data);
    cr_assert(strstr(data, "Content-Type: text/plain; charset=UTF-8\r\n") != NULL, "%s", data);
    cr_assert(strstr(data, "\r\n\r\nline one\r\nline two\r\n.dot line\r\n") != NULL, "%s", data);
    json_decref(msg);
}

Test(mail_smtp, non_ascii_subject_is_encoded_and_header_injection_refused)
{
    struct nbsoar_mail m = {.url = "smtp://127.0.0.1:1", .from = "a@example.org", .to = two,
                            .subject = "Échec du carnet d’investigation", .body = "x"};
    char err[512];
    char *text = mail_smtp_message(&m, err, sizeof(err));
    cr_assert_not_null(text, "%s", err);
    cr_assert(strstr(text, "Subject: =?UTF-8?B?") != NULL, "%s", text);
    free(text);
    m.subject = "hi\r\nBcc: victim@example.org";
    cr_assert_eq(mail_smtp_send(&m, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert(strstr(err, "CR or LF") != NULL, "%s", err);
}

Test(mail_smtp, auth_credentials_used_and_password_never_in_errors)
{
    start_sink("--auth", "mailer:pa55-w0rd-xyz");
    const char *const one[] = {"soc@example.org", NULL};
    struct nbsoar_mail m = {.url = url, .from = "a@example.org", .to = one, .subject = "s", .body = "b",
                            .user = "mailer", .password = "pa55-w0rd-xyz"};
    char err[512];
    cr_assert_eq(mail_smtp_send(&m, err, sizeof(err)), NBSOAR_OK, "%s", err);
    json_t *msg = received(0);
    cr_assert_str_eq(json_string_value(json_object_get(msg, "auth")), "mailer");
    json_decref(msg);
    m.password = "wrong-pass-1234";
    cr_assert_eq(mail_smtp_send(&m, err, sizeof(err)), NBSOAR_ERROR, "refused AUTH is final");
    cr_assert(strstr(err, "wrong-pass-1234") == NULL, "%s", err);
    cr_assert(strstr(err, "127.0.0.1") != NULL, "names the server: %s", err);
}

Test(mail_smtp, smtp_4xx_is_retry_and_5xx_is_error)
{
    start_sink("--rcpt-code", "450");
    const char *const one[] = {"soc@example.org", NULL};
    struct nbsoar_mail m = {.url = url, .from = "a@example.org", .to = one, .subject = "s", .body = "b"};
    char err[512];
    cr_assert_eq(mail_smtp_send(&m, err, sizeof(err)), NBSOAR_RETRY, "%s", err);
    cr_assert(strstr(err, "450") != NULL, "%s", err);
    py_server_stop(sink);
    start_sink("--rcpt-code", "550");
    m.url = url;
    cr_assert_eq(mail_smtp_send(&m, err, sizeof(err)), NBSOAR_ERROR, "%s", err);
}

Test(mail_smtp, unreachable_server_is_retry_and_bad_url_is_error)
{
    const char *const one[] = {"soc@example.org", NULL};
    struct nbsoar_mail m = {.url = "smtp://127.0.0.1:1", .from = "a@example.org", .to = one,
                            .subject = "s", .body = "b"};
    char err[512];
    cr_assert_eq(mail_smtp_send(&m, err, sizeof(err)), NBSOAR_RETRY, "%s", err);
    m.url = "http://127.0.0.1:1";
    cr_assert_eq(mail_smtp_send(&m, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert(strstr(err, "smtp://") != NULL, "%s", err);
}

Test(mail_smtp, starttls_required_but_not_offered_fails)
{
    start_sink(NULL, NULL);
    const char *const one[] = {"soc@example.org", NULL};
    struct nbsoar_mail m = {.url = url, .from = "a@example.org", .to = one, .subject = "s", .body = "b",
                            .starttls = 1};
    char err[512];
    cr_assert_eq(mail_smtp_send(&m, err, sizeof(err)), NBSOAR_ERROR, "%s", err);
    cr_assert_eq(access(out, F_OK), -1, "nothing sent in clear");
}
