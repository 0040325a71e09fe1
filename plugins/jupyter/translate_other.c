/* papermill's R, Scala, Julia, Matlab, C#, F#, PowerShell and Bash
 * translators as data (see struct translator), and shlex.quote. */
#include "translate_impl.h"

#include <stdlib.h>
#include <string.h>

const struct translator translator_r = {
    .name = "RTranslator",
    .none = "NULL",
    .true_text = "TRUE",
    .false_text = "FALSE",
    .str = STR_BACKSLASH,
    .list = {"list(", ", ", ")", NULL, NULL, NULL},
    .dict = {"list(", ", ", ")", "", " = ", ""},
    .comment_fmt = "# %s",
    .assign_fmt = "%s = %s",
    .strip_underscores = 1,
    .line_end = "",
};

const struct translator translator_scala = {
    .name = "ScalaTranslator",
    .none = "None",
    .true_text = "true",
    .false_text = "false",
    .long_suffix = 1,
    .str = STR_BACKSLASH,
    .list = {"Seq(", ", ", ")", NULL, NULL, NULL},
    .dict = {"Map(", ", ", ")", "", " -> ", ""},
    .comment_fmt = "// %s",
    .assign_fmt = "val %s = %s",
    .line_end = "",
};

const struct translator translator_julia = {
    .name = "JuliaTranslator",
    .none = "nothing",
    .true_text = "true",
    .false_text = "false",
    .str = STR_BACKSLASH,
    .list = {"[", ", ", "]", NULL, NULL, NULL},
    .dict = {"Dict(", ", ", ")", "", " => ", ""},
    .comment_fmt = "# %s",
    .assign_fmt = "%s = %s",
    .line_end = "",
};

const struct translator translator_matlab = {
    .name = "MatlabTranslator",
    .none = "NaN",
    .true_text = "true",
    .false_text = "false",
    .str = STR_MATLAB,
    .list = {"{", ", ", "}", NULL, NULL, NULL},
    .dict = {"containers.Map(", ", ", ")", NULL, NULL, NULL},
    .matlab_map = 1,
    .comment_fmt = "%% %s",
    .assign_fmt = "%s = %s",
    .line_end = ";",
};

const struct translator translator_csharp = {
    .name = "CSharpTranslator",
    .none = NULL,
    .none_error = "Option type not implemented for C#.",
    .true_text = "true",
    .false_text = "false",
    .long_suffix = 1,
    .str = STR_BACKSLASH,
    .list = {"new [] { ", ", ", " }", NULL, NULL, NULL},
    .dict = {"new Dictionary<string,Object>{ ", ", ", " }", "{ ", " , ", " }"},
    .comment_fmt = "// %s",
    .assign_fmt = "var %s = %s;",
    .line_end = "",
};

const struct translator translator_fsharp = {
    .name = "FSharpTranslator",
    .none = "None",
    .true_text = "true",
    .false_text = "false",
    .long_suffix = 1,
    .str = STR_BACKSLASH,
    .list = {"[ ", "; ", " ]", NULL, NULL, NULL},
    .dict = {"[ ", "; ", " ] |> Map.ofList", "(", ", ", " :> IComparable)"},
    .comment_fmt = "(* %s *)",
    .assign_fmt = "let %s = %s",
    .line_end = "",
};

const struct translator translator_powershell = {
    .name = "PowershellTranslator",
    .none = "$Null",
    .true_text = "$True",
    .false_text = "$False",
    .nan = "[double]::NaN",
    .inf = "[double]::PositiveInfinity",
    .ninf = "[double]::NegativeInfinity",
    .str = STR_POWERSHELL,
    .list = {"@(", ", ", ")", NULL, NULL, NULL},
    .dict = {"@{", "\n ", "}", "", " = ", ""},
    .comment_fmt = "# %s",
    .assign_fmt = "$%s = %s",
    .line_end = "",
};

const struct translator translator_bash = {
    .name = "BashTranslator",
    .none = "",
    .true_text = "true",
    .false_text = "false",
    .str = STR_SHLEX,
    .list = {"(", " ", ")", NULL, NULL, NULL},
    .dict = {NULL, NULL, NULL, NULL, NULL, NULL},
    .comment_fmt = "# %s",
    .assign_fmt = "%s=%s",
    .line_end = "",
};

/* shlex: safe characters are ASCII word characters and @%+=:,./- */
static int shlex_safe(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (c && strchr("@%+=:,./-", c));
}

char *py_shlex_quote(const char *s, size_t len)
{
    struct sb b = {0};
    int safe = len > 0;
    for (size_t i = 0; i < len && safe; i++)
        safe = shlex_safe((unsigned char)s[i]);
    if (safe) {
        sb_add(&b, s, len);
        return sb_finish(&b);
    }
    sb_add(&b, "'", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\'')
            continue;
        sb_add(&b, s + run, i - run);
        sb_adds(&b, "'\"'\"'");
        run = i + 1;
    }
    sb_add(&b, s + run, len - run);
    sb_add(&b, "'", 1);
    return sb_finish(&b);
}
