/*
 * store/shared.h - objects the connections of one process share by name: per database file or
 * location, the throttle window (store/window.c), the group committer (store/commit.c) and the
 * checkpoint thread (store/sqlite/sqlite_checkpoint.c).  The connections of a process are opened
 * independently, so the first to ask for a name makes the object and the last to let go of it
 * destroys it; reference counts live under the registry's lock.  Nothing above store/ includes it.
 */
#ifndef CMP_STORE_SHARED_H
#define CMP_STORE_SHARED_H

#include <pthread.h>

/* The first member of every shared object. */
struct store__shared {
    struct store__shared *next; /* in its registry */
    char *name;                 /* owned */
    unsigned refs;
};

/* One kind of shared object: how to make one for a name and how to destroy one. */
struct store__registry {
    pthread_mutex_t lock;
    struct store__shared *head;
    /* `arg` is store__shared_acquire()'s; NULL on failure */
    struct store__shared *(*create)(const char *name, void *arg);
    void (*destroy)(struct store__shared *s); /* called without the lock */
};

#define STORE_REGISTRY(create_fn, destroy_fn)                                                      \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, NULL, (create_fn), (destroy_fn)                                 \
    }

/* The object of `name`, made on first use (create(name, arg)); NULL when it cannot be made. */
struct store__shared *store__shared_acquire(struct store__registry *r, const char *name, void *arg);

/* Let go of `s` (NULL: nothing); the last reference destroys it. */
void store__shared_release(struct store__registry *r, struct store__shared *s);

#endif
