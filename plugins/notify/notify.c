/* notify: mail and JSON webhook notifications; operations and their shapes
 * are documented in notify.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"

static const struct nbsoar_config_key notify_config_keys[] = {
    {"smtp_url", NBSOAR_KEY_STRING, NULL, 0,
     "mail server: smtp://host:25, smtp://host:587 (with starttls) or smtps://host:465"},
    {"smtp_user", NBSOAR_KEY_STRING, NULL, 0, "SMTP AUTH user (none: no AUTH)"},
    {"smtp_password", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET, "SMTP AUTH password (use vault:NAME)"},
    {"starttls", NBSOAR_KEY_BOOL, "false", 0, "require STARTTLS on smtp:// (fail rather than send in clear)"},
    {"tls_no_verify", NBSOAR_KEY_BOOL, "false", 0, "do not verify the mail server's certificate"},
    {"ca_file", NBSOAR_KEY_STRING, NULL, 0, "PEM bundle to trust for the mail server"},
    {"smtp_timeout", NBSOAR_KEY_DURATION_MS, "30s", 0, "time one mail may take"},
    {"mail_from", NBSOAR_KEY_STRING, NULL, 0, "sender: a@b or \"Name <a@b>\" (needed with smtp_url)"},
    {"mail_to", NBSOAR_KEY_LIST, NULL, 0, "recipients of job notifications and of Notify without 'to'"},
    {"subject_prefix", NBSOAR_KEY_STRING, "[nbsoar]", 0, "put before every JobFinished subject"},
    {"webhook_url", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET,
     "JSON webhook POSTed for each notification (chat webhook URLs are secrets: use vault:NAME)"},
    {"webhook_token", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET,
     "sent as Authorization: Bearer TOKEN to webhook_url"},
    {"webhook_timeout", NBSOAR_KEY_DURATION_MS, "10s", 0, "time one webhook POST may take"},
    {"notify_on", NBSOAR_KEY_LIST, "*", 0,
     "job statuses that send a JobFinished notification (succeeded, failed, error, timeout, "
     "dead; * for all)"},
    {NULL, 0, NULL, 0, NULL},
};

static const char *const notify_operations[] = {"Notify", "JobFinished", NULL};

static char *conf_dup(const json_t *config, const char *key)
{
    const char *v = json_string_value(json_object_get(config, key));
    return v != NULL && v[0] != '\0' ? strdup(v) : NULL;
}

static long conf_ms(const json_t *config, const char *key, long dflt)
{
    const json_t *v = json_object_get(config, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

/* Hosts older than the mail service have a shorter table. */
static int host_has_mail(const struct nbsoar_host *h)
{
    return h->struct_size >= offsetof(struct nbsoar_host, mail_send) + sizeof(h->mail_send) &&
           h->mail_send != NULL;
}

