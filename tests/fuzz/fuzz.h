/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the fuzz harnesses: each defines LLVMFuzzerTestOneInput (and
 * may define LLVMFuzzerInitialize); built with libFuzzer for `make fuzz`,
 * and with replay.c as a cmocka unit test over the seeds and regression
 * inputs. */
#ifndef LT_FUZZ_H
#define LT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* DATA as a file: the parsers under test open paths. An anonymous memory
 * file, reached as /proc/self/fd/N (PATH gets that name). Returns the fd,
 * to close when done, or -1. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += n;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* DATA as a NUL-terminated string (most /proc parsers take one). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
