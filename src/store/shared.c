/*
 * store/shared.c - the registries of store/shared.h.
 */
#include "store/shared.h"

#include <stdlib.h>
#include <string.h>

struct store__shared *store__shared_acquire(struct store__registry *r, const char *name, void *arg)
{
    struct store__shared *s;
    char *copy;

    pthread_mutex_lock(&r->lock);
    for (s = r->head; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            break;
    if (!s) {
        copy = strdup(name);
        s = copy ? r->create(name, arg) : NULL;
        if (s) {
            s->name = copy;
            s->refs = 0;
            s->next = r->head;
            r->head = s;
        } else {
            free(copy);
        }
    }
    if (s)
        s->refs++;
    pthread_mutex_unlock(&r->lock);
    return s;
}

void store__shared_release(struct store__registry *r, struct store__shared *s)
{
    struct store__shared **p;

    if (!s)
        return;
    pthread_mutex_lock(&r->lock);
    if (--s->refs > 0) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    for (p = &r->head; *p != s; p = &(*p)->next)
        ;
    *p = s->next;
    pthread_mutex_unlock(&r->lock);
    free(s->name);
    s->name = NULL;
    r->destroy(s);
}
