/* static_files.c — the widget and pages under web_root (see static_files.h).
 *
 * Defence in depth against path traversal: the decoded URL path is
 * checked segment by segment (no "..", no hidden names, no backslashes),
 * the joined path is resolved with realpath() and must still lie under the
 * resolved root (this also catches symlinks pointing outside), and only
 * regular files are opened. */
#include "static_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *ext, *type;
} mime_types[] = {
	{"html", "text/html; charset=utf-8"},
	{"htm", "text/html; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"js", "text/javascript; charset=utf-8"},
	{"mjs", "text/javascript; charset=utf-8"},
	{"json", "application/json; charset=utf-8"},
	{"map", "application/json; charset=utf-8"},
	{"webmanifest", "application/manifest+json"},
	{"txt", "text/plain; charset=utf-8"},
	{"svg", "image/svg+xml"},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"webp", "image/webp"},
	{"ico", "image/x-icon"},
	{"woff2", "font/woff2"},
	{"woff", "font/woff"},
	{"pdf", "application/pdf"},
};

static const char *mime_for(const char *path, int *html)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	*html = 0;
	if (dot)
		for (size_t i = 0; i < sizeof mime_types / sizeof *mime_types; i++)
			if (strcasecmp(dot + 1, mime_types[i].ext) == 0) {
				*html = strncmp(mime_types[i].type, "text/html", 9) == 0;
				return mime_types[i].type;
			}
	return "application/octet-stream";
}

/* 1 if every segment of the absolute URL path is an acceptable name. */
static int path_ok(const char *url)
{
	if (url[0] != '/' || strchr(url, '\\'))
		return 0;
	const char *p = url + 1;
	while (*p) {
		size_t n = strcspn(p, "/");
		/* "" (a "//"), "." and ".." and hidden files like .git */
		if ((n == 0 && p[0] == '/') || (n > 0 && p[0] == '.'))
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

static enum MHD_Result not_found(http_req *r)
{
	return http_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found",
				"ページが見つかりません。");
}

enum MHD_Result static_serve(http_req *r)
{
	const char *root = r->app->web_root;
	if (root == NULL || !path_ok(r->url))
		return not_found(r);
	char path[PATH_MAX];
	size_t ul = strlen(r->url);
	int n = snprintf(path, sizeof path, "%s%s%s", root, r->url,
			 r->url[ul - 1] == '/' ? "index.html" : "");
	if (n < 0 || (size_t)n >= sizeof path)
		return not_found(r);
	char *real = realpath(path, NULL);
	size_t rl = strlen(root);
	if (real == NULL || strncmp(real, root, rl) != 0 || real[rl] != '/') {
		free(real);
		return not_found(r);
	}
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		free(real);
		return not_found(r);
	}
	int html;
	const char *type = mime_for(real, &html);
	free(real);
	char etag[64];
	snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
	/* Pages revalidate every time (so a new widget version is picked up);
	 * assets may be cached for an hour. */
	const char *cache = html ? "no-cache" : "public, max-age=3600";
	const char *inm = http_header(r, "If-None-Match");
	struct MHD_Response *resp;
	unsigned status;
	if (inm && strcmp(inm, etag) == 0) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_MODIFIED;
	} else {
		/* MHD owns fd from here (closed with the response). */
		resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
		if (resp == NULL)
			close(fd);
		status = MHD_HTTP_OK;
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", cache);
	MHD_add_response_header(resp, "ETag", etag);
	return http_send(r, status, resp, html);
}
