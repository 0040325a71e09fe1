/* JSON the way Python's json module reads and writes it, on jansson trees.
 *
 * jansson holds 64-bit integers and finite doubles only, while Python's
 * json.loads gives unbounded ints and float('nan'/'inf'), and its dumps
 * writes them back as digits and NaN / Infinity / -Infinity.  Values
 * jansson cannot hold are kept losslessly as a "pyjson literal":
 *
 *     an object with exactly one key PYJSON_LITERAL_KEY ("\xff", one byte)
 *     whose value is a string holding the Python json text of the number:
 *     canonical decimal digits ("-123456789012345678901234567890") for an
 *     int that does not fit json_int_t, or "NaN", "Infinity", "-Infinity"
 *     for a non-finite float.
 *
 * "\xff" is not valid UTF-8, so no decoded document (pyjson_loads or
 * jansson's own loaders, which check UTF-8) can ever produce that key; the
 * literal is made only with json_object_setn_new_nocheck by the helpers
 * below.  Only pyjson_dumps knows how to write it; jansson's json_dumps
 * would emit the raw marker, so never hand such a tree to json_dumps. */
#ifndef NBSOAR_PYJSON_H
#define NBSOAR_PYJSON_H

#include <stddef.h>
#include <jansson.h>

#define PYJSON_LITERAL_KEY "\xff"

/* pyjson_loads flags */
enum {
    /* Refuse NaN, Infinity and -Infinity literals (Python accepts them). */
    PYJSON_STRICT = 1,
};

/* Parses text as Python's json.loads does: NaN / Infinity literals, ints of
 * any size, floats that overflow become infinities, duplicate keys keep the
 * last value at the first position, object order is kept, strings must be
 * valid UTF-8 without lone surrogates, nesting is limited to
 * PYJSON_MAX_DEPTH.  Returns a new tree (OWNED by the caller) or NULL with
 * err = "<message> at line L column C" (column counts characters, 1-based). */
#define PYJSON_MAX_DEPTH 2000
json_t *pyjson_loads(const char *text, size_t len, int flags, char *err, size_t errlen);

/* Integers.  pyjson_int_from_text takes an optional sign and ASCII digits
 * (leading zeros allowed, they are dropped) and returns a json integer when
 * it fits json_int_t, else a literal; NULL on bad text and beyond
 * PYJSON_MAX_INT_DIGITS significant digits: Python 3.11 refuses to convert
 * such ints from or to decimal text (json.loads, json.dumps, str()), so
 * papermill cannot pass them either.  OWNED. */
#define PYJSON_MAX_INT_DIGITS 4300
json_t *pyjson_int_from_text(const char *text, size_t len);
int pyjson_is_bigint(const json_t *v);
/* The digits of a big int literal (BORROWED from v), else NULL. */
const char *pyjson_bigint_digits(const json_t *v);
/* True for json integers and big int literals. */
int pyjson_is_int(const json_t *v);

/* Floats: a json real, or a literal for NaN / +-Infinity.  OWNED. */
json_t *pyjson_float(double d);
/* True for json reals and non-finite literals. */
int pyjson_is_float(const json_t *v);
double pyjson_float_value(const json_t *v);

/* True when v is any literal (big int or non-finite float). */
int pyjson_is_literal(const json_t *v);

/* Python's repr(float): shortest round-trip digits, fixed notation for
 * exponents -4..15 (with ".0" when integral), else "1e+16" style; "nan",
 * "inf", "-inf" for non-finite values.  out needs 32 bytes. */
void pyjson_float_repr(double d, char out[32]);

/* Python's json.dumps(v, ensure_ascii=False, allow_nan=True, ...):
 * indent < 0 gives one line with separators (", ", ": "); indent >= 0 gives
 * one item per line with separators (",", ": ") and "[]" / "{}" for empty
 * containers; sort_keys orders keys by code point.  Strings escape only
 * '"', '\\' and U+0000-U+001F (\n \r \t \b \f short forms, else \u00XX);
 * everything else is written raw.  Returns a NUL-terminated string (OWNED,
 * free()) and its length, or NULL on ENOMEM. */
char *pyjson_dumps(const json_t *v, int indent, int sort_keys, size_t *len_out);

/* pyjson_dumps' text followed by tail, written to fd in 64 KB chunks.
 * Returns 0, or -1 with errno set (ENOMEM when out of memory). */
int pyjson_dump_fd(const json_t *v, int indent, int sort_keys, const char *tail, int fd);

/* Rewrites each element of the array held by v's top-level member `key` as
 * it is written: fn returns a new reference (NULL: out of memory) that is
 * dropped once written, so one rewritten element exists at a time. */
struct pyjson_each {
    const char *key;
    json_t *(*fn)(const json_t *elem);
};

/* pyjson_dumps / pyjson_dump_fd with the rewriting above (each may be NULL). */
char *pyjson_dumps_each(const json_t *v, int indent, int sort_keys, const struct pyjson_each *each,
                        size_t *len_out);
int pyjson_dump_fd_each(const json_t *v, int indent, int sort_keys, const struct pyjson_each *each,
                        const char *tail, int fd);

#endif
