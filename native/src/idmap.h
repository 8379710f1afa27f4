/* A map from 64-bit ids to pointers: open addressing, linear probing, deletion by backward shift
 * (no tombstones), so finds stay short however many ids come and go. Pure: no I/O. */
#ifndef HYPERDEX_IDMAP_H
#define HYPERDEX_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct hd_idmap_slot
{
    uint64_t id;
    void* value; /* NULL: the slot is free */
};

struct hd_idmap
{
    struct hd_idmap_slot* slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
};

void hd_idmap_init(struct hd_idmap* m);
void hd_idmap_free(struct hd_idmap* m);
/* Adds id -> value (value not NULL, id not present). 0, or -1 when out of memory. */
int hd_idmap_put(struct hd_idmap* m, uint64_t id, void* value);
void* hd_idmap_get(const struct hd_idmap* m, uint64_t id);
/* Removes id; returns its value, or NULL when absent. */
void* hd_idmap_del(struct hd_idmap* m, uint64_t id);
/* The ids, copied into a new array of m->n (NULL when empty or out of memory): for walks that
 * remove as they go. */
uint64_t* hd_idmap_ids(const struct hd_idmap* m);

#endif /* HYPERDEX_IDMAP_H */
