/* Python's int(str, base) and float(str) on UTF-8 text, for papermill's
 * -p typing (_resolve_type) and PyYAML's int/float constructors.
 *
 * Both accept what CPython 3.11 accepts: surrounding whitespace (any
 * str.isspace character), Unicode decimal digits (Arabic-Indic, Devanagari,
 * fullwidth, ...), a sign, single underscores between digits; float() also
 * "inf", "infinity", "nan" in any case, ".5", "5.", "1e5".  int() of base 10
 * refuses more than 4300 digits, as Python 3.11's default
 * sys.get_int_max_str_digits(). */
#ifndef NBSOAR_PY_NUMBER_H
#define NBSOAR_PY_NUMBER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* int(s, base) for base 2, 8, 10 or 16 (2/8/16 accept an optional 0b / 0o /
 * 0x prefix, as Python does when base is given).  Returns a json integer or
 * big int literal (OWNED), or NULL with err = Python's ValueError text. */
json_t *py_int_from_str(const char *s, size_t len, unsigned base, char *err, size_t errlen);

/* float(s): 0 and *out, or -1 when Python raises ValueError. */
int py_float_from_str(const char *s, size_t len, double *out);

/* Arbitrary-size non-negative integers, little-endian limbs of 10^9, for
 * the conversions above and YAML's sexagesimal ints. */
struct pybig {
    uint32_t *limb;
    size_t n, cap;
    int oom;
};
/* b = b * mul + add */
void pybig_muladd(struct pybig *b, uint32_t mul, uint32_t add);
/* The value with a sign as a json integer or big int literal (OWNED; NULL
 * on ENOMEM or beyond PYJSON_MAX_INT_DIGITS digits); frees b's limbs. */
json_t *pybig_to_json(struct pybig *b, int negative);

#endif
