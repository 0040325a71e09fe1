/* Writing notebooks byte-for-byte as nbformat.write does: split_lines and
 * strip_transient on a view of the tree, then json.dumps(sort_keys=True,
 * indent=1, ensure_ascii=False) and a trailing newline. */
#include "notebook.h"
#include "pyjson.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Length of the line break at s (0 if none), as str.splitlines sees them:
 * \n \r \r\n \v \f \x1c \x1d \x1e U+0085 U+2028 U+2029. */
static size_t line_break_len(const unsigned char *s, size_t avail)
{
    switch (s[0]) {
    case '\r':
        return avail > 1 && s[1] == '\n' ? 2 : 1;
    case '\n': case 0x0b: case 0x0c: case 0x1c: case 0x1d: case 0x1e:
        return 1;
    case 0xC2:
        return avail > 1 && s[1] == 0x85 ? 2 : 0;
    case 0xE2:
        return avail > 2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9) ? 3 : 0;
    default:
        return 0;
    }
}

/* str.splitlines(True) as a new list (OWNED). */
static json_t *split_lines(const json_t *str)
{
    const unsigned char *s = (const unsigned char *)json_string_value(str);
    size_t n = json_string_length(str), start = 0, i = 0;
    json_t *list = json_array();
    while (list && i < n) {
        size_t br = line_break_len(s + i, n - i);
        if (!br) {
            i++;
            continue;
        }
        i += br;
        json_array_append_new(list, json_stringn_nocheck((const char *)s + start, i - start));
        start = i;
    }
    if (list && start < n)
        json_array_append_new(list, json_stringn_nocheck((const char *)s + start, n - start));
    return list;
}

/* A new object sharing every member of src except the listed keys. */
static json_t *copy_without(const json_t *src, const char *const *skip)
{
    json_t *dst = json_object();
    const char *k;
    size_t kn;
    json_t *v;
    json_object_keylen_foreach((json_t *)src, k, kn, v)
    {
        int drop = 0;
        for (const char *const *s = skip; *s; s++)
            if (strlen(*s) == kn && !memcmp(*s, k, kn))
                drop = 1;
        if (!drop)
            json_object_setn_nocheck(dst, k, kn, v);
    }
    return dst;
}

static int split_mime(const char *mime)
{
    return !strncmp(mime, "text/", 5) || !strcmp(mime, "application/javascript") ||
           !strcmp(mime, "image/svg+xml");
}

static json_t *split_mimebundle(const json_t *data)
{
    static const char *const none[] = {NULL};
    json_t *out = copy_without(data, none);
    const char *mime;
    json_t *v;
    json_object_foreach((json_t *)data, mime, v)
    {
        if (json_is_string(v) && split_mime(mime))
            json_object_set_new(out, mime, split_lines(v));
    }
    return out;
}

/* One cell as nbformat writes it (OWNED, shares most values with cell). */
static json_t *cell_view(const json_t *cell)
{
    static const char *const skip[] = {"source", "attachments", "outputs", "metadata", NULL};
    static const char *const trusted[] = {"trusted", NULL};
    json_t *out = copy_without(cell, skip);
    const json_t *md = json_object_get(cell, "metadata");
    if (json_is_object(md))
        json_object_set_new(out, "metadata", copy_without(md, trusted));
    else if (md)
        json_object_set(out, "metadata", (json_t *)md);
    const json_t *src = json_object_get(cell, "source");
    if (json_is_string(src))
        json_object_set_new(out, "source", split_lines(src));
    else if (src)
        json_object_set(out, "source", (json_t *)src);
    const json_t *att = json_object_get(cell, "attachments");
    if (json_is_object(att)) {
        json_t *a = json_object();
        const char *k;
        json_t *bundle;
        json_object_foreach((json_t *)att, k, bundle) json_object_set_new(a, k, split_mimebundle(bundle));
        json_object_set_new(out, "attachments", a);
    } else if (att) {
        json_object_set(out, "attachments", (json_t *)att);
    }
    const json_t *outs = json_object_get(cell, "outputs");
    const char *type = json_string_value(json_object_get(cell, "cell_type"));
    if (outs && type && !strcmp(type, "code") && json_is_array(outs)) {
        json_t *list = json_array();
        size_t i;
        json_t *o;
        json_array_foreach(outs, i, o)
        {
            const char *ot = json_string_value(json_object_get(o, "output_type"));
            const char *key = NULL;
            if (ot && (!strcmp(ot, "execute_result") || !strcmp(ot, "display_data")))
                key = "data";
            else if (ot && !strcmp(ot, "stream"))
                key = "text";
            const json_t *field = key ? json_object_get(o, key) : NULL;
            if (!field || (!strcmp(key, "text") && !json_is_string(field))) {
                json_array_append(list, o);
                continue;
            }
            const char *const only[] = {key, NULL};
            json_t *copy = copy_without(o, only);
            json_object_set_new(copy, key, !strcmp(key, "data") ? split_mimebundle(field) : split_lines(field));
            json_array_append_new(list, copy);
        }
        json_object_set_new(out, "outputs", list);
    } else if (outs) {
        json_object_set(out, "outputs", (json_t *)outs);
    }
    return out;
}

/* The cells are rewritten one at a time while they are written, so a save
 * never holds a second copy of the whole notebook. */
static const struct pyjson_each each_cell = {"cells", cell_view};

/* What nbformat writes, as a tree sharing most values with nb (caller owns);
 * its cells still need each_cell. */
static json_t *notebook_view(const json_t *nb)
{
    static const char *const skip[] = {"metadata", NULL};
    static const char *const transient[] = {"orig_nbformat", "orig_nbformat_minor", "signature", NULL};
    json_t *view = copy_without(nb, skip);
    const json_t *md = json_object_get(nb, "metadata");
    if (md)
        json_object_set_new(view, "metadata", copy_without(md, transient));
    return view;
}

char *notebook_dumps(const json_t *nb, size_t *len_out)
{
    json_t *view = notebook_view(nb);
    if (!view)
        return NULL;
    size_t len;
    char *text = pyjson_dumps_each(view, 1, 1, &each_cell, &len);
    json_decref(view);
    if (!text)
        return NULL;
    char *out = realloc(text, len + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    out[len] = '\n';
    out[len + 1] = '\0';
    if (len_out)
        *len_out = len + 1;
    return out;
}

int notebook_write_file(const json_t *nb, const char *path, char *err, size_t errlen)
{
    json_t *view = notebook_view(nb);
    if (!view) {
        snprintf(err, errlen, "%s: out of memory while writing the notebook", path);
        return -1;
    }
    if (!strcmp(path, "-")) {
        int rc = pyjson_dump_fd_each(view, 1, 1, &each_cell, "\n", STDOUT_FILENO);
        if (rc < 0)
            snprintf(err, errlen, "<stdout>: %s", strerror(errno));
        json_decref(view);
        return rc;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        json_decref(view);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a temporary file next to it: %s", path, strerror(errno));
        free(tmp);
        json_decref(view);
        return -1;
    }
    /* keep the mode of the file being replaced; new files get 0644 */
    struct stat st;
    fchmod(fd, stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644);
    int rc = pyjson_dump_fd_each(view, 1, 1, &each_cell, "\n", fd);
    if (rc == 0)
        rc = fsync(fd);
    int saved = errno;
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -1;
        saved = errno;
    }
    if (rc < 0) {
        unlink(tmp);
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(saved));
    }
    free(tmp);
    json_decref(view);
    return rc;
}
