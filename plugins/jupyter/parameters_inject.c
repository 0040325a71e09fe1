/* papermill's parameterize_notebook, with secret parameters read from the
 * kernel's environment instead of being written into the notebook. */
#include "notebook.h"
#include "parameters.h"
#include "translate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *nb_meta_string(const json_t *nb, const char *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(json_object_get(nb, "metadata"), obj), key));
}

/* Letters, digits and '_' (any non-ASCII byte counts as a letter: Python
 * accepts Unicode identifiers), not starting with a digit. */
static int is_identifier(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!(c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static int is_secret(const json_t *secret_names, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach(secret_names, i, s)
    {
        if (json_is_string(s) && !strcmp(json_string_value(s), name))
            return 1;
    }
    return 0;
}

/* Fills raw (name -> code reading the environment) and env ("VAR=value")
 * for the secret parameters.  Returns 0 or -1 with err. */
static int prepare_secrets(const json_t *params, const json_t *secret_names, const struct translator *t,
                           json_t *raw, json_t *env, char *err, size_t errlen)
{
    const char *name;
    json_t *v;
    json_t *seen = json_object();
    int rc = 0;
    json_object_foreach((json_t *)params, name, v)
    {
        if (!is_secret(secret_names, name))
            continue;
        if (strcmp(translator_name(t), "PythonTranslator")) {
            snprintf(err, errlen,
                     "secret parameter '%s': secret parameters are only supported for Python kernels, not %s", name,
                     translator_name(t));
            rc = -1;
            break;
        }
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
            snprintf(err, errlen, "secret parameter '%s' must be a string without NUL characters", name);
            rc = -1;
            break;
        }
        char var[256];
        size_t n = snprintf(var, sizeof var, "%s", PARAM_SECRET_ENV_PREFIX);
        for (const char *p = name; *p && n + 1 < sizeof var; p++) {
            if ((unsigned char)*p >= 0x80) {
                snprintf(err, errlen, "secret parameter '%s': secret names must be ASCII", name);
                rc = -1;
                break;
            }
            var[n++] = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
        }
        var[n] = '\0';
        if (rc < 0)
            break;
        const char *other = json_string_value(json_object_get(seen, var));
        if (other) {
            snprintf(err, errlen, "secret parameters '%s' and '%s' both map to the variable %s", other, name, var);
            rc = -1;
            break;
        }
        json_object_set_new(seen, var, json_string(name));
        char *code = NULL, *entry = NULL;
        if (asprintf(&code, "__import__(\"os\").environ[\"%s\"]", var) < 0 ||
            asprintf(&entry, "%s=%s", var, json_string_value(v)) < 0) {
            free(code);
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        json_object_set_new(raw, name, json_string(code));
        json_array_append_new(env, json_string(entry));
        free(code);
        free(entry);
    }
    json_decref(seen);
    return rc;
}

/* nbformat.v4.new_code_cell(source) plus papermill's tags and report mode. */
static json_t *new_parameters_cell(const char *source, int report_mode)
{
    char id[9];
    notebook_new_cell_id(id);
    json_t *md = json_pack("{s:[s]}", "tags", "injected-parameters");
    if (md && report_mode)
        json_object_set_new(md, "jupyter", json_pack("{s:b}", "source_hidden", 1));
    return json_pack("{s:s, s:s, s:o, s:n, s:s, s:[]}", "id", id, "cell_type", "code", "metadata", md,
                     "execution_count", "source", source, "outputs");
}

int parameters_inject(json_t *nb, const json_t *params, const struct param_inject_opts *opts,
                      json_t **secret_env_out, char **warning_out, char *err, size_t errlen)
{
    if (warning_out)
        *warning_out = NULL;
    if (secret_env_out)
        *secret_env_out = NULL;
    if (!json_is_object(params) || json_object_size(params) == 0)
        return 0;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)params, name, v)
    {
        if (!is_identifier(name)) {
            snprintf(err, errlen, "parameter name '%.100s' is not an identifier (letters, digits, '_')", name);
            return -1;
        }
    }
    const char *kernel = opts->kernel_name;
    if (!kernel || !*kernel)
        kernel = nb_meta_string(nb, "kernelspec", "name");
    if (!kernel || !*kernel) {
        snprintf(err, errlen, "No kernel name found in notebook and no override provided.");
        return -1;
    }
    const char *language = opts->language;
    if (!language || !*language)
        language = nb_meta_string(nb, "language_info", "name");
    if (!language || !*language)
        language = nb_meta_string(nb, "kernelspec", "language");
    if (!language || !*language) {
        snprintf(err, errlen, "No language found in notebook and no override provided.");
        return -1;
    }
    const struct translator *t = translator_find(kernel, language, err, errlen);
    if (!t)
        return -1;
    json_t *raw = json_object(), *env = json_array();
    char *source = NULL;
    if (prepare_secrets(params, opts->secret_names, t, raw, env, err, errlen) == 0)
        source = translator_codify(t, params, opts->comment ? opts->comment : "Parameters", raw, err, errlen);
    json_decref(raw);
    json_t *cell = source ? new_parameters_cell(source, opts->report_mode) : NULL;
    free(source);
    json_t *shown = cell ? json_deep_copy(params) : NULL;
    if (!shown) {
        if (cell)
            snprintf(err, errlen, "out of memory");
        json_decref(cell);
        json_decref(env);
        return -1;
    }
    json_object_foreach(shown, name, v)
    {
        if (is_secret(opts->secret_names, name))
            json_object_set_new(shown, name, json_string("***"));
    }

    notebook_upgrade(nb);
    json_t *cells = json_object_get(nb, "cells");
    int injected = notebook_find_tagged(nb, "injected-parameters");
    int tagged = notebook_find_tagged(nb, "parameters");
    if (injected >= 0) {
        json_array_set_new(cells, (size_t)injected, cell);
    } else if (tagged >= 0) {
        json_array_insert_new(cells, (size_t)tagged + 1, cell);
    } else {
        json_array_insert_new(cells, 0, cell);
        if (warning_out)
            *warning_out = strdup("Input notebook does not contain a cell with tag 'parameters'");
    }
    json_t *md = json_object_get(nb, "metadata");
    json_t *pm = json_object_get(md, "papermill");
    if (!json_is_object(pm)) {
        pm = json_object();
        json_object_set_new(md, "papermill", pm);
    }
    json_object_set_new(pm, "parameters", shown);
    if (secret_env_out)
        *secret_env_out = env;
    else
        json_decref(env);
    return 0;
}
