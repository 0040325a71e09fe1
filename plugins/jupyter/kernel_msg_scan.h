/* A fast look into the serialized header dicts of a Jupyter message:
 * checks the text is one well-formed JSON object and finds a few
 * top-level string values without building a tree. */
#ifndef NBSOAR_KERNEL_MSG_SCAN_H
#define NBSOAR_KERNEL_MSG_SCAN_H

#include <stddef.h>

struct scan_field {
    const char *key;   /* in: top-level key wanted */
    const char *value; /* out: points into the text, NULL when absent */
    size_t len;
};

/* Scans p[0..n).  Returns 0 when it is a JSON object and every wanted key
 * that is present holds a string without escapes; -1 otherwise (not an
 * object, malformed, nested deeper than 64, or a wanted value that is not
 * such a string), and the caller parses the text in full instead. */
int kernel_msg_scan(const char *p, size_t n, struct scan_field *fields, size_t n_fields);

#endif
