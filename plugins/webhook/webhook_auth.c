/* webhook authentication: bearer token and HMAC-SHA256 signature, both
 * compared in constant time. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "webhook.h"

/* Tokens are compared through their digests: equal lengths, so neither the
 * length nor a common prefix shows in the timing. */
static int same_secret(const char *given, size_t given_len, const char *want)
{
    unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    unsigned int alen = 0, blen = 0;
    if (EVP_Digest(given, given_len, a, &alen, EVP_sha256(), NULL) != 1 ||
        EVP_Digest(want, strlen(want), b, &blen, EVP_sha256(), NULL) != 1 || alen != blen)
        return 0;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

int wh_token_ok(const struct wh_path *p, const struct wh_request *req)
{
    const char *v = wh_header(req, p->token_header);
    if (v == NULL)
        return 0;
    if (strcasecmp(p->token_header, "Authorization") == 0) {
        if (strncasecmp(v, "Bearer ", 7) != 0)
            return 0;
        v += 7;
        v += strspn(v, " ");
    }
    return same_secret(v, strlen(v), p->token);
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)tolower((unsigned char)ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int wh_hmac_ok(const struct wh_path *p, const struct wh_request *req)
{
    const char *v = wh_header(req, p->hmac_header);
    if (v == NULL)
        return 0;
    if (strncasecmp(v, "sha256=", 7) == 0)
        v += 7;
    unsigned char given[32];
    if (strlen(v) != 2 * sizeof(given))
        return 0;
    for (size_t i = 0; i < sizeof(given); i++) {
        int hi = hex_value(v[2 * i]), lo = hex_value(v[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        given[i] = (unsigned char)(hi << 4 | lo);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (HMAC(EVP_sha256(), p->hmac_secret, (int)strlen(p->hmac_secret),
             (const unsigned char *)req->body, req->body_len, md, &mdlen) == NULL ||
        mdlen != sizeof(given))
        return 0;
    return CRYPTO_memcmp(md, given, sizeof(given)) == 0;
}

void wh_sha256_id(const char *data, size_t len, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    snprintf(out, outlen, "sha256:");
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
        return;
    for (unsigned int i = 0; i < mdlen && 7 + 2 * i + 2 < outlen; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}
