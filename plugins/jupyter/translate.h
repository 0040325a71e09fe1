/* papermill's parameter translators (papermill/translators.py, 2.6.0):
 * values (jansson trees, pyjson literals allowed) become source text of the
 * kernel's language, and codify() builds the injected-parameters cell.
 *
 * Registered keys, tried for the kernel name first, then the language:
 * python, R, scala, julia, matlab, .net-csharp, .net-fsharp,
 * .net-powershell, pysparkkernel (Python), sparkkernel (Scala),
 * sparkrkernel (R), bash.
 *
 * papermill passes the Python cell through black when black is importable;
 * nbsoar behaves as papermill without black installed (the text is left as
 * codify() makes it), which is also what the reference tests expect.
 *
 * Object keys are strings in jansson; papermill would write a non-str key k
 * of a YAML mapping as "{k}" unescaped, the YAML loader here turns such keys
 * into Python's str(k) first, which translates the same for int and float
 * keys. */
#ifndef NBSOAR_TRANSLATE_H
#define NBSOAR_TRANSLATE_H

#include <stddef.h>
#include <jansson.h>

struct translator;

/* The translator for kernel_name, else language (either may be NULL), or
 * NULL with err = "No parameter translator functions specified for kernel
 * '<k>' or language '<l>'" (a NULL name prints as None, as papermill). */
const struct translator *translator_find(const char *kernel_name, const char *language, char *err,
                                         size_t errlen);

/* papermill's class name, e.g. "PythonTranslator". */
const char *translator_name(const struct translator *t);

/* Translator.translate(v): the value as source text.  OWNED (free()), or
 * NULL with err when papermill raises NotImplementedError (a dict for Bash,
 * None for C#) or on ENOMEM. */
char *translator_value(const struct translator *t, const json_t *v, char *err, size_t errlen);

/* Translator.comment(s), e.g. "# Parameters".  OWNED. */
char *translator_comment(const struct translator *t, const char *s);

/* Translator.codify(params, comment): the comment line, then one assignment
 * line per member of the params object in its order.  A member whose name is
 * in raw (an object name -> string, may be NULL) gets that string as its
 * value text verbatim instead of a translation (used for secrets).  OWNED,
 * or NULL with err. */
char *translator_codify(const struct translator *t, const json_t *params, const char *comment,
                        const json_t *raw, char *err, size_t errlen);

/* Python's s.encode('unicode_escape').decode('utf-8') for UTF-8 input,
 * appended to nothing: OWNED result.  Exposed for tests and callers that
 * need papermill's escaping without quotes. */
char *py_unicode_escape(const char *s, size_t len);

/* Python's shlex.quote(s).  OWNED. */
char *py_shlex_quote(const char *s, size_t len);

#endif
