/* jobs.c — the slow lane (see jobs.h). */
#include "jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct srv_jobs {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	srv_job *head, *tail;
	int stopping;
};

static void *lane(void *p)
{
	srv_jobs *j = p;
	pthread_mutex_lock(&j->lock);
	for (;;) {
		while (j->head == NULL && !j->stopping)
			pthread_cond_wait(&j->cond, &j->lock);
		srv_job *job = j->head;
		if (job == NULL)
			break; /* stopping, and nothing left */
		j->head = job->next;
		if (j->head == NULL)
			j->tail = NULL;
		pthread_mutex_unlock(&j->lock);
		job->run(job);
		pthread_mutex_lock(&j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

mdg_rc srv_jobs_start(srv_jobs **out, char **err)
{
	srv_jobs *j = calloc(1, sizeof *j);
	if (j == NULL)
		return MDG_ERR_NOMEM;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	if (pthread_create(&j->thread, NULL, lane, j) != 0) {
		pthread_cond_destroy(&j->cond);
		pthread_mutex_destroy(&j->lock);
		free(j);
		return mdg_fail(err, MDG_ERR_IO, "cannot start the background job thread");
	}
	*out = j;
	return MDG_OK;
}

void srv_jobs_submit(srv_jobs *j, srv_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&j->lock);
	if (j->tail)
		j->tail->next = job;
	else
		j->head = job;
	j->tail = job;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

void srv_jobs_stop(srv_jobs *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->lock);
	j->stopping = 1;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->thread, NULL);
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	free(j);
}
