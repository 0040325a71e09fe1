/* The notify sink end to end through the real host services (mail_send over
 * SMTP, http), against a loopback SMTP sink and an HTTP recorder. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_host.h"
#include "host_services.h"
#include "http_client.h"
#include "log.h"
#include "plugin_loader.h"
#include "py_server.h"
#include "redact.h"
#include "test_files.h"

#define WEBHOOK_TOKEN "wh-tok-5e6f7a8b"
#define SMTP_PASSWORD "smtp-pw-1c2d3e"

static struct plugin_set set;
static const struct loaded_plugin *notify;
static struct host_env *env;
static struct plugin_instance *inst;
static char *dir;
static char mail_out[4096], hook_out[4096];
static pid_t smtp_pid, http_pid;
static int smtp_port, http_port;
static char logbuf[65536];
static FILE *log_file;

static void setup(void)
{
    static const char *const proxies[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                          "ALL_PROXY", NULL};
    for (size_t i = 0; proxies[i] != NULL; i++)
        unsetenv(proxies[i]);
    http_global_init();
    memset(logbuf, 0, sizeof(logbuf));
    log_file = fmemopen(logbuf, sizeof(logbuf), "w");
    setvbuf(log_file, NULL, _IONBF, 0);
    log_setup(NBSOAR_LOG_DEBUG, LOG_FORMAT_HUMAN, log_file);
    memset(&set, 0, sizeof(set));
    char path[4096];
    snprintf(path, sizeof(path), "%s/plugins/notify/notify.so", getenv("NBSOAR_BUILD_ROOT"));
    cr_assert_eq(plugin_set_add_file(&set, path), 0, "%s", set.n_refused ? set.refused[0].reason : "");
    notify = plugin_set_find(&set, "notify");
    env = host_env_new(NULL, http_request);
    dir = test_tmpdir("nbsoar-notify");
    snprintf(mail_out, sizeof(mail_out), "%s/mail.jsonl", dir);
    snprintf(hook_out, sizeof(hook_out), "%s/hook.jsonl", dir);
    const char *smtp_args[] = {"--out", mail_out, "--auth", "mailer:" SMTP_PASSWORD, NULL};
    smtp_pid = py_server_start("tests/support/smtp_sink.py", smtp_args, &smtp_port);
    const char *http_args[] = {"--out", hook_out, NULL};
    http_pid = py_server_start("tests/support/http_recorder.py", http_args, &http_port);
    inst = NULL;
}

static void teardown(void)
{
    plugin_instance_stop(inst);
    host_env_free(env);
    plugin_set_free(&set);
    py_server_stop(smtp_pid);
    py_server_stop(http_pid);
    test_rmtree(dir);
    free(dir);
    log_setup(NBSOAR_LOG_INFO, LOG_FORMAT_AUTO, NULL);
    fclose(log_file);
    redact_clear();
}

TestSuite(notify, .init = setup, .fini = teardown, .timeout = 60);

/* Starts the sink with mail and webhook configured, overlaid with extra. */
static int start_with(const char *extra, char *err, size_t errlen)
{
    char base[1024];
    snprintf(base, sizeof(base),
             "{\"smtp_url\": \"smtp://127.0.0.1:%d\", \"smtp_user\": \"mailer\", \"smtp_password\": \""
             SMTP_PASSWORD "\", \"mail_from\": \"nbsoar <nbsoar@example.org>\", \"mail_to\": "
             "[\"soc@example.org\", \"Duty <duty@example.org>\"], \"webhook_url\": "
             "\"http://127.0.0.1:%d/hook\", \"webhook_token\": \"" WEBHOOK_TOKEN "\"}",
             smtp_port, http_port);
    json_t *conf = fake_host_config(&notify->def, base);
    if (extra != NULL) {
        json_t *more = json_loads(extra, 0, NULL);
        cr_assert_not_null(more);
        json_object_update(conf, more);
        json_decref(more);
    }
    int rc = plugin_instance_start(env, notify, "mail", conf, 0, &inst, err, errlen);
    json_decref(conf);
    return rc;
}

