/* One request to TheHive through the host's HTTP client, and the answer
 * classified: the host retries transient failures (RETRY), a refusal is
 * final (ERROR) and quotes TheHive's error body, which ScalliGraph writes as
 * {"type", "message"} or, for attribute checks, {"type":
 * "AttributeCheckingError", "errors": [{"name", "message"}]}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thehive.h"

/* "NotFoundError: Case ~1 not found", from whatever TheHive answered. */
static void server_message(const struct nbsoar_http_response *resp, char *out, size_t outlen)
{
    const json_t *body = resp->json;
    const char *type = json_string_value(json_object_get(body, "type"));
    const char *message = json_string_value(json_object_get(body, "message"));
    const json_t *errors = json_object_get(body, "errors");
    if (type != NULL && message != NULL) {
        snprintf(out, outlen, "%s: %s", type, message);
        return;
    }
    if (type != NULL && json_is_array(errors)) {
        size_t n = (size_t)snprintf(out, outlen, "%s:", type);
        size_t i;
        json_t *e;
        json_array_foreach(errors, i, e) {
            const char *m = json_string_value(json_object_get(e, "message"));
            const char *name = json_string_value(json_object_get(e, "name"));
            if (n >= outlen)
                break;
            n += (size_t)snprintf(out + n, outlen - n, "%s %s", i ? ";" : "",
                                  m ? m : (name ? name : "?"));
        }
        return;
    }
    if (resp->body != NULL && resp->body_len > 0)
        snprintf(out, outlen, "%.200s", resp->body);
    else
        snprintf(out, outlen, "(empty answer)");
}

static int transient(long status)
{
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

/* err gets msg with every registered secret masked. */
static void set_error(const struct th_state *st, char *err, size_t errlen, const char *msg)
{
    char *safe = st->host->redact != NULL ? st->host->redact(st->host, msg) : NULL;
    snprintf(err, errlen, "%s", safe != NULL ? safe : msg);
    free(safe);
}

int th_call(const struct th_state *st, const char *method, const char *path,
            const json_t *body, int idempotent, json_t **out, char *err, size_t errlen)
{
    char url[4096];
    char msg[1024];
    if (out != NULL)
        *out = NULL;
    int n = snprintf(url, sizeof(url), "%s%s", st->base_url, path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        snprintf(err, errlen, "%s %s: URL too long", method, path);
        return NBSOAR_ERROR;
    }
    struct nbsoar_http_request req = {
        .method = method,
        .url = url,
        .json = body,
        .idempotent = idempotent,
    };
    struct nbsoar_http_response resp = {0};
    char herr[512] = "";
    int rc = st->host->http(st->host, &st->ep, &req, &resp, herr, sizeof(herr));
    if (rc != NBSOAR_OK) {
        /* herr already names the method and URL. */
        if (transient(resp.status) && resp.status != 0)
            snprintf(msg, sizeof(msg), "TheHive failed, try later: %s", herr);
        else if (herr[0] != '\0')
            snprintf(msg, sizeof(msg), "TheHive unreachable: %s", herr);
        else
            snprintf(msg, sizeof(msg), "%s %s: TheHive unreachable", method, path);
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
    char said[600];
    server_message(&resp, said, sizeof(said));
    if (resp.status == 401)
        snprintf(msg, sizeof(msg), "%s %s: TheHive refused the API key (401 %s); check api_key",
                 method, path, said);
    else if (resp.status == 403)
        snprintf(msg, sizeof(msg), "%s %s: TheHive denied access (403 %s); check organisation "
                 "and the API key's permissions", method, path, said);
    else
        snprintf(msg, sizeof(msg), "%s %s: %ld %s", method, path, resp.status, said);
    set_error(st, err, errlen, msg);
    rc = transient(resp.status) ? NBSOAR_RETRY : NBSOAR_ERROR;
    st->host->http_response_free(&resp);
    return rc;
}
