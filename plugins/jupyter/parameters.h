/* Notebook parameters as papermill handles them: the CLI sources and their
 * typing (papermill/cli.py), and injection into the notebook
 * (papermill/parameterize.py::parameterize_notebook). */
#ifndef NBSOAR_PARAMETERS_H
#define NBSOAR_PARAMETERS_H

#include <stddef.h>
#include <jansson.h>

/* ---- CLI sources (param_cli.c) ---- */

enum param_source {
    PARAM_BASE64, /* -b: base64 of a YAML mapping */
    PARAM_FILE,   /* -f: path of a YAML (or JSON) file */
    PARAM_YAML,   /* -y: a YAML mapping */
    PARAM_TYPED,  /* -p NAME VALUE: value typed by param_resolve_type */
    PARAM_RAW,    /* -r NAME VALUE: value kept as a string */
};

/* Collects options in command-line order; param_cli_merge applies them in
 * papermill's order whatever their position: injected paths, then every
 * -b, -f, -y, -p, -r in turn, a later value replacing an earlier one. */
struct param_cli {
    json_t *groups[5]; /* per source: list of [name, value] or mapping */
    json_t *paths;     /* PAPERMILL_INPUT_PATH / _OUTPUT_PATH, set first */
};

void param_cli_init(struct param_cli *c);
void param_cli_free(struct param_cli *c);

/* Adds one option.  For -b, -f, -y `text` is the option's argument and
 * `value` is NULL; it is decoded and loaded now so errors name the option
 * (a file's line and column, base64 padding, a YAML document that is not a
 * mapping).  An empty or null document adds nothing, as papermill's
 * `or {}`.  Returns 0, or -1 with err. */
int param_cli_add(struct param_cli *c, enum param_source src, const char *text, const char *value, char *err,
                  size_t errlen);

/* --inject-input-path / --inject-output-path (NULL: not requested). */
void param_cli_inject_paths(struct param_cli *c, const char *input_path, const char *output_path);

/* The merged parameters (OWNED), an empty object when none were given. */
json_t *param_cli_merge(const struct param_cli *c);

/* papermill's _resolve_type for a -p value: "True"/"False" -> bool, "None"
 * -> null, int(value) when Python accepts it (big ints kept), else
 * float(value), else the string.  OWNED; NULL only when value is not valid
 * UTF-8 or on ENOMEM. */
json_t *param_resolve_type(const char *value);

/* ---- injection (parameters_inject.c) ---- */

struct param_inject_opts {
    const char *kernel_name; /* override; NULL: metadata.kernelspec.name */
    const char *language;    /* override; NULL: metadata.language_info.name,
                                then metadata.kernelspec.language */
    int report_mode;         /* the new cell gets jupyter.source_hidden */
    const char *comment;     /* NULL: "Parameters" */
    /* Names of parameters whose values must not reach the notebook: the
     * cell reads them from the kernel's environment instead
     * (`name = __import__("os").environ["NBSOAR_SECRET_<NAME>"]`, NAME
     * upper-cased) and metadata.papermill.parameters shows "***".  Only
     * for Python kernels; their values must be strings. */
    const json_t *secret_names; /* array of strings, or NULL */
};

/* The environment variable prefix of secret parameters. */
#define PARAM_SECRET_ENV_PREFIX "NBSOAR_SECRET_"

/* papermill's parameterize_notebook on nb (changed in place).  Nothing
 * happens when params is empty (papermill's `if parameters:`).  Otherwise
 * the notebook is upgraded to 4.5; the new code cell (new id, tags
 * ["injected-parameters"] only) replaces the first cell tagged
 * injected-parameters, else goes right after the first cell tagged
 * parameters, else at index 0 and *warning_out gets papermill's warning
 * "Input notebook does not contain a cell with tag 'parameters'" (OWNED,
 * NULL otherwise); metadata.papermill.parameters becomes params (secrets
 * masked).  Parameter names must be identifiers (letters, digits, '_', not
 * starting with a digit; papermill does not check, but a name is pasted
 * into code).  *secret_env_out (OWNED, may be NULL when not wanted and no
 * secrets are given) receives an array of "NBSOAR_SECRET_<NAME>=<value>"
 * strings the caller must put into the kernel's environment; it holds
 * secret values, so never log it.  Returns 0, or -1 with err (the
 * translator's error, an unknown kernel or language, a bad name) and nb
 * unchanged. */
int parameters_inject(json_t *nb, const json_t *params, const struct param_inject_opts *opts,
                      json_t **secret_env_out, char **warning_out, char *err, size_t errlen);

#endif