static void start(void)
{
    char err[1024];
    cr_assert_eq(start_with(NULL, err, sizeof(err)), NBSOAR_OK, "%s", err);
}

/* Every line of a recorder file.  OWNED: json_decref(). */
static json_t *lines_of(const char *path)
{
    json_t *all = json_array();
    char *text = test_read_file(path, NULL);
    if (text == NULL)
        return all;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
        json_array_append_new(all, json_loads(line, 0, NULL));
    free(text);
    return all;
}

static const char *s(const json_t *v, const char *key)
{
    return json_string_value(json_object_get(v, key));
}

static int apply(const char *op_text, const struct nbsoar_job *job, json_t **result)
{
    json_t *op = json_loads(op_text, 0, NULL);
    cr_assert_not_null(op, "bad test operation %s", op_text);
    int rc = plugin_instance_apply(inst, op, job, result);
    json_decref(op);
    return rc;
}

static const char *const job_finished =
    "{\"type\": \"JobFinished\", \"job\": {\"id\": \"job-42\", \"status\": \"failed\","
    " \"route\": \"phishing\", \"notebook\": \"examples/playbooks/phishing_triage.ipynb\","
    " \"output_link\": \"https://jupyter.example.org/lab/tree/out/job-42.ipynb\","
    " \"error\": \"cell 4: KeyError: 'sender'\", \"duration_s\": 12.5, \"attempt\": 2}}";

Test(notify, job_finished_mails_the_team_and_posts_the_webhook)
{
    start();
    json_t *event = json_pack("{s:s, s:s}", "id", "~40964200", "title", "Reported phishing: invoice");
    struct nbsoar_job job = {.id = "job-42", .event_id = "~40964200", .route = "phishing",
                             .notebook = "examples/playbooks/phishing_triage.ipynb", .event = event};
    json_t *result = NULL;
    cr_assert_eq(apply(job_finished, &job, &result), NBSOAR_OK, "%s", json_dumps(result, 0));
    cr_assert_eq(json_array_size(json_object_get(json_object_get(result, "mail"), "to")), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(result, "webhook"), "status")), 200);
    json_decref(result);

    json_t *mails = lines_of(mail_out);
    cr_assert_eq(json_array_size(mails), 1);
    const json_t *mail = json_array_get(mails, 0);
    cr_assert_str_eq(s(mail, "from"), "<nbsoar@example.org>");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(mail, "to"), 1)), "<duty@example.org>");
    cr_assert_str_eq(s(mail, "auth"), "mailer");
    const char *data = s(mail, "data");
    cr_assert(strstr(data, "Subject: [nbsoar] failed: phishing / phishing_triage.ipynb - "
                           "Reported phishing: invoice\r\n") != NULL, "%s", data);
    cr_assert(strstr(data, "Job job-42 failed after 12.5 s.") != NULL, "%s", data);
    cr_assert(strstr(data, "Route:     phishing\r\n") != NULL, "%s", data);
    cr_assert(strstr(data, "Event:     Reported phishing: invoice (~40964200)\r\n") != NULL, "%s", data);
    cr_assert(strstr(data, "Error:     cell 4: KeyError: 'sender'\r\n") != NULL, "%s", data);
    cr_assert(strstr(data, "Executed notebook: https://jupyter.example.org/lab/tree/out/job-42.ipynb\r\n") != NULL,
              "%s", data);

    json_t *posts = lines_of(hook_out);
    cr_assert_eq(json_array_size(posts), 1);
    const json_t *post = json_array_get(posts, 0);
    cr_assert_str_eq(s(post, "method"), "POST");
    cr_assert_str_eq(s(post, "path"), "/hook");
    cr_assert_str_eq(s(json_object_get(post, "headers"), "authorization"), "Bearer " WEBHOOK_TOKEN);
    json_t *body = json_loads(s(post, "body"), 0, NULL);
    cr_assert_str_eq(s(body, "type"), "JobFinished");
    const json_t *j = json_object_get(body, "job");
    cr_assert_str_eq(s(j, "status"), "failed");
    cr_assert_str_eq(s(j, "route"), "phishing");
    cr_assert_str_eq(s(j, "output_link"), "https://jupyter.example.org/lab/tree/out/job-42.ipynb");
    cr_assert_str_eq(s(j, "event_title"), "Reported phishing: invoice");
    cr_assert(strstr(s(body, "text"), "https://jupyter.example.org/lab/tree/out/job-42.ipynb") != NULL);
    json_decref(body);
    json_decref(posts);
    json_decref(mails);
    json_decref(event);
}

