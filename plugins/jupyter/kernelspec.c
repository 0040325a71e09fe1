/* Kernelspec discovery and kernel.json reading, as jupyter_client does. */
#include "kernelspec.h"

#include <ctype.h>
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define NATIVE_KERNEL_NAME "python3"
#define NATIVE_PYTHON "/usr/bin/python3"

static char *join(const char *a, const char *b)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s", a, b) < 0)
        return NULL;
    return s;
}

/* Appends dir + "/kernels" unless already listed (jupyter_core drops the
 * duplicates between the env and system entries the same way). */
static int add_dir(char ***dirs, size_t *n, const char *base)
{
    size_t blen = strlen(base);
    while (blen > 1 && base[blen - 1] == '/')
        blen--;
    char *d = NULL;
    if (asprintf(&d, "%.*s/kernels", (int)blen, base) < 0)
        return -1;
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*dirs)[i], d) == 0) {
            free(d);
            return 0;
        }
    }
    char **grown = realloc(*dirs, (*n + 2) * sizeof *grown);
    if (!grown) {
        free(d);
        return -1;
    }
    *dirs = grown;
    grown[(*n)++] = d;
    grown[*n] = NULL;
    return 0;
}

char **kernelspec_dirs(void)
{
    char **dirs = calloc(1, sizeof *dirs);
    size_t n = 0;
    if (!dirs)
        return NULL;
    const char *jp = getenv("JUPYTER_PATH");
    if (jp && *jp) {
        char *copy = strdup(jp), *save = NULL;
        for (char *p = copy ? strtok_r(copy, ":", &save) : NULL; p; p = strtok_r(NULL, ":", &save))
            add_dir(&dirs, &n, p);
        free(copy);
    }
    const char *data = getenv("JUPYTER_DATA_DIR");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    char *user = NULL;
    if (data && *data)
        user = strdup(data);
    else if (xdg && *xdg)
        user = join(xdg, "jupyter");
    else if (home && *home)
        user = join(home, ".local/share/jupyter");
    if (user)
        add_dir(&dirs, &n, user);
    free(user);
    /* Python's user site base, which jupyter_core also searches. */
    if (home && *home) {
        char *site = join(home, ".local/share/jupyter");
        if (site)
            add_dir(&dirs, &n, site);
        free(site);
    }
    add_dir(&dirs, &n, "/usr/local/share/jupyter");
    add_dir(&dirs, &n, "/usr/share/jupyter");
    return dirs;
}

void kernelspec_dirs_free(char **dirs)
{
    for (size_t i = 0; dirs && dirs[i]; i++)
        free(dirs[i]);
    free(dirs);
}

void kernelspec_clear(struct kernelspec *ks)
{
    free(ks->name);
    free(ks->resource_dir);
    free(ks->display_name);
    free(ks->language);
    for (size_t i = 0; ks->argv && ks->argv[i]; i++)
        free(ks->argv[i]);
    free(ks->argv);
    json_decref(ks->env);
    memset(ks, 0, sizeof *ks);
}

static int load_fail(struct kernelspec *out, char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: %s", path, what);
    kernelspec_clear(out);
    return -1;
}

