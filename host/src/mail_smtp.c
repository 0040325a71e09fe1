/* Mail over SMTP with libcurl: one plain-text UTF-8 message per call. */
#include "mail_smtp.h"
#include "http_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_client.h"
#include "redact.h"

#define MAIL_DEFAULT_TIMEOUT_MS 30000L
#define MAIL_CONNECT_TIMEOUT_MS 10000L
#define MAIL_MAX_LINE 998 /* RFC 5322: longer lines are folded */

struct text {
    char *s;
    size_t len, cap;
    int failed;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *grown = realloc(t->s, cap);
        if (grown == NULL) {
            t->failed = 1;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

static int has_crlf(const char *s)
{
    return s != NULL && strpbrk(s, "\r\n") != NULL;
}

static int is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

/* RFC 2047 encoded words of at most 45 bytes of UTF-8 each (never
 * splitting a character), folded onto continuation lines. */
static void put_subject(struct text *t, const char *subject)
{
    puts_(t, "Subject: ");
    if (is_ascii(subject)) {
        puts_(t, subject);
        puts_(t, "\r\n");
        return;
    }
    size_t len = strlen(subject);
    for (size_t at = 0; at < len;) {
        size_t n = len - at > 45 ? 45 : len - at;
        while (at + n < len && n > 0 && ((unsigned char)subject[at + n] & 0xC0) == 0x80)
            n--;
        unsigned char b64[80];
        EVP_EncodeBlock(b64, (const unsigned char *)subject + at, (int)n);
        puts_(t, at > 0 ? "\r\n " : "");
        puts_(t, "=?UTF-8?B?");
        puts_(t, (const char *)b64);
        puts_(t, "?=");
        at += n;
    }
    puts_(t, "\r\n");
}

/* "<a@b>" from "a@b" or "Name <a@b>", for MAIL FROM and RCPT TO. */
static char *envelope_address(const char *addr)
{
    const char *open = strrchr(addr, '<');
    char *out = NULL;
    if (open != NULL && strchr(open, '>') != NULL) {
        if (asprintf(&out, "%.*s", (int)(strchr(open, '>') - open + 1), open) < 0)
            return NULL;
        return out;
    }
    return asprintf(&out, "<%s>", addr) < 0 ? NULL : out;
}

static void put_body(struct text *t, const char *body)
{
    size_t col = 0;
    for (const char *p = body; *p; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue;
        if (*p == '\n' || *p == '\r') {
            put(t, "\r\n", 2);
            col = 0;
            continue;
        }
        if (col == MAIL_MAX_LINE) {
            put(t, "\r\n", 2);
            col = 0;
        }
        put(t, p, 1);
        col++;
    }
    if (col > 0)
        put(t, "\r\n", 2);
}

char *mail_smtp_message(const struct nbsoar_mail *m, char *err, size_t errlen)
{
    if (m->from == NULL || m->to == NULL || m->to[0] == NULL || m->subject == NULL) {
        snprintf(err, errlen, "mail needs from, at least one recipient and a subject");
        return NULL;
    }
    int bad = has_crlf(m->from) || has_crlf(m->subject);
    for (size_t i = 0; m->to[i] != NULL; i++)
        bad |= has_crlf(m->to[i]) || m->to[i][0] == '\0';
    for (size_t i = 0; m->headers != NULL && m->headers[i] != NULL; i++)
        bad |= has_crlf(m->headers[i]) || strchr(m->headers[i], ':') == NULL;
    if (bad) {
        snprintf(err, errlen, "mail header value with CR or LF (or an empty recipient, or a header "
                              "line without ':') refused");
        return NULL;
    }
    struct text t = {0};
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S +0000\r\n", &tm);
    puts_(&t, date);
    puts_(&t, "From: ");
    puts_(&t, m->from);
    puts_(&t, "\r\nTo: ");
    for (size_t i = 0; m->to[i] != NULL; i++) {
        puts_(&t, i > 0 ? ",\r\n " : "");
        puts_(&t, m->to[i]);
    }
    puts_(&t, "\r\n");
    put_subject(&t, m->subject);
    unsigned char rnd[12];
    char msgid[80];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        memset(rnd, 0, sizeof(rnd));
    int n = snprintf(msgid, sizeof(msgid), "Message-ID: <%lld.", (long long)now);
    for (size_t i = 0; i < sizeof(rnd); i++)
        n += snprintf(msgid + n, sizeof(msgid) - (size_t)n, "%02x", rnd[i]);
    snprintf(msgid + n, sizeof(msgid) - (size_t)n, "@nbsoar>\r\n");
    puts_(&t, msgid);
    puts_(&t, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: 8bit\r\n");
    for (size_t i = 0; m->headers != NULL && m->headers[i] != NULL; i++) {
        puts_(&t, m->headers[i]);
        puts_(&t, "\r\n");
    }
    puts_(&t, "\r\n");
    put_body(&t, m->body != NULL ? m->body : "");
    if (t.failed) {
        free(t.s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return t.s;
}

struct reader {
    const char *data;
    size_t len, at;
};

static size_t read_message(char *buf, size_t size, size_t n, void *arg)
{
    struct reader *r = arg;
    size_t left = r->len - r->at, want = size * n;
    size_t take = left < want ? left : want;
    memcpy(buf, r->data + r->at, take);
    r->at += take;
    return take;
}

static int classify(CURLcode rc, long smtp_code)
{
    if (smtp_code >= 500)
        return NBSOAR_ERROR;
    if (smtp_code >= 400)
        return NBSOAR_RETRY;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
        return NBSOAR_RETRY;
    default:
        return NBSOAR_ERROR;
    }
}

int mail_smtp_send(const struct nbsoar_mail *m, char *err, size_t errlen)
{
    err[0] = '\0';
    if (m->password != NULL)
        redact_add(m->password);
    if (m->url == NULL || (strncmp(m->url, "smtp://", 7) != 0 && strncmp(m->url, "smtps://", 8) != 0)) {
        snprintf(err, errlen, "mail server URL must start with smtp:// or smtps://");
        return NBSOAR_ERROR;
    }
    char *message = mail_smtp_message(m, err, errlen);
    if (message == NULL)
        return NBSOAR_ERROR;
    char *from = envelope_address(m->from);
    struct curl_slist *rcpt = NULL;
    for (size_t i = 0; m->to[i] != NULL; i++) {
        char *addr = envelope_address(m->to[i]);
        if (addr != NULL)
            rcpt = curl_slist_append(rcpt, addr);
        free(addr);
    }
    CURL *c = http_global_init() == NBSOAR_OK ? curl_easy_init() : NULL;
    if (c == NULL || from == NULL || rcpt == NULL) {
        snprintf(err, errlen, "out of memory");
        curl_easy_cleanup(c);
        curl_slist_free_all(rcpt);
        free(from);
        free(message);
        return NBSOAR_ERROR;
    }
    struct reader r = {.data = message, .len = strlen(message)};
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, m->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(c, CURLOPT_READDATA, &r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, MAIL_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, m->timeout_ms > 0 ? m->timeout_ms : MAIL_DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_USE_SSL, m->starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, m->no_verify_tls ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, m->no_verify_tls ? 0L : 2L);
    if (m->ca_file != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, m->ca_file);
    if (m->user != NULL) {
        curl_easy_setopt(c, CURLOPT_USERNAME, m->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, m->password != NULL ? m->password : "");
    }
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    int result = NBSOAR_OK;
    if (rc != CURLE_OK) {
        char *where = http_url_for_log(m->url);
        result = classify(rc, code);
        snprintf(err, errlen, "mail to %s via %s failed: %s", m->to[0], where ? where : "(server)",
                 curl_err[0] ? curl_err : curl_easy_strerror(rc));
        if (code > 0) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (last SMTP reply %ld)", code);
        }
        free(where);
        redact_buf(err, errlen);
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(rcpt);
    free(from);
    free(message);
    return result;
}
