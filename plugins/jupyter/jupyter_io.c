/* Notebook input and output for the executor: local files, stdin/stdout,
 * http(s) through the host. */
#include "jupyter_io.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "notebook.h"

static int is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

int jupyter_output_is_file(const char *where)
{
    return where && strcmp(where, "-") != 0 && !is_url(where);
}

static char *read_stream(FILE *f, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 65536 > cap) {
            cap = cap ? cap * 2 : 131072;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    *len = n;
    return buf;
}

static json_t *read_url(const struct nbsoar_host *h, const char *url, char *err, size_t errlen)
{
    static const char *const headers[] = {"Accept: application/json", NULL};
    struct nbsoar_http_endpoint ep = {.headers = headers};
    struct nbsoar_http_request req = {.method = "GET", .url = url};
    struct nbsoar_http_response resp = {0};
    char herr[512] = "";
    json_t *nb = NULL;
    if (h->http(h, &ep, &req, &resp, herr, sizeof herr) != NBSOAR_OK)
        snprintf(err, errlen, "%s", herr);
    else if (resp.status < 200 || resp.status > 299)
        snprintf(err, errlen, "GET %s: HTTP %ld", url, resp.status);
    else
        nb = notebook_parse(resp.body ? resp.body : "", resp.body_len, url, err, errlen);
    h->http_response_free(&resp);
    return nb;
}

json_t *jupyter_read_notebook(const struct nbsoar_host *h, const char *where, char *err, size_t errlen)
{
    if (is_url(where))
        return read_url(h, where, err, errlen);
    if (strcmp(where, "-") != 0)
        return notebook_read_file(where, err, errlen);
    size_t len = 0;
    char *text = read_stream(stdin, &len);
    if (!text) {
        snprintf(err, errlen, "<stdin>: out of memory");
        return NULL;
    }
    json_t *nb = notebook_parse(text, len, "<stdin>", err, errlen);
    free(text);
    return nb;
}

static int write_url(const struct nbsoar_host *h, const json_t *nb, const char *url, char *err, size_t errlen)
{
    size_t len;
    char *text = notebook_dumps(nb, &len);
    if (!text) {
        snprintf(err, errlen, "%s: out of memory", url);
        return -1;
    }
    struct nbsoar_http_endpoint ep = {0};
    struct nbsoar_http_request req = {.method = "PUT", .url = url, .body = text, .body_len = len,
                                      .content_type = "application/json"};
    struct nbsoar_http_response resp = {0};
    char herr[512] = "";
    int rc = -1;
    if (h->http(h, &ep, &req, &resp, herr, sizeof herr) != NBSOAR_OK)
        snprintf(err, errlen, "%s", herr);
    else if (resp.status < 200 || resp.status > 299)
        snprintf(err, errlen, "PUT %s: HTTP %ld", url, resp.status);
    else
        rc = 0;
    h->http_response_free(&resp);
    free(text);
    return rc;
}

int jupyter_check_output(const char *where, char *err, size_t errlen)
{
    if (!jupyter_output_is_file(where))
        return 0;
    char *copy = strdup(where);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *dir = dirname(copy);
    struct stat st;
    int rc = 0;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "output folder %s doesn't exist.", dir);
        rc = -1;
    }
    free(copy);
    return rc;
}

int jupyter_write_notebook(const struct nbsoar_host *h, const json_t *nb, const char *where, char *err,
                           size_t errlen)
{
    if (!where)
        return 0;
    if (is_url(where))
        return write_url(h, nb, where, err, errlen);
    if (jupyter_check_output(where, err, errlen) != 0)
        return -1;
    return notebook_write_file(nb, where, err, errlen);
}