static int notify_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    struct notify *n = calloc(1, sizeof(*n));
    *state = n;
    if (n == NULL)
        return NBSOAR_ERROR;
    n->host = host;
    n->smtp_url = conf_dup(config, "smtp_url");
    n->smtp_user = conf_dup(config, "smtp_user");
    n->smtp_password = conf_dup(config, "smtp_password");
    n->ca_file = conf_dup(config, "ca_file");
    n->mail_from = conf_dup(config, "mail_from");
    n->starttls = json_is_true(json_object_get(config, "starttls"));
    n->tls_no_verify = json_is_true(json_object_get(config, "tls_no_verify"));
    n->smtp_timeout_ms = conf_ms(config, "smtp_timeout", 30000);
    n->webhook_timeout_ms = conf_ms(config, "webhook_timeout", 10000);
    n->webhook_url = conf_dup(config, "webhook_url");
    char *prefix = conf_dup(config, "subject_prefix");
    n->subject_prefix = prefix != NULL ? prefix : strdup("");
    const json_t *on = json_object_get(config, "notify_on");
    n->notify_on = json_is_array(on) ? json_deep_copy(on) : json_pack("[s]", "*");
    const json_t *to = json_object_get(config, "mail_to");
    n->mail_to = calloc(json_array_size(to) + 1, sizeof(char *));
    for (size_t i = 0; n->mail_to != NULL && i < json_array_size(to); i++)
        n->mail_to[i] = strdup(json_string_value(json_array_get(to, i)));
    char *token = conf_dup(config, "webhook_token");
    if (token != NULL) {
        host->secret_add(host, token);
        if (asprintf(&n->webhook_auth, "Authorization: Bearer %s", token) < 0)
            n->webhook_auth = NULL;
        free(token);
    }
    if (n->smtp_password != NULL)
        host->secret_add(host, n->smtp_password);
    if (n->webhook_url != NULL)
        host->secret_add(host, n->webhook_url);

    if (n->smtp_url == NULL && n->webhook_url == NULL) {
        host->log(host, NBSOAR_LOG_ERROR, "nothing to notify with: set smtp_url or webhook_url");
        return NBSOAR_ERROR;
    }
    if (n->smtp_url != NULL) {
        if (strncmp(n->smtp_url, "smtp://", 7) != 0 && strncmp(n->smtp_url, "smtps://", 8) != 0) {
            host->log(host, NBSOAR_LOG_ERROR, "smtp_url must start with smtp:// or smtps://");
            return NBSOAR_ERROR;
        }
        if (n->mail_from == NULL || n->mail_to == NULL || n->mail_to[0] == NULL) {
            host->log(host, NBSOAR_LOG_ERROR, "smtp_url needs mail_from and mail_to");
            return NBSOAR_ERROR;
        }
        if (!host_has_mail(host)) {
            host->log(host, NBSOAR_LOG_ERROR, "this host has no mail service (mail_send): use webhook_url");
            return NBSOAR_ERROR;
        }
        if (n->smtp_user != NULL && !n->starttls && strncmp(n->smtp_url, "smtp://", 7) == 0)
            host->log(host, NBSOAR_LOG_WARN,
                      "smtp_user over smtp:// without starttls: the password crosses the network in clear");
    }
    if (n->webhook_url != NULL && strncmp(n->webhook_url, "http://", 7) != 0 &&
        strncmp(n->webhook_url, "https://", 8) != 0) {
        host->log(host, NBSOAR_LOG_ERROR, "webhook_url must start with http:// or https://");
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

static void notify_shutdown(void *state)
{
    struct notify *n = state;
    if (n == NULL)
        return;
    free(n->smtp_url);
    free(n->smtp_user);
    free(n->smtp_password);
    free(n->ca_file);
    free(n->mail_from);
    for (size_t i = 0; n->mail_to != NULL && n->mail_to[i] != NULL; i++)
        free(n->mail_to[i]);
    free(n->mail_to);
    free(n->subject_prefix);
    free(n->webhook_url);
    free(n->webhook_auth);
    json_decref(n->notify_on);
    free(n);
}

static int fail(json_t **result, int rc, const char *fmt, ...) NBSOAR_PRINTF(3, 4);

static int fail(json_t **result, int rc, const char *fmt, ...)
{
    char msg[NOTIFY_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    *result = json_pack("{s:s}", "error", msg);
    return rc;
}

/* Mails subject/body to `to` (NULL-terminated).  Adds {"mail": {...}} to out. */
static int send_mail(struct notify *n, const char *const *to, const char *subject, const char *body,
                     json_t *out, char *err, size_t errlen)
{
    struct nbsoar_mail m = {
        .url = n->smtp_url, .from = n->mail_from, .to = to, .subject = subject, .body = body,
        .user = n->smtp_user, .password = n->smtp_password, .starttls = n->starttls,
        .no_verify_tls = n->tls_no_verify, .ca_file = n->ca_file, .timeout_ms = n->smtp_timeout_ms,
    };
    int rc = n->host->mail_send(n->host, &m, err, errlen);
    if (rc == NBSOAR_OK) {
        json_t *list = json_array();
        for (size_t i = 0; to[i] != NULL; i++)
            json_array_append_new(list, json_string(to[i]));
        json_object_set_new(out, "mail", json_pack("{s:o}", "to", list));
    }
    return rc;
}

/* POSTs payload to webhook_url.  Adds {"webhook": {"status": N}} to out. */
static int post_webhook(struct notify *n, const json_t *payload, json_t *out, char *err, size_t errlen)
{
    struct nbsoar_http_endpoint ep = {.auth_header = n->webhook_auth, .timeout_ms = n->webhook_timeout_ms};
    struct nbsoar_http_request req = {.method = "POST", .url = n->webhook_url, .json = payload};
    struct nbsoar_http_response resp;
    int rc = n->host->http(n->host, &ep, &req, &resp, err, errlen);
    long status = resp.status;
    n->host->http_response_free(&resp);
    if (rc != NBSOAR_OK)
        return rc;
    if (status < 200 || status > 299) {
        if (err[0] == '\0')
            snprintf(err, errlen, "webhook answered HTTP %ld", status);
        return NBSOAR_ERROR;
    }
    json_object_set_new(out, "webhook", json_pack("{s:I}", "status", (json_int_t)status));
    return NBSOAR_OK;
}

/* Sends over every configured channel; fills *result. */
static int deliver(struct notify *n, const char *const *to, const char *subject, const char *body,
                   const json_t *payload, json_t **result)
{
    json_t *out = json_object();
    char err[NOTIFY_ERR_MAX] = "";
    int rc = NBSOAR_OK;
    if (n->smtp_url != NULL && to != NULL && to[0] != NULL)
        rc = send_mail(n, to, subject, body, out, err, sizeof(err));
    if (rc == NBSOAR_OK && n->webhook_url != NULL)
        rc = post_webhook(n, payload, out, err, sizeof(err));
    if (rc != NBSOAR_OK) {
        json_decref(out);
        char *clean = n->host->redact(n->host, err);
        n->host->log(n->host, rc == NBSOAR_RETRY ? NBSOAR_LOG_WARN : NBSOAR_LOG_ERROR, "%s",
                     clean != NULL ? clean : err);
        *result = json_pack("{s:s}", "error", clean != NULL ? clean : err);
        free(clean);
        return rc;
    }
    *result = out;
    return NBSOAR_OK;
}

static int status_wanted(const struct notify *n, const char *status)
{
    size_t i;
    const json_t *s;
    json_array_foreach(n->notify_on, i, s) {
        const char *want = json_string_value(s);
        if (want != NULL && (strcmp(want, "*") == 0 || strcmp(want, status) == 0))
            return 1;
    }
    return 0;
}

static int apply_job_finished(struct notify *n, const json_t *op, const struct nbsoar_job *job,
                              json_t **result)
{
    json_t *j = notify_job_object(json_object_get(op, "job"), job);
    const char *status = json_string_value(json_object_get(j, "status"));
    if (status == NULL || json_string_value(json_object_get(j, "id")) == NULL) {
        json_decref(j);
        return fail(result, NBSOAR_ERROR, "JobFinished: job.status and job.id must be strings");
    }
    if (!status_wanted(n, status)) {
        *result = json_pack("{s:s}", "skipped", "status not in notify_on");
        json_decref(j);
        return NBSOAR_OK;
    }
    char *subject = notify_job_subject(n, j), *body = notify_job_body(j);
    const char *link = json_string_value(json_object_get(j, "output_link"));
    if (link == NULL)
        link = json_string_value(json_object_get(j, "output"));
    char *text = NULL;
    if (asprintf(&text, "%s%s%s", subject ? subject : "", link ? "\n" : "", link ? link : "") < 0)
        text = NULL;
    json_t *payload = json_pack("{s:s, s:O, s:s}", "type", "JobFinished", "job", j, "text", text ? text : "");
    int rc = deliver(n, (const char *const *)n->mail_to, subject ? subject : "", body ? body : "",
                     payload, result);
    json_decref(payload);
    free(text);
    free(subject);
    free(body);
    json_decref(j);
    return rc;
}

static int apply_notify(struct notify *n, const json_t *op, const struct nbsoar_job *job, json_t **result)
{
    const char *subject = json_string_value(json_object_get(op, "subject"));
    const char *body = json_string_value(json_object_get(op, "body"));
    if (subject == NULL || body == NULL)
        return fail(result, NBSOAR_ERROR, "Notify: subject and body must be strings");
    const json_t *to = json_object_get(op, "to");
    const char *one[2] = {json_string_value(to), NULL};
    const char **list = NULL;
    if (json_is_array(to)) {
        list = calloc(json_array_size(to) + 1, sizeof(*list));
        for (size_t i = 0; list != NULL && i < json_array_size(to); i++)
            if ((list[i] = json_string_value(json_array_get(to, i))) == NULL) {
                free(list);
                return fail(result, NBSOAR_ERROR, "Notify: every 'to' item must be a string");
            }
    } else if (to != NULL && one[0] == NULL) {
        return fail(result, NBSOAR_ERROR, "Notify: 'to' must be a string or a list of strings");
    }
    const char *const *recipients = list != NULL ? list : one[0] != NULL ? one : (const char *const *)n->mail_to;
    json_t *recipients_json = json_array();
    for (size_t i = 0; recipients != NULL && recipients[i] != NULL; i++)
        json_array_append_new(recipients_json, json_string(recipients[i]));
    json_t *about = json_object();
    if (job != NULL) {
        static const char *const keys[] = {"id", "route", "notebook", "event_id"};
        const char *values[] = {job->id, job->route, job->notebook, job->event_id};
        for (size_t i = 0; i < 4; i++)
            if (values[i] != NULL)
                json_object_set_new(about, keys[i], json_string(values[i]));
    }
    char *text = NULL;
    if (asprintf(&text, "%s\n%s", subject, body) < 0)
        text = NULL;
    json_t *payload = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "type", "Notify", "subject", subject,
                                "body", body, "to", recipients_json, "job", about, "text", text ? text : "");
    int rc = deliver(n, recipients, subject, body, payload, result);
    json_decref(payload);
    free(text);
    free(list);
    return rc;
}

static int notify_apply(void *state, const json_t *operation, const struct nbsoar_job *job, json_t **result)
{
    struct notify *n = state;
    const char *type = json_string_value(json_object_get(operation, "type"));
    if (type != NULL && strcmp(type, "JobFinished") == 0)
        return apply_job_finished(n, operation, job, result);
    if (type != NULL && strcmp(type, "Notify") == 0)
        return apply_notify(n, operation, job, result);
    return fail(result, NBSOAR_ERROR, "notify applies Notify and JobFinished, not '%s'", type ? type : "");
}

static const struct nbsoar_plugin notify_plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = "notify",
    .version = "0.1.0",
    .description = "job notifications: mail over SMTP and a JSON webhook",
    .config = notify_config_keys,
    .init = notify_init,
    .apply = notify_apply,
    .operations = notify_operations,
    .shutdown = notify_shutdown,
};

NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
{
    return &notify_plugin;
}
