/* Notebooks stored on a Jupyter Server through its contents API
 * (http(s)://host/[prefix/]api/contents/path.ipynb), through the host's
 * HTTP service with the endpoint's Authorization header (never ?token=).
 *
 * read: GET ?type=notebook&content=1 and unwrap the model's "content";
 * write: PUT {"type": "notebook", "format": "json", "content": nb} after
 * creating every missing parent folder (GET, then PUT {"type":
 * "directory"}, per path part). */
#ifndef NBSOAR_STORE_CONTENTS_H
#define NBSOAR_STORE_CONTENTS_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include <nbsoar/plugin.h>

/* 1 when where is an http(s) URL with /api/contents/ in its path. */
int contents_is_url(const char *where);

/* A new notebook tree (OWNED) or NULL with err naming the URL. */
json_t *contents_read(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const char *url,
                      char *err, size_t errlen);
/* 0, or -1 with err. */
int contents_write(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const json_t *nb,
                   const char *url, char *err, size_t errlen);

/* The page a person opens: .../api/contents/P becomes .../lab/tree/P.
 * OWNED (free); NULL when url is not a contents URL. */
char *contents_browser_link(const char *url);

/* where with strftime conversions (UTC at t) applied to its folder part
 * (up to the last '/'); "%%" is a literal '%'.  OWNED; NULL on ENOMEM or
 * a folder part over 4 KiB. */
char *output_expand_folder(const char *where, time_t t);

#endif
