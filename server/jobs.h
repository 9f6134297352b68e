/* jobs.h — the slow lane: one background thread that runs long requests
 * (admin imports) so that they never occupy an HTTP worker thread.
 *
 * With one worker per CPU core, an import of 10,000 Q&A (~2 s of MeCab and
 * indexing) on a worker would stall every chat connection that worker
 * serves. The HTTP layer suspends such a request's connection, submits it
 * here and resumes the connection when the job has built its response.
 * Jobs run one at a time, in order (imports write to the same database
 * anyway). */
#ifndef SRV_JOBS_H
#define SRV_JOBS_H

#include "../nlp/mdg.h"

typedef struct srv_job srv_job;
typedef void (*srv_job_fn)(srv_job *job);

/* Embedded in the caller's request; the lane never allocates. */
struct srv_job {
	srv_job *next;
	srv_job_fn run;
};

typedef struct srv_jobs srv_jobs;

mdg_rc srv_jobs_start(srv_jobs **out, char **err);

/* Queues job (job->run set by the caller). */
void srv_jobs_submit(srv_jobs *j, srv_job *job);

/* Runs every job still queued, then stops the thread and frees j. */
void srv_jobs_stop(srv_jobs *j);

#endif
