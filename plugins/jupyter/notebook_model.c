/* Small notebook tree helpers: upgrade to 4.5, cell ids, tags, sources. */
#include "notebook.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

void notebook_new_cell_id(char out[9])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[4];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        /* getrandom only fails before the pool is seeded; ids need
         * uniqueness, not secrecy, so fall back to the address and time */
        static unsigned counter;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint32_t x = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u ^ ++counter * 40503u;
        memcpy(rnd, &x, sizeof rnd);
    }
    for (int i = 0; i < 4; i++) {
        out[2 * i] = hex[rnd[i] >> 4];
        out[2 * i + 1] = hex[rnd[i] & 15];
    }
    out[8] = '\0';
}

void notebook_upgrade(json_t *nb)
{
    json_int_t minor = json_integer_value(json_object_get(nb, "nbformat_minor"));
    if (minor >= 5)
        return;
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(nb, "cells"), i, cell)
    {
        char id[9];
        notebook_new_cell_id(id);
        json_object_set_new(cell, "id", json_string(id));
    }
    json_object_set_new(json_object_get(nb, "metadata"), "orig_nbformat_minor", json_integer(minor));
    json_object_set_new(nb, "nbformat_minor", json_integer(5));
}

const char *notebook_cell_source(const json_t *cell)
{
    const char *s = json_string_value(json_object_get(cell, "source"));
    return s ? s : "";
}

int notebook_cell_has_tag(const json_t *cell, const char *tag)
{
    const json_t *tags = json_object_get(json_object_get(cell, "metadata"), "tags");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *s = json_string_value(t);
        if (s && !strcmp(s, tag))
            return 1;
    }
    return 0;
}

int notebook_find_tagged(const json_t *nb, const char *tag)
{
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(nb, "cells"), i, cell)
    {
        if (notebook_cell_has_tag(cell, tag))
            return (int)i;
    }
    return -1;
}
