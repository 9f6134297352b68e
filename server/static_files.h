/* static_files.h — GET/HEAD of the widget and pages under web_root. */
#ifndef SRV_STATIC_FILES_H
#define SRV_STATIC_FILES_H

#include "http.h"

/* Serves r->url from the static root: "/" and "/dir/" mean index.html;
 * paths with "..", hidden segments, NUL or backslashes, and files whose
 * real path leaves the root (symlinks) are refused with 404; only regular
 * files are served, with their MIME type, Cache-Control and an ETag. */
enum MHD_Result static_serve(http_req *r);

#endif
