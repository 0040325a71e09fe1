/* HMAC-SHA256 message signatures (RFC 2104) over SHA-256's low-level
 * interface: OpenSSL 3's EVP layer would build its provider store on first
 * use, 2 MB of resident memory in a process that otherwise needs none of
 * it.  The keyed inner and outer states are computed once per kernel and
 * copied for each message. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "kernel_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

struct kernel_signer {
    int keyed;
    SHA256_CTX inner, outer; /* after the ipad / opad block */
};

struct kernel_signer *kernel_signer_new(const char *key, size_t keylen, char *err, size_t errlen)
{
    struct kernel_signer *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (keylen == 0)
        return s;
    unsigned char block[SHA256_CBLOCK] = {0}, pad[SHA256_CBLOCK];
    if (keylen > sizeof block)
        SHA256((const unsigned char *)key, keylen, block);
    else
        memcpy(block, key, keylen);
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = block[i] ^ 0x36;
    SHA256_Init(&s->inner);
    SHA256_Update(&s->inner, pad, sizeof pad);
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&s->outer);
    SHA256_Update(&s->outer, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    s->keyed = 1;
    return s;
}

void kernel_signer_free(struct kernel_signer *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

static void mac_parts(const struct kernel_signer *s, const void *const part[4], const size_t len[4],
                      unsigned char out[SHA256_DIGEST_LENGTH])
{
    SHA256_CTX c = s->inner;
    for (int i = 0; i < 4; i++)
        SHA256_Update(&c, part[i], len[i]);
    unsigned char inner[SHA256_DIGEST_LENGTH];
    SHA256_Final(inner, &c);
    c = s->outer;
    SHA256_Update(&c, inner, sizeof inner);
    SHA256_Final(out, &c);
}

int kernel_signer_sign(struct kernel_signer *s, const void *const part[4], const size_t len[4], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char mac[SHA256_DIGEST_LENGTH];
    hex[0] = '\0';
    if (!s->keyed)
        return 0;
    mac_parts(s, part, len, mac);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}

int kernel_signer_verify(struct kernel_signer *s, const void *const part[4], const size_t len[4],
                         const char *sig, size_t siglen)
{
    char want[65];
    if (!s->keyed)
        return 1;
    if (siglen != 64 || kernel_signer_sign(s, part, len, want) != 0)
        return 0;
    return CRYPTO_memcmp(want, sig, 64) == 0;
}
