/* YAML as papermill loads it: yaml.load(text, Loader=NoDatesSafeLoader),
 * i.e. PyYAML's SafeLoader without the implicit timestamp resolver, so
 * dates stay strings.  Parsed with libyaml; resolved and constructed here
 * with PyYAML's rules:
 *   - plain scalars: null (~, null, Null, NULL, empty), bool (yes/no/true/
 *     false/on/off in lower, Capitalised or UPPER case), int (decimal, 0x,
 *     YAML 1.1 octal 0NNN, 0b, underscores, sexagesimal 190:20:30), float
 *     (1.5, 1.0e+5 (the exponent needs a sign), .5, .inf/-.inf, .nan,
 *     sexagesimal 190:20:30.15), else str; "1e5" and "0o17" are strings;
 *   - quoted scalars and the "!" tag are strings; explicit !!str, !!int,
 *     !!float, !!bool, !!null, !!seq, !!map are honoured;
 *   - merge keys (<<: *anchor or a list of them), anchors and aliases;
 *   - mapping keys equal as Python values (1, 1.0 and true) are one key.
 * Differences, documented: mapping keys become strings as Python's str()
 * writes them (1 -> "1", 1.5 -> "1.5", true -> "True", null -> "None");
 * !!binary, !!timestamp, !!set, !!omap, !!pairs and other tags are refused
 * (papermill would produce values it cannot write into the notebook's
 * JSON); recursive aliases are refused; alias expansion is capped at
 * PYYAML_MAX_NODES nodes. */
#ifndef NBSOAR_PYYAML_H
#define NBSOAR_PYYAML_H

#include <stddef.h>
#include <jansson.h>

#define PYYAML_MAX_NODES 1000000

/* One document (an empty stream gives JSON null).  Returns a new tree
 * (OWNED; big ints and non-finite floats as pyjson literals) or NULL with
 * err = "<name>: line L, column C: <problem>". */
json_t *pyyaml_load(const char *text, size_t len, const char *name, char *err, size_t errlen);

#endif
