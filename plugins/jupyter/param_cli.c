/* papermill's CLI parameter sources (-b -f -y -p -r) and _resolve_type. */
#include "parameters.h"
#include "py_number.h"
#include "pyjson.h"
#include "pyyaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const option_names[] = {"-b/--parameters_base64", "-f/--parameters_file",
                                           "-y/--parameters_yaml", "-p/--parameters", "-r/--parameters_raw"};

void param_cli_init(struct param_cli *c)
{
    for (int i = 0; i < 5; i++)
        c->groups[i] = json_array();
    c->paths = json_object();
}

void param_cli_free(struct param_cli *c)
{
    for (int i = 0; i < 5; i++) {
        json_decref(c->groups[i]);
        c->groups[i] = NULL;
    }
    json_decref(c->paths);
    c->paths = NULL;
}

void param_cli_inject_paths(struct param_cli *c, const char *input_path, const char *output_path)
{
    if (input_path)
        json_object_set_new(c->paths, "PAPERMILL_INPUT_PATH", json_string(input_path));
    if (output_path)
        json_object_set_new(c->paths, "PAPERMILL_OUTPUT_PATH", json_string(output_path));
}

/* Python's base64.b64decode(s) (validate=False): characters outside the
 * alphabet are skipped, decoding stops after complete padding.  OWNED. */
static char *b64decode(const char *s, size_t *outlen, char *err, size_t errlen)
{
    size_t n = strlen(s), o = 0;
    char *out = malloc(n / 4 * 3 + 4);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    unsigned acc = 0, quad = 0, pads = 0, data = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '=') {
            if (quad >= 2 && quad + ++pads >= 4)
                goto done;
            continue;
        }
        const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *pos = ch ? strchr(alpha, ch) : NULL;
        if (!pos)
            continue;
        pads = 0;
        data++;
        acc = (acc << 6) | (unsigned)(pos - alpha);
        quad = (quad + 1) % 4;
        if (quad == 2)
            out[o++] = (char)(acc >> 4);
        else if (quad == 3)
            out[o++] = (char)(acc >> 2);
        else if (quad == 0)
            out[o++] = (char)acc;
        acc &= quad == 1 ? 0x3F : quad == 2 ? 0xF : quad == 3 ? 0x3 : 0;
    }
    if (quad == 1) {
        snprintf(err, errlen,
                 "Invalid base64-encoded string: number of data characters (%u) cannot be 1 more than a multiple of 4",
                 data);
        free(out);
        return NULL;
    }
    if (quad != 0) {
        snprintf(err, errlen, "Incorrect padding");
        free(out);
        return NULL;
    }
done:
    out[o] = '\0';
    *outlen = o;
    return out;
}

static char *read_whole_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Loads a YAML source and keeps it when it is a mapping; null adds nothing. */
static int add_yaml(struct param_cli *c, enum param_source src, const char *text, size_t len, const char *name,
                    char *err, size_t errlen)
{
    json_t *v = pyyaml_load(text, len, name, err, errlen);
    if (!v)
        return -1;
    if (json_is_null(v)) {
        json_decref(v);
        return 0;
    }
    if (!json_is_object(v)) {
        snprintf(err, errlen, "%s: parameters must be a YAML mapping of names to values, not a %s", name,
                 json_is_array(v) ? "list" : "single value");
        json_decref(v);
        return -1;
    }
    json_array_append_new(c->groups[src], v);
    return 0;
}

int param_cli_add(struct param_cli *c, enum param_source src, const char *text, const char *value, char *err,
                  size_t errlen)
{
    char name[512];
    if (src == PARAM_TYPED || src == PARAM_RAW) {
        json_t *v = src == PARAM_TYPED ? param_resolve_type(value) : json_string(value);
        if (!v) {
            snprintf(err, errlen, "%s %s: the value is not valid UTF-8", option_names[src], text);
            return -1;
        }
        json_t *one = json_object();
        if (!one || json_object_set_new(one, text, v) < 0) {
            json_decref(one);
            snprintf(err, errlen, "%s: the name is not valid UTF-8", option_names[src]);
            return -1;
        }
        json_array_append_new(c->groups[src], one);
        return 0;
    }
    if (src == PARAM_FILE) {
        size_t len;
        char *buf = read_whole_file(text, &len, err, errlen);
        if (!buf)
            return -1;
        int rc = add_yaml(c, src, buf, len, text, err, errlen);
        free(buf);
        return rc;
    }
    if (src == PARAM_BASE64) {
        size_t len;
        char derr[200];
        char *buf = b64decode(text, &len, derr, sizeof derr);
        if (!buf) {
            snprintf(err, errlen, "%s: %s", option_names[src], derr);
            return -1;
        }
        snprintf(name, sizeof name, "%s (decoded)", option_names[src]);
        int rc = add_yaml(c, src, buf, len, name, err, errlen);
        free(buf);
        return rc;
    }
    return add_yaml(c, src, text, strlen(text), option_names[src], err, errlen);
}

json_t *param_cli_merge(const struct param_cli *c)
{
    json_t *out = json_deep_copy(c->paths);
    for (int g = 0; out && g < 5; g++) {
        size_t i;
        json_t *m;
        json_array_foreach(c->groups[g], i, m)
        {
            const char *k;
            size_t kn;
            json_t *v;
            json_object_keylen_foreach(m, k, kn, v) json_object_setn(out, k, kn, v);
        }
    }
    return out;
}

json_t *param_resolve_type(const char *value)
{
    size_t len = strlen(value);
    if (!strcmp(value, "True"))
        return json_true();
    if (!strcmp(value, "False"))
        return json_false();
    if (!strcmp(value, "None"))
        return json_null();
    char err[256];
    json_t *i = py_int_from_str(value, len, 10, err, sizeof err);
    if (i)
        return i;
    double d;
    if (py_float_from_str(value, len, &d) == 0)
        return pyjson_float(d);
    return json_stringn(value, len);
}
