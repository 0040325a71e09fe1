/* The engine's own cost per cell, without a kernel: exec_notebook on the
 * scripted kernel of the tests, for growing notebooks of printing cells,
 * plus the final nbformat write.  Shows the host overhead per cell and that
 * it does not grow with the notebook's length.
 *
 * engine_bench [CELLS...]   (default 200 1000 5000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "execute.h"
#include "fake_kernel.h"
#include "notebook.h"
#include "papermill_meta.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static json_t *make_nb(int cells)
{
    json_t *arr = json_array();
    for (int i = 0; i < cells; i++) {
        char id[16], src[160];
        snprintf(id, sizeof id, "c%06d", i);
        snprintf(src, sizeof src,
                 "{\"out\": [[\"stream\", {\"name\": \"stdout\", \"text\": \"%d\\n\"}]]}", i);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:{}, s:s, s:[], s:n}", "id", id, "cell_type", "code",
                                             "metadata", "source", src, "outputs", "execution_count"));
    }
    json_t *nb = json_pack("{s:i, s:i, s:{s:{s:s, s:s}}, s:o}", "nbformat", 4, "nbformat_minor", 5, "metadata",
                           "kernelspec", "name", "python3", "display_name", "Python 3", "cells", arr);
    pm_load_defaults(nb);
    pm_prepare(nb, "in.ipynb", "out.ipynb", 0);
    return nb;
}

int main(int argc, char **argv)
{
    int sizes[16] = {200, 1000, 5000}, n = 3;
    if (argc > 1) {
        n = 0;
        for (int i = 1; i < argc && n < 16; i++)
            sizes[n++] = atoi(argv[i]);
    }
    printf("| cells | engine wall / cell | engine CPU / cell | final write | write / cell |\n|---|---|---|---|---|\n");
    for (int s = 0; s < n; s++) {
        json_t *nb = make_nb(sizes[s]);
        struct kernel *k = fake_kernel_new();
        struct exec_opts o;
        exec_opts_default(&o);
        struct exec_report r;
        double w0 = now_s(), c0 = cpu_s();
        exec_notebook(k, nb, &o, &r);
        double w1 = now_s(), c1 = cpu_s();
        size_t len;
        char *text = notebook_dumps(nb, &len);
        double w2 = now_s();
        printf("| %d | %.1f us | %.1f us | %.1f ms (%zu kB) | %.1f us |\n", sizes[s], (w1 - w0) / sizes[s] * 1e6,
               (c1 - c0) / sizes[s] * 1e6, (w2 - w1) * 1e3, len / 1024, (w2 - w1) / sizes[s] * 1e6);
        free(text);
        k->ops->shutdown(k);
        json_decref(nb);
    }
    return 0;
}
