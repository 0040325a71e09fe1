/* TEMPORARY until jupyter_core's parameter sources land (helper "notebook"). */
#ifndef NBSOAR_PARAMS_TMP_H
#define NBSOAR_PARAMS_TMP_H
#include <stddef.h>
#include <jansson.h>
json_t *params_resolve_type(const char *value);
int params_update_from_yaml(json_t *dst, const char *text, size_t len, const char *name, char *err, size_t errlen);
int params_update_from_yaml_file(json_t *dst, const char *path, char *err, size_t errlen);
int params_update_from_base64(json_t *dst, const char *b64, char *err, size_t errlen);
#endif
