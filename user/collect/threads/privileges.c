// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/threads/privileges.h"

#define CAP_SYS_ADMIN	21
#define CAP_PERFMON	38
#define CAP_BPF		39

static int read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Find "Key:\t<value>" at the start of a line. */
static const char *status_field(const char *status, const char *key)
{
	size_t klen = strlen(key);
	const char *p = status;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return p + klen + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int parse_cap_eff(const char *status, uint64_t *caps)
{
	const char *v = status_field(status, "CapEff");
	char *end;

	if (!v)
		return -EINVAL;
	while (*v == ' ' || *v == '\t')
		v++;
	errno = 0;
	*caps = strtoull(v, &end, 16);
	if (errno || end == v || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

bool have_bpf_privileges(void)
{
	char status[4096];
	uint64_t caps;

	if (read_small_file("/proc/self/status", status, sizeof(status)) ||
	    parse_cap_eff(status, &caps))
		return geteuid() == 0;
	if (caps & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (caps & (1ULL << CAP_BPF)) && (caps & (1ULL << CAP_PERFMON));
}

int parse_status_tgid(const char *status)
{
	const char *v = status_field(status, "Tgid");
	char *end;
	long tgid;

	if (!v)
		return -EINVAL;
	errno = 0;
	tgid = strtol(v, &end, 10);
	if (errno || end == v || tgid <= 0 || tgid > INT32_MAX || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	return (int)tgid;
}

int process_of_tid(int tid)
{
	char path[64], status[4096];
	int tgid;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (read_small_file(path, status, sizeof(status)))
		return -ESRCH;
	tgid = parse_status_tgid(status);
	if (tgid < 0)
		return -ESRCH;
	if (!status_alive(status))
		return -ESRCH;
	return tgid;
}

bool status_alive(const char *status)
{
	const char *threads = status_field(status, "Threads");

	if (!strstr(status, "\nState:\tZ") && strncmp(status, "State:\tZ", 8))
		return true;
	/* a zombie leader whose other threads still run (Threads counts it too) */
	return threads && strtol(threads, NULL, 10) > 1;
}
