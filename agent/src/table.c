/* See table.h. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

static size_t hash_key(const char *key) { /* FNV-1a */
    size_t h = (size_t)1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= (size_t)1099511628211ULL;
    }
    return h;
}

static table_head *slot(const table *t, size_t i) {
    return (table_head *)(t->slots + i * t->record_size);
}

int table_init(table *t, size_t capacity, size_t record_size) {
    t->capacity = capacity;
    t->record_size = record_size;
    t->used = 0;
    t->slots = calloc(capacity, record_size);
    return t->slots ? 0 : -1;
}

void *table_get(table *t, const char *key, int create, double now) {
    if (strlen(key) >= KEY_MAX_LEN) return NULL;
    size_t mask = t->capacity - 1;
    for (size_t i = hash_key(key) & mask, probes = 0; probes < t->capacity; i = (i + 1) & mask, probes++) {
        table_head *h = slot(t, i);
        if (!h->live) {
            if (!create || t->used * 4 >= t->capacity * 3) return NULL;
            memset(h, 0, t->record_size);
            strcpy(h->key, key);
            h->live = 1;
            h->last_seen = now;
            t->used++;
            return h;
        }
        if (strcmp(h->key, key) == 0) {
            h->last_seen = now;
            return h;
        }
    }
    return NULL;
}

size_t table_expire(table *t, double now, double ttl_ms) {
    unsigned char *old = t->slots;
    size_t old_used = t->used;
    unsigned char *fresh = calloc(t->capacity, t->record_size);
    if (!fresh) return 0; /* keep the old table; try again at the next sweep */
    t->slots = fresh;
    t->used = 0;
    for (size_t i = 0; i < t->capacity; i++) {
        table_head *h = (table_head *)(old + i * t->record_size);
        if (!h->live || now - h->last_seen > ttl_ms) continue;
        table_head *copy = table_get(t, h->key, 1, h->last_seen);
        if (copy) memcpy(copy, h, t->record_size);
    }
    free(old);
    return old_used - t->used;
}
