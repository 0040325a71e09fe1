/* Internals shared by the translator files: a string builder and the
 * table that describes one papermill translator class. */
#ifndef NBSOAR_TRANSLATE_IMPL_H
#define NBSOAR_TRANSLATE_IMPL_H

#include "translate.h"

#include <stddef.h>

struct sb {
    char *p;
    size_t n, cap;
    int oom;
};

void sb_add(struct sb *b, const char *s, size_t n);
void sb_adds(struct sb *b, const char *s);
/* The built string (OWNED by the caller) or NULL after ENOMEM. */
char *sb_finish(struct sb *b);

enum str_style {
    STR_BACKSLASH, /* unicode_escape, '"' -> '\"' (Translator) */
    STR_MATLAB,    /* unicode_escape, '"' -> '""' */
    STR_POWERSHELL,/* unicode_escape, '"' -> '`"' */
    STR_SHLEX,     /* shlex.quote(str(v)) (Bash) */
};

/* Text pieces of a container: open item... sep item ... close, where an
 * item of a dict is kv_open key kv_mid value kv_close. */
struct shape {
    const char *open, *sep, *close;
    const char *kv_open, *kv_mid, *kv_close;
};

struct translator {
    const char *name;            /* papermill class name */
    const char *none;            /* NULL: NotImplementedError none_error */
    const char *none_error;
    const char *true_text, *false_text;
    const char *nan, *inf, *ninf; /* NULL: str(float) = "nan", "inf", "-inf" */
    int long_suffix;             /* "L" outside the int32 range */
    enum str_style str;
    struct shape list;           /* open NULL: NotImplementedError */
    struct shape dict;           /* open NULL: NotImplementedError */
    int matlab_map;              /* containers.Map({keys}, {values}) */
    const char *comment_fmt;     /* one %s, result stripped */
    const char *assign_fmt;      /* two %s: name, value */
    int strip_underscores;       /* R drops leading '_' of names */
    const char *line_end;        /* after each assignment, before '\n' */
};

extern const struct translator translator_python, translator_r, translator_scala, translator_julia,
    translator_matlab, translator_csharp, translator_fsharp, translator_powershell, translator_bash;

/* The language's translate_str(s). */
void translate_str(const struct translator *t, struct sb *b, const char *s, size_t len);

#endif
