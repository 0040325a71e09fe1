/* Kernelspecs found where Jupyter looks for them (jupyter_core's
 * jupyter_path("kernels")): each JUPYTER_PATH entry, the user data dir
 * (JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else
 * ~/.local/share/jupyter), /usr/local/share/jupyter, /usr/share/jupyter.
 * The first directory holding a name wins.  Like jupyter_client, a
 * "python3" spec is built in when none is on disk but ipykernel is
 * installed for /usr/bin/python3. */
#ifndef NBSOAR_KERNELSPEC_H
#define NBSOAR_KERNELSPEC_H

#include <stddef.h>
#include <jansson.h>

struct kernelspec {
    char *name;              /* lowercased directory name */
    char *resource_dir;      /* the spec's directory; NULL for the built-in python3 */
    char *display_name;
    char *language;
    char **argv;             /* NULL-terminated, before {connection_file} substitution */
    json_t *env;             /* {"NAME": "value"} or NULL */
    int interrupt_message;   /* interrupt_mode "message": interrupt_request on control */
};

/* By name (case-insensitive) when name is set, else the first spec whose
 * language matches (case-insensitive; "python3" preferred for python), else
 * "python3".  Fills out (OWNED; kernelspec_clear) and returns 0, or -1 with
 * err, which lists the available kernelspecs when none matches. */
int kernelspec_find(const char *name, const char *language, struct kernelspec *out, char *err, size_t errlen);
void kernelspec_clear(struct kernelspec *ks);

/* Reads dir/kernel.json into out.  Returns 0, or -1 with err naming the file
 * and field. */
int kernelspec_load(const char *name, const char *dir, struct kernelspec *out, char *err, size_t errlen);

/* The built-in "python3" used when no spec of that name is on disk:
 * /usr/bin/python3 -m ipykernel_launcher.  Returns 0, or -1 with err when
 * ipykernel is not installed for /usr/bin/python3. */
int kernelspec_native(struct kernelspec *out, char *err, size_t errlen);

/* The directories searched, in order, NULL-terminated; OWNED by the caller
 * (kernelspec_dirs_free). */
char **kernelspec_dirs(void);
void kernelspec_dirs_free(char **dirs);

#endif
