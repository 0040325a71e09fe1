/* Kernelspec discovery as jupyter_client does it. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "kernel_test_util.h"
#include "kernelspec.h"

static char *a, *b;

static void two_paths(void)
{
    a = tu_mkdtemp();
    b = tu_mkdtemp();
    char jp[256];
    snprintf(jp, sizeof jp, "%s:%s/", a, b);
    setenv("JUPYTER_PATH", jp, 1);
    unsetenv("JUPYTER_DATA_DIR");
}

static void cleanup(void)
{
    tu_rm_rf(a);
    tu_rm_rf(b);
    free(a);
    free(b);
}

TestSuite(kernelspec, .init = two_paths, .fini = cleanup);

Test(kernelspec, search_path_order_is_jupyter_path_user_then_system)
{
    setenv("JUPYTER_DATA_DIR", "/data/dir", 1);
    char **d = kernelspec_dirs();
    char want0[300], want1[300];
    snprintf(want0, sizeof want0, "%s/kernels", a);
    snprintf(want1, sizeof want1, "%s/kernels", b);
    cr_assert_str_eq(d[0], want0);
    cr_assert_str_eq(d[1], want1, "trailing slash of a JUPYTER_PATH entry dropped");
    cr_assert_str_eq(d[2], "/data/dir/kernels");
    size_t n = 0;
    while (d[n])
        n++;
    cr_assert_str_eq(d[n - 2], "/usr/local/share/jupyter/kernels");
    cr_assert_str_eq(d[n - 1], "/usr/share/jupyter/kernels");
    kernelspec_dirs_free(d);
}

Test(kernelspec, first_directory_wins_and_names_are_case_insensitive)
{
    tu_write_spec(a, "Mine", "{\"argv\": [\"first\"], \"display_name\": \"A\", \"language\": \"x\"}");
    tu_write_spec(b, "mine", "{\"argv\": [\"second\"], \"display_name\": \"B\", \"language\": \"x\"}");
    struct kernelspec ks;
    char err[512];
    cr_assert_eq(kernelspec_find("MINE", NULL, &ks, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(ks.name, "mine");
    cr_assert_str_eq(ks.argv[0], "first");
    cr_assert_str_eq(ks.display_name, "A");
    cr_assert_not(ks.interrupt_message);
    kernelspec_clear(&ks);
}

Test(kernelspec, kernel_json_fields_are_read)
{
    tu_write_spec(a, "full",
                  "{\"argv\": [\"k\", \"-f\", \"{connection_file}\"], \"display_name\": \"Full\", \"language\": \"R\","
                  " \"env\": {\"X\": \"1\"}, \"interrupt_mode\": \"message\", \"metadata\": {\"debugger\": true}}");
    struct kernelspec ks;
    char err[512];
    cr_assert_eq(kernelspec_find("full", NULL, &ks, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(ks.argv[2], "{connection_file}");
    cr_assert_null(ks.argv[3]);
    cr_assert_str_eq(ks.language, "R");
    cr_assert_str_eq(json_string_value(json_object_get(ks.env, "X")), "1");
    cr_assert(ks.interrupt_message);
    cr_assert(strstr(ks.resource_dir, "/kernels/full"));
    kernelspec_clear(&ks);
}

Test(kernelspec, by_language_first_match_in_path_order)
{
    tu_write_spec(a, "zeta-r", "{\"argv\": [\"a\"], \"language\": \"R\"}");
    tu_write_spec(a, "alpha-r", "{\"argv\": [\"b\"], \"language\": \"r\"}");
    tu_write_spec(b, "aaa-r", "{\"argv\": [\"c\"], \"language\": \"R\"}");
    struct kernelspec ks;
    char err[512];
    cr_assert_eq(kernelspec_find(NULL, "R", &ks, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(ks.name, "alpha-r", "first directory, then by name");
    kernelspec_clear(&ks);
}

Test(kernelspec, python_prefers_python3)
{
    tu_write_spec(a, "another-python", "{\"argv\": [\"p\"], \"language\": \"python\"}");
    struct kernelspec ks;
    char err[512];
    cr_assert_eq(kernelspec_find(NULL, "python", &ks, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(ks.name, "python3");
    cr_assert_str_eq(ks.argv[0], "/usr/bin/python3");
    kernelspec_clear(&ks);
    cr_assert_eq(kernelspec_find(NULL, NULL, &ks, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(ks.name, "python3", "no name and no language: python3");
    kernelspec_clear(&ks);
}

Test(kernelspec, unknown_name_or_language_lists_what_exists)
{
    tu_write_spec(a, "here", "{\"argv\": [\"p\"], \"language\": \"x\"}");
    struct kernelspec ks;
    char err[1024];
    cr_assert_eq(kernelspec_find("nope", NULL, &ks, err, sizeof err), -1);
    cr_assert(strstr(err, "no such kernel named \"nope\""), "%s", err);
    cr_assert(strstr(err, "here (") && strstr(err, "python3"), "%s", err);
    cr_assert_eq(kernelspec_find(NULL, "cobol", &ks, err, sizeof err), -1);
    cr_assert(strstr(err, "no kernelspec for language \"cobol\""), "%s", err);
}

Test(kernelspec, broken_kernel_json_is_named_with_the_problem)
{
    tu_write_spec(a, "broken", "{\"argv\": [\"p\",");
    tu_write_spec(a, "noargv", "{\"argv\": [], \"language\": \"x\"}");
    tu_write_spec(a, "badmode", "{\"argv\": [\"p\"], \"interrupt_mode\": \"shout\"}");
    struct kernelspec ks;
    char err[1024];
    cr_assert_eq(kernelspec_find("broken", NULL, &ks, err, sizeof err), -1);
    cr_assert(strstr(err, "/kernels/broken/kernel.json:"), "%s", err);
    cr_assert_eq(kernelspec_find("noargv", NULL, &ks, err, sizeof err), -1);
    cr_assert(strstr(err, "\"argv\" must be a non-empty list"), "%s", err);
    cr_assert_eq(kernelspec_find("badmode", NULL, &ks, err, sizeof err), -1);
    cr_assert(strstr(err, "interrupt_mode"), "%s", err);
}

Test(kernelspec, directory_without_kernel_json_is_not_a_kernelspec)
{
    tu_write_spec(a, "empty", "{\"argv\": [\"p\"]}");
    char path[300];
    snprintf(path, sizeof path, "%s/kernels/empty/kernel.json", a);
    remove(path);
    struct kernelspec ks;
    char err[1024];
    cr_assert_eq(kernelspec_find("empty", NULL, &ks, err, sizeof err), -1);
}

Test(kernelspec, built_in_python3_is_ipykernels_own_spec)
{
    struct kernelspec ks;
    char err[512];
    cr_assert_eq(kernelspec_native(&ks, err, sizeof err), 0, "python3-ipykernel is installed: %s", err);
    const char *want[] = {"/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}", NULL};
    for (int i = 0; want[i]; i++)
        cr_assert_str_eq(ks.argv[i], want[i]);
    cr_assert_null(ks.argv[5]);
    cr_assert_str_eq(ks.name, "python3");
    cr_assert_str_eq(ks.language, "python");
    cr_assert_str_eq(ks.display_name, "Python 3 (ipykernel)");
    cr_assert_null(ks.resource_dir);
    kernelspec_clear(&ks);
}
