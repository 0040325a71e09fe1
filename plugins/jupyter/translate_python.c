/* papermill's PythonTranslator and the unicode_escape codec its string
 * escaping (and that of most other translators) is built on. */
#include "translate_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct translator translator_python = {
    .name = "PythonTranslator",
    .none = "None",
    .true_text = "True",
    .false_text = "False",
    .nan = "float('nan')",
    .inf = "float('inf')",
    .ninf = "float('-inf')",
    .str = STR_BACKSLASH,
    .list = {"[", ", ", "]", NULL, NULL, NULL},
    .dict = {"{", ", ", "}", "", ": ", ""},
    .comment_fmt = "# %s",
    .assign_fmt = "%s = %s",
    .line_end = "",
};

/* Decodes one UTF-8 sequence of valid input; returns its length. */
static size_t utf8_decode(const unsigned char *s, size_t avail, unsigned *cp)
{
    if (s[0] < 0x80 || avail < 2) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xE0) {
        *cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
        return 2;
    }
    if (s[0] < 0xF0 || avail < 4) {
        if (avail < 3) {
            *cp = s[0];
            return 1;
        }
        *cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        return 3;
    }
    *cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    return 4;
}

/* unicode_escape: backslash doubled, \t \n \r, other code points below
 * 0x20 and 0x7f-0xff as \xhh, the rest of the BMP as \uhhhh, above it
 * \Uhhhhhhhh (lowercase hex); printable ASCII kept. */
static void unicode_escape_into(struct sb *b, const char *str, size_t len, const char *quote_repl)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && !(quote_repl && c == '"')) {
            i++;
            continue;
        }
        sb_add(b, str + run, i - run);
        unsigned cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        char esc[16];
        if (cp == '\\')
            strcpy(esc, "\\\\");
        else if (cp == '"')
            snprintf(esc, sizeof esc, "%s", quote_repl);
        else if (cp == '\t')
            strcpy(esc, "\\t");
        else if (cp == '\n')
            strcpy(esc, "\\n");
        else if (cp == '\r')
            strcpy(esc, "\\r");
        else if (cp < 0x100)
            snprintf(esc, sizeof esc, "\\x%02x", cp);
        else if (cp < 0x10000)
            snprintf(esc, sizeof esc, "\\u%04x", cp);
        else
            snprintf(esc, sizeof esc, "\\U%08x", cp);
        sb_adds(b, esc);
        i += n;
        run = i;
    }
    sb_add(b, str + run, len - run);
}

char *py_unicode_escape(const char *s, size_t len)
{
    struct sb b = {0};
    unicode_escape_into(&b, s, len, NULL);
    return sb_finish(&b);
}

void translate_str(const struct translator *t, struct sb *b, const char *s, size_t len)
{
    if (t->str == STR_SHLEX) {
        char *q = py_shlex_quote(s, len);
        if (q)
            sb_adds(b, q);
        else
            b->oom = 1;
        free(q);
        return;
    }
    /* the quote replacement runs after escaping in papermill; escaping never
     * produces '"', so replacing during the same pass is equivalent */
    const char *repl = t->str == STR_MATLAB ? "\"\"" : t->str == STR_POWERSHELL ? "`\"" : "\\\"";
    sb_add(b, "\"", 1);
    unicode_escape_into(b, s, len, repl);
    sb_add(b, "\"", 1);
}