Test(notify, notify_operation_goes_to_its_own_recipients)
{
    start();
    struct nbsoar_job job = {.id = "job-7", .route = "edr", .notebook = "triage.ipynb"};
    json_t *result = NULL;
    cr_assert_eq(apply("{\"type\": \"Notify\", \"subject\": \"Host isolated\", \"body\": \"LAPTOP-88 was isolated.\","
                       " \"to\": [\"ir@example.org\"]}", &job, &result), NBSOAR_OK);
    json_decref(result);
    json_t *mails = lines_of(mail_out);
    const json_t *mail = json_array_get(mails, 0);
    cr_assert_eq(json_array_size(json_object_get(mail, "to")), 1);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(mail, "to"), 0)), "<ir@example.org>");
    cr_assert(strstr(s(mail, "data"), "Subject: Host isolated\r\n") != NULL);
    cr_assert(strstr(s(mail, "data"), "\r\n\r\nLAPTOP-88 was isolated.\r\n") != NULL);
    json_t *posts = lines_of(hook_out);
    json_t *body = json_loads(s(json_array_get(posts, 0), "body"), 0, NULL);
    cr_assert_str_eq(s(body, "type"), "Notify");
    cr_assert_str_eq(s(json_object_get(body, "job"), "route"), "edr");
    json_decref(body);
    json_decref(posts);
    json_decref(mails);
}

Test(notify, statuses_outside_notify_on_send_nothing)
{
    char err[1024];
    cr_assert_eq(start_with("{\"notify_on\": [\"failed\", \"error\"]}", err, sizeof(err)), NBSOAR_OK, "%s", err);
    json_t *result = NULL;
    cr_assert_eq(apply("{\"type\": \"JobFinished\", \"job\": {\"id\": \"j1\", \"status\": \"succeeded\"}}",
                       NULL, &result), NBSOAR_OK);
    cr_assert_not_null(json_object_get(result, "skipped"));
    json_decref(result);
    cr_assert_eq(test_file_exists(mail_out, NULL) || test_file_exists(hook_out, NULL), 0);
}

Test(notify, webhook_5xx_is_retry_4xx_is_error_and_smtp_down_is_retry)
{
    char err[1024], extra[256];
    snprintf(extra, sizeof(extra), "{\"webhook_url\": \"http://127.0.0.1:%d/status/503\"}", http_port);
    cr_assert_eq(start_with(extra, err, sizeof(err)), NBSOAR_OK, "%s", err);
    json_t *result = NULL;
    cr_assert_eq(apply(job_finished, NULL, &result), NBSOAR_RETRY);
    cr_assert_not_null(s(result, "error"));
    json_decref(result);
    plugin_instance_stop(inst);
    snprintf(extra, sizeof(extra), "{\"webhook_url\": \"http://127.0.0.1:%d/status/404\"}", http_port);
    cr_assert_eq(start_with(extra, err, sizeof(err)), NBSOAR_OK, "%s", err);
    cr_assert_eq(apply(job_finished, NULL, &result), NBSOAR_ERROR);
    cr_assert(strstr(s(result, "error"), "404") != NULL, "%s", s(result, "error"));
    json_decref(result);
    plugin_instance_stop(inst);
    cr_assert_eq(start_with("{\"smtp_url\": \"smtp://127.0.0.1:1\"}", err, sizeof(err)), NBSOAR_OK, "%s", err);
    cr_assert_eq(apply(job_finished, NULL, &result), NBSOAR_RETRY);
    json_decref(result);
}

