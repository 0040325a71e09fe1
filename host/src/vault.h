/* The vault: secrets in the `keys.py` syntax MISP playbooks already use,
 * so one file serves the host and the notebooks:
 *
 *   misp_url = "https://misp.example/"      # comments, blank lines
 *   misp_key = 'abc\x41'                    # both quotes, Python escapes, r'' raw
 *   misp_verifycert = False                 # True / False / None
 *   retries = 3                             # ints (0x.., 1_000), floats
 *
 * Anything else (imports, expressions, calls) is refused with FILE:LINE.
 * A later assignment to the same name wins, as in Python.  The file must
 * not be accessible by group or others.  Every string value is registered
 * with redact_add() as it is loaded. */
#ifndef NBSOAR_VAULT_H
#define NBSOAR_VAULT_H

#include <jansson.h>

#include "diag.h"

struct vault;

/* Checks the mode (refused when group/other bits are set, message names
 * the mode and `chmod 600`) and parses the file.  Problems go to d.
 * Returns NULL when the file is refused or unreadable; otherwise a vault
 * OWNED by the caller (vault_free) holding every line that parsed, even
 * when d grew. */
struct vault *vault_load(const char *path, struct diags *d);
/* Parses text already in memory (no mode check); `path` names it in messages. */
struct vault *vault_parse(const char *path, const char *text, struct diags *d);
void vault_free(struct vault *v);

/* *out: new reference (OWNED) to a string, integer, real, true/false or
 * null.  Returns 0, or -1 when the name is absent. */
int vault_get(const struct vault *v, const char *name, json_t **out);
/* 1 when the name appeared on a line that failed to parse (so callers can
 * say "see the error above" rather than "not in the vault"). */
int vault_is_broken(const struct vault *v, const char *name);
/* The file the vault came from.  Borrowed. */
const char *vault_path(const struct vault *v);

#endif
