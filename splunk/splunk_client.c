/* One request to splunkd's REST API (management port, 8089) through the
 * host's HTTP client.  Credentials are a bearer token (Authorization:
 * Bearer) or a session key from POST /services/auth/login (Authorization:
 * Splunk <key>); a session key refused with 401 (expired, splunkd restarted)
 * is renewed once.  splunkd's errors are {"messages": [{"type", "text"}]};
 * notable_update's are {"success": false, "message"}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splunk.h"

char *sp_url_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

int sp_form_add(char **form, const char *name, const char *value)
{
    char *v = sp_url_escape(value);
    if (v == NULL)
        return -1;
    size_t old = *form != NULL ? strlen(*form) : 0;
    size_t n = old + strlen(name) + strlen(v) + 3;
    char *grown = realloc(*form, n);
    if (grown == NULL) {
        free(v);
        return -1;
    }
    snprintf(grown + old, n - old, "%s%s=%s", old > 0 ? "&" : "", name, v);
    *form = grown;
    free(v);
    return 0;
}

void sp_server_message(const json_t *json, const char *body, char *out, size_t outlen)
{
    const json_t *messages = json_object_get(json, "messages");
    size_t n = 0, i;
    json_t *m;
    out[0] = '\0';
    json_array_foreach(messages, i, m) {
        const char *text = json_string_value(json_object_get(m, "text"));
        if (text == NULL || n >= outlen)
            continue;
        n += (size_t)snprintf(out + n, outlen - n, "%s%s", n > 0 ? "; " : "", text);
    }
    if (n > 0)
        return;
    const char *message = json_string_value(json_object_get(json, "message"));
    if (message != NULL)
        snprintf(out, outlen, "%s", message);
    else if (body != NULL && body[0] != '\0')
        snprintf(out, outlen, "%.200s", body);
    else
        snprintf(out, outlen, "(empty answer)");
}

/* err gets msg with every registered secret masked. */
static void set_error(const struct sp_state *st, char *err, size_t errlen, const char *msg)
{
    char *safe = st->host->redact != NULL ? st->host->redact(st->host, msg) : NULL;
    snprintf(err, errlen, "%s", safe != NULL ? safe : msg);
    free(safe);
}

/* A copy of the current auth header and its generation. OWNED; NULL on ENOMEM. */
static char *auth_snapshot(struct sp_state *st, unsigned *generation)
{
    pthread_mutex_lock(&st->auth_lock);
    char *h = st->auth_header != NULL ? strdup(st->auth_header) : NULL;
    *generation = st->auth_generation;
    pthread_mutex_unlock(&st->auth_lock);
    return h;
}

/* One attempt; *status gets the HTTP status (0 without an answer). */
static int attempt(struct sp_state *st, const struct sp_request *rq, const char *auth_header,
                   json_t **out, long *status, char *err, size_t errlen)
{
    char url[8192];
    char msg[1400];
    int n = snprintf(url, sizeof(url), "%s%s", st->base_url, rq->path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        snprintf(err, errlen, "%s %.80s...: URL too long", rq->method, rq->path);
        return NBSOAR_ERROR;
    }
    struct nbsoar_http_endpoint ep = {
        .auth_header = auth_header,
        .no_verify_tls = st->no_verify_tls,
        .ca_file = st->ca_file,
        .proxy = st->proxy,
        .timeout_ms = rq->stream ? -1 : st->timeout_ms,
        .max_retries = st->retries,
    };
    struct nbsoar_http_request req = {
        .method = rq->method,
        .url = url,
        .body = rq->form,
        .body_len = rq->form != NULL ? strlen(rq->form) : 0,
        .content_type = rq->form != NULL ? "application/x-www-form-urlencoded" : NULL,
        .idempotent = rq->idempotent,
        .on_data = rq->on_data,
        .on_data_arg = rq->on_data_arg,
    };
    struct nbsoar_http_response resp = {0};
    char herr[700] = "";
    int rc = st->host->http(st->host, &ep, &req, &resp, herr, sizeof(herr));
    *status = resp.status;
    if (rc != NBSOAR_OK) {
        /* herr names the method and URL, and the status when there was one. */
        if (resp.status >= 200 && resp.status < 300)
            snprintf(msg, sizeof(msg), "Splunk's answer broke off: %s", herr);
        else if (resp.status != 0)
            snprintf(msg, sizeof(msg), "Splunk failed, try later: %s", herr);
        else
            snprintf(msg, sizeof(msg), "%s: %s", rc == NBSOAR_RETRY ? "Splunk unreachable"
                                                                   : "Splunk request failed",
                     herr[0] != '\0' ? herr : rq->path);
        set_error(st, err, errlen, msg);
        st->host->http_response_free(&resp);
        return rc == NBSOAR_RETRY ? NBSOAR_RETRY : NBSOAR_ERROR;
    }
    if (resp.status >= 200 && resp.status < 300) {
        if (out != NULL) {
            *out = resp.json;
            resp.json = NULL;
        }
        st->host->http_response_free(&resp);
        return NBSOAR_OK;
    }
    char said[700];
    sp_server_message(resp.json, resp.body, said, sizeof(said));
    const char *path_only = rq->path;
    char shown[200];
    snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(path_only, "?"), path_only);
    if (resp.status == 401)
        snprintf(msg, sizeof(msg), "%s %s: Splunk refused the credentials (401 %s); check %s",
                 rq->method, shown, said, st->token != NULL ? "token" : "username and password");
    else if (resp.status == 403)
        snprintf(msg, sizeof(msg), "%s %s: Splunk denied access (403 %s); check the user's "
                 "roles and capabilities", rq->method, shown, said);
    else
        snprintf(msg, sizeof(msg), "%s %s: %ld %s", rq->method, shown, resp.status, said);
    set_error(st, err, errlen, msg);
    st->host->http_response_free(&resp);
    return resp.status == 408 ? NBSOAR_RETRY : NBSOAR_ERROR;
}

