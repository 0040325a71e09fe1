/* Typed validation of config sections against key tables (the plugin's
 * `struct nbsoar_config_key` array, or the host's own tables below):
 * unknown keys refused with FILE:LINE, types checked, required keys and
 * defaults applied, `vault:NAME` resolved, secrets registered for
 * redaction, and the JSON object for init() built.
 *
 * Value conversion (the JSON handed to the plugin):
 *   STRING      -> string          INT  -> integer
 *   BOOL        -> true/false      (true/false, yes/no, on/off, 1/0)
 *   DURATION_MS -> integer ms      ("500ms", "30s", "5m", "1h", "1d", "1.5s"; bare number = seconds)
 *   LIST        -> array of strings (comma-separated, items trimmed, empty items dropped)
 * PREFIX keys ("param.") match every key starting with the prefix; each
 * match appears under its full name ("param.x").
 *
 * A value that is exactly `vault:NAME` is replaced by the vault's NAME
 * (None counts as absent) and always registered with redact_add(), as is
 * the value of every SECRET-flagged key. */
#ifndef NBSOAR_CONFIG_MAP_H
#define NBSOAR_CONFIG_MAP_H

#include <jansson.h>

#include "config.h"
#include "diag.h"
#include "nbsoar/plugin.h"
#include "vault.h"

/* [host] keys.  Later issues append their keys here. */
extern const struct nbsoar_config_key config_host_keys[];
/* Keys of every [source|executor|sink NAME] section that the host reads
 * itself (`plugin = NAME`, ...); they never reach the plugin's init(). */
extern const struct nbsoar_config_key config_instance_keys[];

/* Validates section s of file `file`.
 *   keys       the table the section is checked against (may be NULL: no keys)
 *   owner      names the table in messages: "plugin 'thehive'", "the host"
 *   host_keys  optional second table (config_instance_keys); keys matching
 *              it are validated the same way but go to *host_out
 * *out (and *host_out when host_keys is set) are always set to new objects
 * OWNED by the caller, holding whatever validated.  Returns 0, or -1 when
 * a problem was added to d. */
int config_map_section(const char *file, const struct conf_section *s,
                       const struct nbsoar_config_key *keys, const char *owner,
                       const struct nbsoar_config_key *host_keys, const struct vault *v,
                       struct diags *d, json_t **out, json_t **host_out);

/* One value converted by type; 0, or -1 with a reason in err ("is not an
 * integer").  *out OWNED. */
int config_map_convert(enum nbsoar_key_type type, const char *text, json_t **out, char *err,
                       size_t errlen);

/* "500ms", "30s", "2m", "1h", "1d", "1.5s", "10" (seconds) -> milliseconds. */
int config_parse_duration_ms(const char *text, long long *ms);
int config_parse_bool(const char *text, int *out);

/* "section header" text for messages: "[host]", "[sink thehive]".  Static buffer per thread. */
const char *config_section_label(const struct conf_section *s);

#endif
