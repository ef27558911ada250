// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* grace: see grace.h. One thread, asleep unless a mark is newer than the last
 * grace period it waited for. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include "agent/dataplane/grace.h"

struct grace {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t asked; /* the newest mark (under lock) */
	uint64_t ended; /* every mark <= ended had a grace period after it (atomic) */
	bool stop;	/* under lock */
};

static int membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

static void *grace_thread(void *arg)
{
	struct grace *g = arg;
	uint64_t want;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (!g->stop && g->asked == __atomic_load_n(&g->ended, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&g->cond, &g->lock);
		if (g->stop)
			break;
		want = g->asked; /* taken before the wait starts: it covers marks <= want */
		pthread_mutex_unlock(&g->lock);
		if (membarrier(MEMBARRIER_CMD_GLOBAL))
			usleep(1000 * 1000); /* cannot happen after the probe; be safe */
		pthread_mutex_lock(&g->lock);
		__atomic_store_n(&g->ended, want, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&g->cond); /* grace_wait() */
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct grace *grace_new(void)
{
	int q = membarrier(MEMBARRIER_CMD_QUERY), err;
	sigset_t all, old;
	struct grace *g;

	if (q < 0 || !(q & MEMBARRIER_CMD_GLOBAL)) {
		errno = q < 0 ? errno : EOPNOTSUPP; /* e.g. nohz_full, or a seccomp filter */
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	/* the thread starts with every signal blocked: lbd takes SIGHUP and
	 * SIGTERM through a signalfd, and a process signal goes to any thread
	 * that does not block it (where its default action ends lbd) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&g->thread, NULL, grace_thread, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_cond_destroy(&g->cond);
		pthread_mutex_destroy(&g->lock);
		free(g);
		errno = err;
		return NULL;
	}
	return g;
}

void grace_free(struct grace *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

uint64_t grace_mark(struct grace *g)
{
	uint64_t mark;

	pthread_mutex_lock(&g->lock);
	mark = ++g->asked;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
	return mark;
}

bool grace_passed(const struct grace *g, uint64_t mark)
{
	return __atomic_load_n(&g->ended, __ATOMIC_ACQUIRE) >= mark;
}

void grace_wait(struct grace *g, uint64_t mark)
{
	pthread_mutex_lock(&g->lock);
	while (!grace_passed(g, mark))
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}
