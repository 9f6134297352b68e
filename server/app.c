/* app.c — process-wide runtime pieces (see app.h). */
#include "app.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../kb/kb_search.h"
#include "log.h"

#ifndef MDG_DATADIR
#define MDG_DATADIR "."
#endif

#define SECRET_FILE_MAX 4096

/* This thread's handle (also listed in a->kbs so shutdown can close it
 * after the thread is gone). */
static _Thread_local kb *thread_kb;

double app_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

mdg_rc app_kb(srv_app *a, kb **out, char **err)
{
	if (thread_kb) {
		*out = thread_kb;
		return MDG_OK;
	}
	kb *k = NULL;
	mdg_rc rc = kb_open(a->cfg->database, a->model, KB_OPEN_READONLY, &k, err);
	if (rc == MDG_OK && (rc = kb_search_cache_results(k, (size_t)a->cfg->search_cache)) != MDG_OK)
		kb_close(k);
	if (rc != MDG_OK)
		return rc;
	pthread_mutex_lock(&a->kb_lock);
	kb **v = realloc(a->kbs, (a->nkbs + 1) * sizeof *v);
	if (v) {
		a->kbs = v;
		a->kbs[a->nkbs++] = k;
	}
	pthread_mutex_unlock(&a->kb_lock);
	if (v == NULL) {
		kb_close(k);
		return MDG_ERR_NOMEM;
	}
	thread_kb = k;
	*out = k;
	return MDG_OK;
}

void app_close_kbs(srv_app *a)
{
	pthread_mutex_lock(&a->kb_lock);
	for (size_t i = 0; i < a->nkbs; i++)
		kb_close(a->kbs[i]);
	free(a->kbs);
	a->kbs = NULL;
	a->nkbs = 0;
	pthread_mutex_unlock(&a->kb_lock);
	thread_kb = NULL;
}

/* Creates path with a fresh random secret, atomically: written to a
 * temporary file, then link()ed into place, so two servers starting at
 * once agree on one secret. */
static mdg_rc create_secret_file(const char *path, char **err)
{
	unsigned char raw[32];
	char hex[sizeof raw * 2 + 2];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	size_t n = strlen(hex);
	hex[n++] = '\n';
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof tmp)
		return mdg_fail(err, MDG_ERR_CONFIG, "secret_file: path too long");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return mdg_fail(err, MDG_ERR_IO, "secret_file: cannot create %s: %s", tmp,
				strerror(errno));
	mdg_rc rc = MDG_OK;
	if (write(fd, hex, n) != (ssize_t)n || fsync(fd) != 0)
		rc = mdg_fail(err, MDG_ERR_IO, "secret_file: cannot write %s: %s", tmp,
			      strerror(errno));
	close(fd);
	sodium_memzero(hex, sizeof hex);
	if (rc == MDG_OK && link(tmp, path) != 0 && errno != EEXIST)
		rc = mdg_fail(err, MDG_ERR_IO, "secret_file: cannot create %s: %s", path,
			      strerror(errno));
	unlink(tmp);
	if (rc == MDG_OK)
		srv_log(SRV_LOG_INFO, "created a new state secret in %s", path);
	return rc;
}

static mdg_rc read_secret_file(const char *path, char *buf, size_t bufn, size_t *n,
			       char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mdg_fail(err, MDG_ERR_CONFIG, "secret_file %s: %s", path,
				strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		srv_log(SRV_LOG_WARN, "secret_file %s is readable by other users "
				      "(chmod 600 it)",
			path);
	ssize_t r = read(fd, buf, bufn - 1);
	close(fd);
	if (r < 0)
		return mdg_fail(err, MDG_ERR_IO, "secret_file %s: %s", path,
				strerror(errno));
	size_t len = (size_t)r;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
			   buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (len < 32)
		return mdg_fail(err, MDG_ERR_CONFIG,
				"secret_file %s: needs at least 32 characters of secret",
				path);
	*n = len;
	return MDG_OK;
}

mdg_rc app_load_secret(srv_app *a, char **err)
{
	const srv_config *c = a->cfg;
	if (c->secret) {
		state_derive_key(c->secret, strlen(c->secret), a->state_key);
		return MDG_OK;
	}
	if (c->secret_file) {
		if (access(c->secret_file, F_OK) != 0) {
			mdg_rc rc = create_secret_file(c->secret_file, err);
			if (rc != MDG_OK)
				return rc;
		}
		char buf[SECRET_FILE_MAX];
		size_t n = 0;
		mdg_rc rc = read_secret_file(c->secret_file, buf, sizeof buf, &n, err);
		if (rc == MDG_OK)
			state_derive_key(buf, n, a->state_key);
		sodium_memzero(buf, sizeof buf);
		return rc;
	}
	randombytes_buf(a->state_key, sizeof a->state_key);
	srv_log(SRV_LOG_WARN,
		"no secret or secret_file configured: conversation states are signed "
		"with a random key and will not survive a restart or work across "
		"several server processes");
	return MDG_OK;
}

void app_resolve_web_root(srv_app *a)
{
	const char *cands[3] = {a->cfg->web_root, NULL, NULL};
	if (a->cfg->web_root == NULL) {
		cands[0] = "web";
		cands[1] = MDG_DATADIR "/web";
	}
	for (int i = 0; i < 3 && cands[i]; i++) {
		char *real = realpath(cands[i], NULL);
		struct stat st;
		if (real && stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
			a->web_root = real;
			return;
		}
		free(real);
	}
	if (a->cfg->web_root)
		srv_log(SRV_LOG_WARN, "web_root %s does not exist: no static files",
			a->cfg->web_root);
}
