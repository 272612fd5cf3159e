/* A fixed-capacity string-keyed hash table of fixed-size records (open addressing, linear
 * probing). Used by the server for sessions and gossip members. table_delete() frees one record
 * (sessions that both ends ended); table_expire() rebuilds the table without stale records. */
#ifndef VPS_AGENT_TABLE_H
#define VPS_AGENT_TABLE_H

#include "agent.h"

/* Every record starts with this header. */
typedef struct {
    char key[KEY_MAX_LEN];
    double last_seen; /* monotonic ms; refreshed by table_get */
    int live;
} table_head;

typedef struct {
    size_t capacity;    /* slots; a power of two */
    size_t record_size; /* bytes per record, >= sizeof(table_head) */
    size_t used;
    size_t limit; /* records at most: the caller's bound, at most 3/4 of capacity */
    unsigned char *slots;
} table;

/* Sized for `limit` records at most (the 3/4 load limit included): a power of two >= 1024. */
int table_init(table *t, size_t limit, size_t record_size);
/* Finds the record for key (refreshing last_seen); creates a zeroed one when `create` is set.
 * Returns NULL when absent, or when full (`limit` records: the caller reports "server full"). */
void *table_get(table *t, const char *key, int create, double now);
/* Removes one record (a pointer table_get returned); other records may move. */
void table_delete(table *t, void *record);
/* Drops records not seen for ttl_ms. Returns the number dropped. */
size_t table_expire(table *t, double now, double ttl_ms);

#endif