static char *lowercase(const char *s)
{
    char *l = strdup(s);
    for (char *p = l; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return l;
}

int kernelspec_load(const char *name, const char *dir, struct kernelspec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *path = join(dir, "kernel.json");
    if (!path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    int rc = -1;
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        goto done;
    }
    json_t *argv = json_object_get(root, "argv");
    if (!json_is_array(argv) || json_array_size(argv) == 0) {
        load_fail(out, err, errlen, path, "\"argv\" must be a non-empty list of strings");
        goto done;
    }
    out->argv = calloc(json_array_size(argv) + 1, sizeof *out->argv);
    out->name = lowercase(name);
    out->resource_dir = strdup(dir);
    if (!out->argv || !out->name || !out->resource_dir) {
        load_fail(out, err, errlen, path, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < json_array_size(argv); i++) {
        const char *a = json_string_value(json_array_get(argv, i));
        if (!a) {
            load_fail(out, err, errlen, path, "\"argv\" must be a non-empty list of strings");
            goto done;
        }
        out->argv[i] = strdup(a);
    }
    json_t *dn = json_object_get(root, "display_name");
    json_t *lang = json_object_get(root, "language");
    json_t *env = json_object_get(root, "env");
    json_t *mode = json_object_get(root, "interrupt_mode");
    if ((dn && !json_is_string(dn)) || (lang && !json_is_string(lang))) {
        load_fail(out, err, errlen, path, "\"display_name\" and \"language\" must be strings");
        goto done;
    }
    out->display_name = strdup(dn ? json_string_value(dn) : "");
    out->language = strdup(lang ? json_string_value(lang) : "");
    if (env && !json_is_null(env)) {
        const char *k;
        json_t *v;
        if (!json_is_object(env)) {
            load_fail(out, err, errlen, path, "\"env\" must be an object of strings");
            goto done;
        }
        json_object_foreach(env, k, v) {
            if (!json_is_string(v)) {
                load_fail(out, err, errlen, path, "\"env\" must be an object of strings");
                goto done;
            }
        }
        out->env = json_incref(env);
    }
    if (mode && !json_is_null(mode)) {
        const char *m = json_string_value(mode);
        if (!m || (strcmp(m, "signal") != 0 && strcmp(m, "message") != 0)) {
            load_fail(out, err, errlen, path, "\"interrupt_mode\" must be \"signal\" or \"message\"");
            goto done;
        }
        out->interrupt_message = strcmp(m, "message") == 0;
    }
    rc = 0;
done:
    json_decref(root);
    free(path);
    return rc;
}

/* ipykernel_launcher importable by /usr/bin/python3: look where Debian and
 * pip put it rather than start Python (which costs ~50 ms). */
static int native_python_available(void)
{
    static const char *const patterns[] = {
        "/usr/lib/python3/dist-packages/ipykernel_launcher.py",
        "/usr/local/lib/python3*/dist-packages/ipykernel_launcher.py",
        "/usr/lib/python3*/site-packages/ipykernel_launcher.py",
        "/usr/local/lib/python3*/site-packages/ipykernel_launcher.py",
    };
    if (access(NATIVE_PYTHON, X_OK) != 0)
        return 0;
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        glob_t g;
        int found = glob(patterns[i], 0, NULL, &g) == 0 && g.gl_pathc > 0;
        globfree(&g);
        if (found)
            return 1;
    }
    return 0;
}

/* ipykernel's own spec (ipykernel.kernelspec.get_kernel_dict). */
static int builtin_python3(struct kernelspec *out, char *err, size_t errlen)
{
    static const char *const argv[] = {NATIVE_PYTHON, "-m", "ipykernel_launcher", "-f", "{connection_file}"};
    memset(out, 0, sizeof *out);
    out->argv = calloc(6, sizeof *out->argv);
    out->name = strdup(NATIVE_KERNEL_NAME);
    out->display_name = strdup("Python 3 (ipykernel)");
    out->language = strdup("python");
    for (size_t i = 0; out->argv && i < 5; i++)
        out->argv[i] = strdup(argv[i]);
    if (!out->argv || !out->name || !out->display_name || !out->language || !out->argv[4]) {
        kernelspec_clear(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int kernelspec_native(struct kernelspec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!native_python_available()) {
        snprintf(err, errlen, "ipykernel is not installed for %s", NATIVE_PYTHON);
        return -1;
    }
    return builtin_python3(out, err, errlen);
}

/* Every spec directory in search order, first of each name: a list of
 * {name, dir} pairs (OWNED by the caller). */
struct spec_ref {
    char *name;
    char *dir;
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_kernel_dir(const char *dir)
{
    char *kj = join(dir, "kernel.json");
    struct stat st;
    int ok = kj && stat(kj, &st) == 0 && S_ISREG(st.st_mode);
    free(kj);
    return ok;
}

static int collect(struct spec_ref **refs, size_t *n)
{
    char **dirs = kernelspec_dirs();
    *refs = NULL;
    *n = 0;
    for (size_t d = 0; dirs && dirs[d]; d++) {
        DIR *dh = opendir(dirs[d]);
        if (!dh)
            continue;
        char **names = NULL;
        size_t nn = 0;
        struct dirent *e;
        while ((e = readdir(dh)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char **grown = realloc(names, (nn + 1) * sizeof *grown);
            if (!grown)
                break;
            names = grown;
            names[nn++] = strdup(e->d_name);
        }
        closedir(dh);
        /* Sorted so "first match by language" does not depend on readdir. */
        qsort(names, nn, sizeof *names, cmp_name);
        for (size_t i = 0; i < nn; i++) {
            char *dir = names[i] ? join(dirs[d], names[i]) : NULL;
            char *lname = names[i] ? lowercase(names[i]) : NULL;
            int dup = 0;
            for (size_t j = 0; lname && j < *n; j++)
                dup |= strcmp((*refs)[j].name, lname) == 0;
            struct spec_ref *grown = NULL;
            if (dir && lname && !dup && is_kernel_dir(dir))
                grown = realloc(*refs, (*n + 1) * sizeof *grown);
            if (grown) {
                *refs = grown;
                grown[*n].name = lname;
                grown[(*n)++].dir = dir;
            } else {
                free(dir);
                free(lname);
            }
            free(names[i]);
        }
        free(names);
    }
    kernelspec_dirs_free(dirs);
    return 0;
}

static void refs_free(struct spec_ref *refs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(refs[i].name);
        free(refs[i].dir);
    }
    free(refs);
}

/* "no such kernel ...; available kernelspecs: a (dir), b (dir)". */
static void not_found(const char *what, const struct spec_ref *refs, size_t n, int native, char *err, size_t errlen)
{
    size_t o = (size_t)snprintf(err, errlen, "%s; available kernelspecs:", what);
    for (size_t i = 0; i < n && o < errlen; i++)
        o += (size_t)snprintf(err + o, errlen - o, "%s %s (%s)", i ? "," : "", refs[i].name, refs[i].dir);
    if (native && o < errlen)
        o += (size_t)snprintf(err + o, errlen - o, "%s python3 (built-in ipykernel)", n ? "," : "");
    if (n == 0 && !native && o < errlen)
        snprintf(err + o, errlen - o, " none (searched JUPYTER_PATH, the user data dir, "
                                      "/usr/local/share/jupyter, /usr/share/jupyter)");
}

/* The first spec (named only_name when set) whose language is language. */
static int first_with_language(const struct spec_ref *refs, size_t n, const char *language, const char *only_name,
                               struct kernelspec *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        struct kernelspec cand;
        if (only_name && strcmp(refs[i].name, only_name) != 0)
            continue;
        if (kernelspec_load(refs[i].name, refs[i].dir, &cand, err, errlen) != 0)
            continue;
        if (strcasecmp(cand.language, language) == 0) {
            *out = cand;
            return 0;
        }
        kernelspec_clear(&cand);
    }
    return -1;
}

int kernelspec_find(const char *name, const char *language, struct kernelspec *out, char *err, size_t errlen)
{
    struct spec_ref *refs;
    size_t n;
    memset(out, 0, sizeof *out);
    collect(&refs, &n);
    int have_native = 0;
    for (size_t i = 0; i < n; i++)
        have_native |= strcmp(refs[i].name, NATIVE_KERNEL_NAME) == 0;
    int native = !have_native && native_python_available();
    int rc = -1;
    if (!name && language && *language) {
        /* python: python3 (on disk, else built in) before any other. */
        if (strcasecmp(language, "python") == 0) {
            rc = first_with_language(refs, n, language, NATIVE_KERNEL_NAME, out, err, errlen);
            if (rc != 0 && native)
                rc = builtin_python3(out, err, errlen);
        }
        if (rc != 0)
            rc = first_with_language(refs, n, language, NULL, out, err, errlen);
        if (rc != 0) {
            char what[160];
            snprintf(what, sizeof what, "no kernelspec for language \"%.100s\"", language);
            not_found(what, refs, n, native, err, errlen);
        }
        refs_free(refs, n);
        return rc;
    }
    if (!name)
        name = NATIVE_KERNEL_NAME;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(refs[i].name, name) == 0) {
            rc = kernelspec_load(refs[i].name, refs[i].dir, out, err, errlen);
            refs_free(refs, n);
            return rc;
        }
    }
    if (native && strcasecmp(name, NATIVE_KERNEL_NAME) == 0) {
        rc = builtin_python3(out, err, errlen);
    } else {
        char what[200];
        snprintf(what, sizeof what, "no such kernel named \"%.100s\"", name);
        not_found(what, refs, n, native, err, errlen);
    }
    refs_free(refs, n);
    return rc;
}
