/* Test helper: reads a notebook and writes it back ("-" for stdout); exit 1
 * with the reader's error on stderr. */
#include "notebook.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: nb_roundtrip IN OUT\n");
        return 2;
    }
    char err[512];
    json_t *nb = notebook_read_file(argv[1], err, sizeof err);
    if (!nb || notebook_write_file(nb, argv[2], err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        json_decref(nb);
        return 1;
    }
    json_decref(nb);
    return 0;
}
