/* A ticket lock: FIFO order, so the renderer cannot starve the loop. */
#include <pthread.h>

#include "rrdlock.h"

static pthread_mutex_t rrdlock_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rrdlock_cond = PTHREAD_COND_INITIALIZER;
static unsigned long rrdlock_next, rrdlock_serving;

void
rrd_lock(void)
{
	unsigned long ticket;

	pthread_mutex_lock(&rrdlock_mutex);
	ticket = rrdlock_next++;
	while (ticket != rrdlock_serving)
		pthread_cond_wait(&rrdlock_cond, &rrdlock_mutex);
	pthread_mutex_unlock(&rrdlock_mutex);
}

void
rrd_unlock(void)
{
	pthread_mutex_lock(&rrdlock_mutex);
	rrdlock_serving++;
	pthread_cond_broadcast(&rrdlock_cond);
	pthread_mutex_unlock(&rrdlock_mutex);
}
