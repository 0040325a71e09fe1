/* Fuzz target for the notebook reader (and the JSON / YAML loaders it
 * shares code with).  Properties checked on every input:
 *   - notebook_parse never crashes; an error always has a message;
 *   - an accepted notebook written by notebook_dumps reads back, and writing
 *     that again gives the same bytes (the writer is a fixed point);
 *   - pyjson_loads -> pyjson_dumps -> pyjson_loads -> pyjson_dumps is stable;
 *   - pyyaml_load never crashes.
 *
 * Two ways to run it:
 *   libFuzzer:  built by meson as fuzz_notebook_reader_libfuzzer when the
 *               compiler is clang (CC=clang meson setup build-fuzz), then
 *               build-fuzz/tests/jupyter/fuzz_notebook_reader_libfuzzer
 *               <corpus dir> <fixtures dir>
 *   plain:      fuzz_notebook_reader SECONDS MAX_ITERATIONS FILE_OR_DIR...
 *               mutates the given notebooks (bit flips, byte edits, token
 *               insertions, splices) and runs every property; it is part of
 *               the normal test suite with a bound of a few seconds. */
#include "notebook.h"
#include "pyjson.h"
#include "pyyaml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what, const uint8_t *data, size_t size)
{
    fprintf(stderr, "fuzz property failed: %s (input of %zu bytes saved to fuzz-failure.ipynb)\n", what, size);
    FILE *f = fopen("fuzz-failure.ipynb", "wb");
    if (f) {
        fwrite(data, 1, size, f);
        fclose(f);
    }
    abort();
}

static void check_json_round_trip(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *v = pyjson_loads((const char *)data, size, 0, err, sizeof err);
    if (!v) {
        if (!err[0])
            fail("pyjson_loads error without message", data, size);
        return;
    }
    size_t n1, n2;
    char *a = pyjson_dumps(v, 1, 1, &n1);
    json_t *w = a ? pyjson_loads(a, n1, 0, err, sizeof err) : NULL;
    char *b = w ? pyjson_dumps(w, 1, 1, &n2) : NULL;
    if (!a || !w || !b || n1 != n2 || memcmp(a, b, n1))
        fail("pyjson dump/load is not stable", data, size);
    free(a);
    free(b);
    json_decref(v);
    json_decref(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    json_t *nb = notebook_parse((const char *)data, size, "fuzz", err, sizeof err);
    if (!nb) {
        if (!err[0])
            fail("notebook_parse error without message", data, size);
    } else {
        size_t n1, n2;
        char *first = notebook_dumps(nb, &n1);
        if (!first)
            fail("notebook_dumps failed", data, size);
        json_t *again = notebook_parse(first, n1, "fuzz-rewritten", err, sizeof err);
        if (!again)
            fail(err, data, size);
        char *second = notebook_dumps(again, &n2);
        if (!second || n1 != n2 || memcmp(first, second, n1))
            fail("written notebook does not read back to the same bytes", data, size);
        free(first);
        free(second);
        json_decref(again);
        json_decref(nb);
    }
    check_json_round_trip(data, size);
    json_decref(pyyaml_load((const char *)data, size, "fuzz", err, sizeof err));
    return 0;
}

#ifndef NBSOAR_LIBFUZZER
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

struct input {
    uint8_t *data;
    size_t size;
};

static struct input *inputs;
static size_t ninputs;
static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void load(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t l = strlen(e->d_name);
            if (l > 6 && !strcmp(e->d_name + l - 6, ".ipynb")) {
                char p[4096];
                snprintf(p, sizeof p, "%s/%s", path, e->d_name);
                load(p);
            }
        }
        if (d)
            closedir(d);
        return;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    struct input in = {malloc((size_t)st.st_size + 1), (size_t)st.st_size};
    if (in.data && fread(in.data, 1, in.size, f) == in.size) {
        inputs = realloc(inputs, (ninputs + 1) * sizeof *inputs);
        inputs[ninputs++] = in;
    } else {
        free(in.data);
    }
    fclose(f);
}

static const char *const tokens[] = {
    "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u0000", "\\ud800", "\\ud83d\\ude00", "\xff", "\xc3", "\xe2\x80\xa8",
    "NaN", "-Infinity", "1e400", "-0.0", "123456789012345678901234567890", "null", "true", "\"cells\"",
    "\"outputs\"", "\"source\"", "\"id\"", "\"nbformat_minor\": 5", "\"nbformat\": 3", "\r\n", "\x0b", "\x85",
    "[[[[[[[[[[[[[[[[", "\"text/plain\"", "\"application/json\"", "\"stream\"", "\"execute_result\"", "&a", "*a",
    "<<: ", "- ", "!!binary ", "\t",
};

/* One random edit of buf (of capacity cap) in place; returns the new size. */
static size_t mutate(uint8_t *buf, size_t size, size_t cap)
{
    size_t pos = size ? rnd() % size : 0;
    switch (rnd() % 6) {
    case 0:
        if (size)
            buf[pos] ^= (uint8_t)(1u << (rnd() % 8));
        return size;
    case 1:
        if (size)
            buf[pos] = (uint8_t)rnd();
        return size;
    case 2: { /* delete a run */
        size_t n = size ? 1 + rnd() % (size - pos < 64 ? size - pos : 64) : 0;
        memmove(buf + pos, buf + pos + n, size - pos - n);
        return size - n;
    }
    case 3: { /* insert a token */
        const char *t = tokens[rnd() % (sizeof tokens / sizeof tokens[0])];
        size_t n = strlen(t);
        if (size + n > cap)
            return size;
        memmove(buf + pos + n, buf + pos, size - pos);
        memcpy(buf + pos, t, n);
        return size + n;
    }
    case 4: { /* duplicate a chunk */
        size_t from = size ? rnd() % size : 0, n = 1 + rnd() % 256;
        uint8_t chunk[256];
        if (from + n > size || size + n > cap)
            return size;
        memcpy(chunk, buf + from, n);
        memmove(buf + pos + n, buf + pos, size - pos);
        memcpy(buf + pos, chunk, n);
        return size + n;
    }
    default: /* truncate */
        return pos;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s SECONDS MAX_ITERATIONS FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[1]);
    long max_iter = atol(argv[2]);
    for (int i = 3; i < argc; i++)
        load(argv[i]);
    if (!ninputs) {
        fprintf(stderr, "no inputs found\n");
        return 2;
    }
    rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull | 1;
    printf("seed %llu, %zu inputs\n", (unsigned long long)rng, ninputs);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long iter = 0;
    for (size_t i = 0; i < ninputs; i++, iter++)
        LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].size);
    for (;; iter++) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        double elapsed = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
        if (iter >= max_iter || elapsed >= seconds) {
            printf("%ld inputs in %.1f s, all properties held\n", iter, elapsed);
            break;
        }
        const struct input *base = &inputs[rnd() % ninputs];
        size_t cap = base->size * 2 + 1024;
        uint8_t *buf = malloc(cap);
        memcpy(buf, base->data, base->size);
        size_t size = base->size;
        for (int m = 0, nm = 1 + (int)(rnd() % 8); m < nm; m++)
            size = mutate(buf, size, cap);
        LLVMFuzzerTestOneInput(buf, size);
        free(buf);
    }
    for (size_t i = 0; i < ninputs; i++)
        free(inputs[i].data);
    free(inputs);
    return 0;
}
#endif
