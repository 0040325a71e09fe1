/* What the HTTP client tells people: URLs with their secrets masked,
 * server error bodies, libcurl failures with a hint. */
#include "http_message.h"
#include "http_client.h"
#include "redact.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ERR_BODY_MAX 500

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

void http_msg_add(char *err, size_t errlen, const char *fmt, ...)
{
    size_t used = strnlen(err, errlen);
    if (used + 1 >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + used, errlen - used, fmt, ap);
    va_end(ap);
}

/* Redacts before cutting, so a cut cannot leave half a secret showing. */
void http_msg_status(char *err, size_t errlen, long status, const char *body)
{
    http_msg_add(err, errlen, "HTTP %ld", status);
    char *clean = body != NULL ? redact_dup(body) : NULL;
    if (clean == NULL)
        return;
    size_t n = strlen(clean);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)clean[i] < 0x20)
            clean[i] = ' ';
    }
    if (n > ERR_BODY_MAX) {
        size_t cut = ERR_BODY_MAX;
        while (cut > 0 && ((unsigned char)clean[cut] & 0xC0) == 0x80)
            cut--;
        strcpy(clean + cut, "...");
    }
    http_msg_add(err, errlen, ": server said: %s", clean);
    free(clean);
}

void http_msg_curl(char *err, size_t errlen, int code, const char *detail, const char *ca_file)
{
    CURLcode rc = (CURLcode)code;
    const char *why = detail[0] != '\0' ? detail : curl_easy_strerror(rc);
    if (rc == CURLE_PEER_FAILED_VERIFICATION && strstr(why, "name") != NULL) {
        http_msg_add(err, errlen, "TLS certificate verification failed: the certificate is "
                     "not for this host name (%s); use a name the certificate was issued "
                     "for, or verify_tls = false to skip verification (insecure)", why);
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
        http_msg_add(err, errlen, "TLS certificate verification failed (%s); set ca_file to "
                     "the PEM of the CA that signed the server's certificate, or "
                     "verify_tls = false to skip verification (insecure)", why);
    } else if (rc == CURLE_SSL_CACERT_BADFILE) {
        http_msg_add(err, errlen, "cannot use ca_file %s (%s)", ca_file ? ca_file : "", why);
    } else if (rc == CURLE_SSL_CONNECT_ERROR) {
        http_msg_add(err, errlen, "TLS handshake failed (%s)", why);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        http_msg_add(err, errlen, "timed out (%s)", why);
    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
               rc == CURLE_COULDNT_RESOLVE_PROXY) {
        http_msg_add(err, errlen, "cannot connect (%s)", why);
    } else {
        http_msg_add(err, errlen, "%s", why);
    }
}