/* POST /services/auth/login unless another thread already renewed the key
 * since `seen_generation`. */
static int login(struct sp_state *st, unsigned seen_generation, char *err, size_t errlen)
{
    pthread_mutex_lock(&st->auth_lock);
    int fresh = st->auth_header != NULL && st->auth_generation != seen_generation;
    pthread_mutex_unlock(&st->auth_lock);
    if (fresh)
        return NBSOAR_OK;
    char *form = NULL;
    if (sp_form_add(&form, "username", st->username) != 0 ||
        sp_form_add(&form, "password", st->password) != 0 ||
        sp_form_add(&form, "output_mode", "json") != 0) {
        free(form);
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    struct sp_request rq = {.method = "POST", .path = "/services/auth/login", .form = form,
                            .idempotent = 1};
    json_t *out = NULL;
    long status = 0;
    char lerr[1400];
    int rc = attempt(st, &rq, NULL, &out, &status, lerr, sizeof(lerr));
    free(form);
    if (rc != NBSOAR_OK) {
        char msg[1600];
        snprintf(msg, sizeof(msg), "Splunk login as %s failed: %s", st->username, lerr);
        set_error(st, err, errlen, msg);
        return rc;
    }
    const char *key = json_string_value(json_object_get(out, "sessionKey"));
    char *header = NULL;
    if (key == NULL || key[0] == '\0' || strpbrk(key, "\r\n") != NULL) {
        json_decref(out);
        snprintf(err, errlen, "Splunk login as %s: the answer has no sessionKey", st->username);
        return NBSOAR_ERROR;
    }
    st->host->secret_add(st->host, key);
    if (asprintf(&header, "Authorization: Splunk %s", key) < 0) {
        json_decref(out);
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    json_decref(out);
    pthread_mutex_lock(&st->auth_lock);
    free(st->auth_header);
    st->auth_header = header;
    st->auth_generation++;
    st->logins++;
    pthread_mutex_unlock(&st->auth_lock);
    st->host->log(st->host, NBSOAR_LOG_INFO, "logged in to Splunk as %s", st->username);
    return NBSOAR_OK;
}

int sp_auth_ensure(struct sp_state *st, char *err, size_t errlen)
{
    if (st->token != NULL)
        return NBSOAR_OK;
    pthread_mutex_lock(&st->auth_lock);
    int have = st->auth_header != NULL;
    unsigned gen = st->auth_generation;
    pthread_mutex_unlock(&st->auth_lock);
    return have ? NBSOAR_OK : login(st, gen, err, errlen);
}

int sp_call(struct sp_state *st, const struct sp_request *rq, json_t **out, long *status,
            char *err, size_t errlen)
{
    long dummy = 0;
    if (status == NULL)
        status = &dummy;
    if (out != NULL)
        *out = NULL;
    int rc = sp_auth_ensure(st, err, errlen);
    if (rc != NBSOAR_OK)
        return rc;
    unsigned gen = 0;
    char *header = auth_snapshot(st, &gen);
    rc = attempt(st, rq, header, out, status, err, errlen);
    free(header);
    if (rc != NBSOAR_ERROR || *status != 401 || st->token != NULL)
        return rc;
    /* The session key expired or splunkd restarted: log in again, once. */
    st->host->log(st->host, NBSOAR_LOG_INFO, "Splunk session refused (401): logging in again");
    rc = login(st, gen, err, errlen);
    if (rc != NBSOAR_OK)
        return rc;
    header = auth_snapshot(st, &gen);
    rc = attempt(st, rq, header, out, status, err, errlen);
    free(header);
    return rc;
}
