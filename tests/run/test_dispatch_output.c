/* dispatch_output_path: strftime codes and placeholders, with every value
 * from an event or the config sanitised into one safe path component. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"

static char *path(const char *tmpl, const char *route, const char *nb, const char *ev)
{
    char err[256] = "";
    /* 2026-11-22 07:00:00 UTC */
    char *p = dispatch_output_path("/out", tmpl, 1795330800LL, route, nb, ev, "J1", err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    return p;
}

Test(output_path, placeholders_and_strftime_expand)
{
    char *p = path("%Y-%m-%d/{route}/{notebook}-{event}-{job}.ipynb", "phish", "pb/triage.ipynb", "E1");
    cr_assert_str_eq(p, "/out/2026-11-22/phish/triage-E1-J1.ipynb");
    free(p);
}

Test(output_path, dot_dot_and_slashes_in_an_event_id_stay_one_component)
{
    char *p = path("{event}.ipynb", "r", "n", "../../etc/passwd");
    cr_assert_str_eq(p, "/out/_._.._etc_passwd.ipynb");
    cr_assert_null(strstr(p, "/../"));
    free(p);
    p = path("{event}/{route}.ipynb", "..", "n", "..");
    cr_assert_str_eq(p, "/out/_./_..ipynb");
    free(p);
}

Test(output_path, empty_and_percent_values_cannot_inject)
{
    char *p = path("{event}-{route}.ipynb", "%Y", "n", "");
    cr_assert_str_eq(p, "/out/_-_Y.ipynb");
    free(p);
}

Test(output_path, an_absolute_or_dot_dot_template_is_refused)
{
    char err[256];
    cr_assert_null(dispatch_output_path("/out", "/etc/x", 0, "r", "n", "e", "j", err, sizeof err));
    cr_assert_null(dispatch_output_path("/out", "a/../../x", 0, "r", "n", "e", "j", err, sizeof err));
    cr_assert(strstr(err, "..") != NULL);
}
