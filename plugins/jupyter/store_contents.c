/* Notebooks through the Jupyter contents API (see the header). */
#include "store_contents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "notebook.h"
#include "pyjson.h"

#define CONTENTS "/api/contents/"

static int is_http(const char *s)
{
    return s && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0);
}

int contents_is_url(const char *where)
{
    if (!is_http(where))
        return 0;
    const char *path = strchr(strstr(where, "://") + 3, '/');
    return path && strstr(path, CONTENTS) != NULL;
}

static long call(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const char *method,
                 const char *url, const char *body, size_t body_len, struct nbsoar_http_response *resp,
                 char *err, size_t errlen)
{
    struct nbsoar_http_request req = {.method = method, .url = url, .body = body, .body_len = body_len,
                                      .content_type = body ? "application/json" : NULL};
    err[0] = '\0';
    int rc = h->http(h, ep, &req, resp, err, errlen);
    return rc == NBSOAR_OK || resp->status ? resp->status : 0;
}

static void explain(long status, const char *method, const char *url, char *err, size_t errlen)
{
    char detail[700];
    snprintf(detail, sizeof detail, "%s", err);
    if (status == 401 || status == 403)
        snprintf(err, errlen, "%s %s: HTTP %ld: the server refused the token", method, url, status);
    else if (status == 404)
        snprintf(err, errlen, "%s %s: HTTP 404: no such notebook or folder on the server", method, url);
    else if (!detail[0])
        snprintf(err, errlen, "%s %s: HTTP %ld", method, url, status);
}

json_t *contents_read(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const char *url,
                      char *err, size_t errlen)
{
    char *full = NULL;
    if (asprintf(&full, "%s%stype=notebook&content=1", url, strchr(url, '?') ? "&" : "?") < 0) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct nbsoar_http_response resp = {0};
    long st = call(h, ep, "GET", full, NULL, 0, &resp, err, errlen);
    json_t *nb = NULL;
    if (st != 200) {
        explain(st, "GET", url, err, errlen);
    } else {
        char jerr[256];
        json_t *model = pyjson_loads(resp.body ? resp.body : "", resp.body_len, 0, jerr, sizeof jerr);
        json_t *content = json_object_get(model, "content");
        const char *type = json_string_value(json_object_get(model, "type"));
        size_t len = 0;
        char *text = json_is_object(content) ? pyjson_dumps(content, 0, 0, &len) : NULL;
        if (!model)
            snprintf(err, errlen, "GET %s: the answer is not JSON: %s", url, jerr);
        else if (!text)
            snprintf(err, errlen, "GET %s: the contents model has no notebook content (type %s)", url,
                     type ? type : "?");
        else
            nb = notebook_parse(text, len, url, err, errlen);
        free(text);
        json_decref(model);
    }
    h->http_response_free(&resp);
    free(full);
    return nb;
}

/* Every folder between the contents root and the notebook, root first. */
static int make_parents(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const char *url,
                        char *err, size_t errlen)
{
    const char *root = strstr(strchr(strstr(url, "://") + 3, '/'), CONTENTS) + strlen(CONTENTS);
    const char *last = strrchr(root, '/');
    for (const char *p = root; last && p < last;) {
        const char *slash = strchr(p, '/');
        if (slash > p) {
            char *dir = strndup(url, (size_t)(slash - url));
            struct nbsoar_http_response resp = {0};
            long st = dir ? call(h, ep, "GET", dir, NULL, 0, &resp, err, errlen) : 0;
            h->http_response_free(&resp);
            if (st == 404) {
                static const char body[] = "{\"type\": \"directory\"}";
                st = call(h, ep, "PUT", dir, body, sizeof body - 1, &resp, err, errlen);
                h->http_response_free(&resp);
                if (st != 201 && st != 200) {
                    explain(st, "PUT (new folder)", dir, err, errlen);
                    free(dir);
                    return -1;
                }
            } else if (st != 200) {
                explain(st, "GET (folder)", dir ? dir : url, err, errlen);
                free(dir);
                return -1;
            }
            free(dir);
        }
        p = slash + 1;
    }
    return 0;
}

int contents_write(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const json_t *nb,
                   const char *url, char *err, size_t errlen)
{
    if (make_parents(h, ep, url, err, errlen) != 0)
        return -1;
    size_t len;
    char *text = notebook_dumps(nb, &len);
    char *body = NULL;
    int n = text ? asprintf(&body, "{\"type\": \"notebook\", \"format\": \"json\", \"content\": %s}", text) : -1;
    free(text);
    if (n < 0) {
        snprintf(err, errlen, "%s: out of memory", url);
        return -1;
    }
    struct nbsoar_http_response resp = {0};
    long st = call(h, ep, "PUT", url, body, (size_t)n, &resp, err, errlen);
    h->http_response_free(&resp);
    free(body);
    if (st == 200 || st == 201)
        return 0;
    explain(st, "PUT", url, err, errlen);
    return -1;
}

char *contents_browser_link(const char *url)
{
    if (!contents_is_url(url))
        return NULL;
    const char *at = strstr(strchr(strstr(url, "://") + 3, '/'), CONTENTS);
    char *link = NULL;
    if (asprintf(&link, "%.*s/lab/tree/%s", (int)(at - url), url, at + strlen(CONTENTS)) < 0)
        return NULL;
    return link;
}

char *output_expand_folder(const char *where, time_t t)
{
    const char *slash = strrchr(where, '/');
    if (!slash || !memchr(where, '%', (size_t)(slash - where)))
        return strdup(where);
    size_t flen = (size_t)(slash - where);
    if (flen > 4096)
        return NULL;
    char fmt[4100], folder[8192];
    memcpy(fmt, where, flen);
    fmt[flen] = '\0';
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(folder, sizeof folder, fmt, &tm);
    if (n == 0)
        return NULL;
    char *out = NULL;
    if (asprintf(&out, "%s%s", folder, slash) < 0)
        return NULL;
    return out;
}
