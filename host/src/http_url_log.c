/* http_url_for_log(): a URL with its secrets masked, for messages. */
#include "http_client.h"
#include "redact.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MASK "***"

/* Parts of query parameter names that mark the value as a secret. */
static const char *const secret_words[] = {
    "token", "key", "pass", "secret", "auth", "sig", "session", "credential", NULL,
};

static int name_is_secret(const char *name, size_t len)
{
    for (const char *const *w = secret_words; *w != NULL; w++) {
        size_t wl = strlen(*w);
        for (size_t i = 0; i + wl <= len; i++) {
            if (strncasecmp(name + i, *w, wl) == 0)
                return 1;
        }
    }
    return 0;
}

static char *put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}

/* Copies "k=v&k=v..." from [p, end), masking secret-named values. */
static char *put_params(char *w, const char *p, const char *end)
{
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq != NULL && name_is_secret(p, (size_t)(eq - p))) {
            w = put(w, p, (size_t)(eq - p + 1));
            w = put(w, MASK, strlen(MASK));
        } else {
            w = put(w, p, (size_t)(stop - p));
        }
        if (amp != NULL)
            *w++ = '&';
        p = amp != NULL ? amp + 1 : end;
    }
    return w;
}

char *http_url_for_log(const char *url)
{
    if (url == NULL)
        return strdup("(no URL)");
    size_t n = strlen(url);
    /* Each masked part grows by at most strlen(MASK); parts need >= 1 byte. */
    char *out = malloc(n * (1 + strlen(MASK)) + strlen(MASK) + 1);
    if (out == NULL)
        return NULL;
    char *w = out;
    const char *p = url, *end = url + n;

    const char *scheme_end = strstr(p, "://");
    if (scheme_end != NULL && scheme_end < p + strcspn(p, "/?#")) {
        w = put(w, p, (size_t)(scheme_end + 3 - p));
        p = scheme_end + 3;
        const char *auth_end = p + strcspn(p, "/?#");
        const char *at = NULL;
        for (const char *q = p; q < auth_end; q++) {
            if (*q == '@')
                at = q;
        }
        if (at != NULL) {
            w = put(w, MASK, strlen(MASK));
            p = at;
        }
        w = put(w, p, (size_t)(auth_end - p));
        p = auth_end;
    }
    const char *path_end = p + strcspn(p, "?#");
    w = put(w, p, (size_t)(path_end - p));
    p = path_end;
    if (*p == '?') {
        *w++ = '?';
        p++;
        const char *query_end = p + strcspn(p, "#");
        w = put_params(w, p, query_end);
        p = query_end;
    }
    if (*p == '#') {
        *w++ = '#';
        p++;
        w = put_params(w, p, end);
    }
    *w = '\0';
    char *clean = redact_dup(out);
    free(out);
    return clean;
}
