// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "sinks/protobuf.h"
#include "util/array.h"

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

void pb_free(struct pb *pb)
{
	free(pb->buf);
	memset(pb, 0, sizeof(*pb));
}

void pb_reset(struct pb *pb)
{
	pb->len = 0;
	pb->failed = false;
}

static void put(struct pb *pb, const void *p, size_t n)
{
	if (pb->failed || array_reserve((void **)&pb->buf, &pb->cap, pb->len + n, 1, 64)) {
		pb->failed = true;
		return;
	}
	memcpy(pb->buf + pb->len, p, n);
	pb->len += n;
}

void pb_varint(struct pb *pb, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	put(pb, b, n);
}

static void tag(struct pb *pb, uint32_t field, int wire)
{
	pb_varint(pb, (uint64_t)field << 3 | wire);
}

void pb_uint(struct pb *pb, uint32_t field, uint64_t v)
{
	tag(pb, field, WIRE_VARINT);
	pb_varint(pb, v);
}

void pb_bytes(struct pb *pb, uint32_t field, const void *p, size_t n)
{
	tag(pb, field, WIRE_LEN);
	pb_varint(pb, n);
	put(pb, p, n);
}

void pb_message(struct pb *pb, uint32_t field, const struct pb *sub)
{
	if (sub->failed)
		pb->failed = true;
	pb_bytes(pb, field, sub->buf, sub->len);
}
