/* Output paths (dispatch_output_path in dispatch.h) and file helpers. */
#ifndef NBSOAR_DISPATCH_OUTPUT_H
#define NBSOAR_DISPATCH_OUTPUT_H

#include <stddef.h>

/* Creates every missing directory above `file`.  0, or -1 with err. */
int dispatch_mkdirs_for(const char *file, char *err, size_t errlen);
/* Lowercase hex sha256 of a file's bytes.  0, or -1 (unreadable). */
int dispatch_file_sha256(const char *path, char hex[65]);

#endif