Test(notify, malformed_operations_are_errors)
{
    start();
    static const char *const bad[] = {
        "{\"type\": \"Notify\", \"body\": \"no subject\"}",
        "{\"type\": \"Notify\", \"subject\": \"s\", \"body\": \"b\", \"to\": 5}",
        "{\"type\": \"JobFinished\", \"job\": {\"id\": \"j\"}}",
        "{\"type\": \"AddTagToCase\", \"tag\": \"x\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *result = NULL;
        cr_assert_eq(apply(bad[i], NULL, &result), NBSOAR_ERROR, "case %zu", i);
        cr_assert_not_null(s(result, "error"), "case %zu", i);
        json_decref(result);
    }
    cr_assert_eq(test_file_exists(mail_out, NULL), 0);
}

Test(notify, config_mistakes_refused_at_init)
{
    char err[1024];
    cr_assert_eq(start_with("{\"smtp_url\": \"\", \"webhook_url\": \"\"}", err, sizeof(err)), NBSOAR_ERROR);
    cr_assert(strstr(err, "smtp_url or webhook_url") != NULL, "%s", err);
    cr_assert_eq(start_with("{\"mail_to\": []}", err, sizeof(err)), NBSOAR_ERROR);
    cr_assert(strstr(err, "mail_to") != NULL, "%s", err);
    cr_assert_eq(start_with("{\"smtp_url\": \"mail.example.org\"}", err, sizeof(err)), NBSOAR_ERROR);
}

Test(notify, secrets_stay_out_of_logs_and_results)
{
    start();
    char extra[256], err[1024];
    json_t *result = NULL;
    cr_assert_eq(apply(job_finished, NULL, &result), NBSOAR_OK);
    char *text = json_dumps(result, 0);
    cr_assert(strstr(text, WEBHOOK_TOKEN) == NULL && strstr(text, SMTP_PASSWORD) == NULL);
    free(text);
    json_decref(result);
    plugin_instance_stop(inst);
    snprintf(extra, sizeof(extra), "{\"smtp_password\": \"wrong-%s\"}", SMTP_PASSWORD);
    cr_assert_eq(start_with(extra, err, sizeof(err)), NBSOAR_OK, "%s", err);
    cr_assert_eq(apply(job_finished, NULL, &result), NBSOAR_ERROR);
    cr_assert(strstr(s(result, "error"), SMTP_PASSWORD) == NULL, "%s", s(result, "error"));
    json_decref(result);
    fflush(log_file);
    cr_assert(strstr(logbuf, SMTP_PASSWORD) == NULL && strstr(logbuf, WEBHOOK_TOKEN) == NULL, "%s", logbuf);
}

Test(notify, a_host_without_mail_service_refuses_smtp_url)
{
    struct fake_host *fh = fake_host_new("mail");
    json_t *conf = fake_host_config(&notify->def, "{\"smtp_url\": \"smtp://127.0.0.1:25\", "
                                                  "\"mail_from\": \"a@example.org\", \"mail_to\": [\"b@example.org\"]}");
    void *state = NULL;
    cr_assert_eq(notify->def.init(&fh->host, conf, &state), NBSOAR_ERROR);
    cr_assert(strstr(fake_host_log(fh), "no mail service") != NULL, "%s", fake_host_log(fh));
    notify->def.shutdown(state);
    json_decref(conf);
    fake_host_free(fh);
}
