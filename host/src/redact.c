#include "redact.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define REDACT_MIN_LEN 4
#define REDACT_MASK "***"

static pthread_mutex_t redact_lock = PTHREAD_MUTEX_INITIALIZER;
static char **secrets;
static size_t n_secrets;

void redact_add(const char *secret)
{
    if (secret == NULL || strlen(secret) < REDACT_MIN_LEN)
        return;
    pthread_mutex_lock(&redact_lock);
    for (size_t i = 0; i < n_secrets; i++) {
        if (strcmp(secrets[i], secret) == 0) {
            pthread_mutex_unlock(&redact_lock);
            return;
        }
    }
    char **grown = realloc(secrets, (n_secrets + 1) * sizeof(*secrets));
    char *copy = strdup(secret);
    if (grown != NULL)
        secrets = grown;
    if (grown != NULL && copy != NULL)
        secrets[n_secrets++] = copy;
    else
        free(copy);
    pthread_mutex_unlock(&redact_lock);
}

/* Replaces every occurrence of one secret; returns a new string or NULL. */
static char *replace_all(const char *text, const char *secret)
{
    size_t slen = strlen(secret), count = 0;
    for (const char *p = strstr(text, secret); p != NULL; p = strstr(p + slen, secret))
        count++;
    if (count == 0)
        return strdup(text);
    size_t out_len = strlen(text) - count * slen + count * strlen(REDACT_MASK);
    char *out = malloc(out_len + 1);
    if (out == NULL)
        return NULL;
    char *w = out;
    const char *r = text;
    for (const char *p = strstr(r, secret); p != NULL; p = strstr(r, secret)) {
        memcpy(w, r, (size_t)(p - r));
        w += p - r;
        memcpy(w, REDACT_MASK, strlen(REDACT_MASK));
        w += strlen(REDACT_MASK);
        r = p + slen;
    }
    strcpy(w, r);
    return out;
}

char *redact_dup(const char *text)
{
    if (text == NULL)
        return NULL;
    char *cur = strdup(text);
    pthread_mutex_lock(&redact_lock);
    for (size_t i = 0; i < n_secrets && cur != NULL; i++) {
        if (strstr(cur, secrets[i]) == NULL)
            continue;
        char *next = replace_all(cur, secrets[i]);
        free(cur);
        cur = next;
    }
    pthread_mutex_unlock(&redact_lock);
    return cur;
}

void redact_buf(char *buf, size_t size)
{
    if (buf == NULL || size == 0)
        return;
    char *clean = redact_dup(buf);
    if (clean == NULL)
        return;
    strncpy(buf, clean, size - 1);
    buf[size - 1] = '\0';
    free(clean);
}

void redact_clear(void)
{
    pthread_mutex_lock(&redact_lock);
    for (size_t i = 0; i < n_secrets; i++)
        free(secrets[i]);
    free(secrets);
    secrets = NULL;
    n_secrets = 0;
    pthread_mutex_unlock(&redact_lock);
}
