/* Process-wide cache of parsed CA files for the http probe. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "http_trust.h"
#include "util.h"

struct trust_slot {
	char path[PATH_MAX];
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	double loaded, used; /* clock_monotonic_now() */
	X509_STORE *store; /* the cache's reference; NULL: free slot */
};

/* The one shared, mutable state of the probe: guarded by trust_lock. */
static pthread_mutex_t trust_lock = PTHREAD_MUTEX_INITIALIZER;
static struct trust_slot trust_slots[HTTP_TRUST_SLOTS];

static int
same_file(const struct trust_slot *s, const char *path, const struct stat *sb)
{
	return s->store != NULL && strcmp(s->path, path) == 0 &&
	    s->dev == sb->st_dev && s->ino == sb->st_ino &&
	    s->mtime.tv_sec == sb->st_mtim.tv_sec &&
	    s->mtime.tv_nsec == sb->st_mtim.tv_nsec && s->size == sb->st_size;
}

static X509_STORE *
trust_load(const char *path, char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();

	if (store == NULL || X509_STORE_load_file(store, path) != 1) {
		X509_STORE_free(store);
		ERR_clear_error();
		snprintf(
		    err, errlen, "cannot load CA certificates from %s", path);
		return NULL;
	}
	/* as libcurl does: a CA file's intermediates are trust anchors */
	X509_STORE_set_flags(
	    store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_TRUSTED_FIRST);
	return store;
}

X509_STORE *
http_trust_get(const char *path, char *err, size_t errlen)
{
	struct trust_slot *slot = NULL;
	X509_STORE *store = NULL, *old = NULL;
	struct stat sb;
	double now = clock_monotonic_now();
	size_t i;

	if (strlen(path) >= sizeof(trust_slots[0].path)) {
		snprintf(err, errlen, "CA file name too long");
		return NULL;
	}
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "cannot read CA file %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	pthread_mutex_lock(&trust_lock);
	for (i = 0; i < HTTP_TRUST_SLOTS; i++) {
		struct trust_slot *s = &trust_slots[i];

		if (same_file(s, path, &sb) &&
		    now - s->loaded < HTTP_TRUST_MAX_AGE &&
		    X509_STORE_up_ref(s->store) == 1) {
			s->used = now;
			store = s->store;
			break;
		}
	}
	pthread_mutex_unlock(&trust_lock);
	if (store != NULL)
		return store;

	/* parse outside the lock: other checks go on meanwhile */
	if ((store = trust_load(path, err, errlen)) == NULL)
		return NULL;

	pthread_mutex_lock(&trust_lock);
	for (i = 0; i < HTTP_TRUST_SLOTS && slot == NULL; i++)
		if (trust_slots[i].store != NULL &&
		    strcmp(trust_slots[i].path, path) == 0)
			slot = &trust_slots[i];
	for (i = 0; i < HTTP_TRUST_SLOTS && slot == NULL; i++)
		if (trust_slots[i].store == NULL)
			slot = &trust_slots[i];
	if (slot == NULL) {
		/* full: replace the least recently used */
		slot = &trust_slots[0];
		for (i = 1; i < HTTP_TRUST_SLOTS; i++)
			if (trust_slots[i].used < slot->used)
				slot = &trust_slots[i];
	}
	old = slot->store;
	str_copy(slot->path, path, sizeof(slot->path));
	slot->dev = sb.st_dev;
	slot->ino = sb.st_ino;
	slot->mtime = sb.st_mtim;
	slot->size = sb.st_size;
	slot->loaded = slot->used = now;
	slot->store = store;
	X509_STORE_up_ref(store); /* one for the cache, one for the caller */
	pthread_mutex_unlock(&trust_lock);
	X509_STORE_free(old);
	return store;
}

void
http_trust_flush(void)
{
	X509_STORE *old[HTTP_TRUST_SLOTS];
	size_t i;

	pthread_mutex_lock(&trust_lock);
	for (i = 0; i < HTTP_TRUST_SLOTS; i++) {
		old[i] = trust_slots[i].store;
		trust_slots[i].store = NULL;
	}
	pthread_mutex_unlock(&trust_lock);
	for (i = 0; i < HTTP_TRUST_SLOTS; i++)
		X509_STORE_free(old[i]);
}
