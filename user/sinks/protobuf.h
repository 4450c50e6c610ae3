/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A protobuf wire-format encoder into a growable buffer: just what
 * profile.proto needs (varints, length-delimited fields, nested messages,
 * packed repeated varints). Allocation failures are sticky: check
 * pb->failed once at the end instead of after every call. */
#ifndef LT_PROTOBUF_H
#define LT_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pb {
	uint8_t *buf;
	size_t len, cap;
	bool failed;		/* out of memory: the content is incomplete */
};

void pb_free(struct pb *pb);
void pb_reset(struct pb *pb);	/* empty, keeping the buffer */

/* field = varint v (int64 fields too: negative values are not used here) */
void pb_uint(struct pb *pb, uint32_t field, uint64_t v);
/* field = n bytes (strings, bytes) */
void pb_bytes(struct pb *pb, uint32_t field, const void *p, size_t n);
/* field = the message encoded in sub (also a packed repeated field whose
 * varints were written with pb_varint) */
void pb_message(struct pb *pb, uint32_t field, const struct pb *sub);
/* a bare varint, for packed repeated fields */
void pb_varint(struct pb *pb, uint64_t v);

#endif
