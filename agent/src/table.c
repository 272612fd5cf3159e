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

int table_init(table *t, size_t limit, size_t record_size) {
    size_t capacity = 1024;
    while (capacity * 3 < limit * 4) capacity <<= 1; /* linear probing stays short below 3/4 */
    t->capacity = capacity;
    t->limit = limit;
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
            if (!create || t->used >= t->limit) return NULL;
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

/* Backward-shift deletion: later records of the same probe run move up into the hole, so every
 * lookup still finds its record before the first empty slot (no tombstones). */
void table_delete(table *t, void *record) {
    size_t mask = t->capacity - 1;
    size_t hole = (size_t)((unsigned char *)record - t->slots) / t->record_size;
    slot(t, hole)->live = 0;
    t->used--;
    for (size_t i = (hole + 1) & mask;; i = (i + 1) & mask) {
        table_head *h = slot(t, i);
        if (!h->live) return;
        size_t home = hash_key(h->key) & mask;
        /* h may fill the hole unless its home lies cyclically in (hole, i]. */
        int stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (stays) continue;
        memcpy(slot(t, hole), h, t->record_size);
        h->live = 0;
        hole = i;
    }
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
