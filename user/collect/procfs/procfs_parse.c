// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The parsers of /proc texts (procfs.h): pure, bounded by the text's NUL. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/procfs/procfs.h"

const char *procfs__status_field(const char *status, const char *key)
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

int procfs__status_cap_eff(const char *status, uint64_t *caps)
{
	const char *v = procfs__status_field(status, "CapEff");
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

int procfs__status_tgid(const char *status)
{
	const char *v = procfs__status_field(status, "Tgid");
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

bool procfs__status_alive(const char *status)
{
	const char *threads = procfs__status_field(status, "Threads");

	if (!strstr(status, "\nState:\tZ") && strncmp(status, "State:\tZ", 8))
		return true;
	/* a zombie leader whose other threads still run (Threads counts it too) */
	return threads && strtol(threads, NULL, 10) > 1;
}

int procfs__status_nspid(const char *status)
{
	const char *v = procfs__status_field(status, "NSpid");
	long ns = -1;

	if (!v)
		return -EINVAL;
	/* "NSpid:\t4242\t17\n": the last number is the innermost namespace's */
	while (*v && *v != '\n') {
		char *end;
		long n;

		while (*v == ' ' || *v == '\t')
			v++;
		if (*v < '0' || *v > '9')
			break;
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || n <= 0 || n > INT32_MAX)
			return -EINVAL;
		ns = n;
		v = end;
	}
	return ns > 0 ? (int)ns : -EINVAL;
}

int procfs__stat_field(const char *stat, int field, uint64_t *value)
{
	const char *p = strrchr(stat, ')');
	char *end;

	if (!p || field < 3)
		return -EINVAL;
	/* ") S ppid ..." : field 3 is the state */
	for (int f = 2; f < field && p; f++)
		p = strchr(p + 1, ' ');
	if (!p || p[1] < '0' || p[1] > '9')
		return -EINVAL;
	errno = 0;
	*value = strtoull(p + 1, &end, 10);
	if (errno || (*end && *end != ' ' && *end != '\n'))
		return -EINVAL;
	return 0;
}

int procfs__stat_start_time(const char *stat, uint64_t *start)
{
	return procfs__stat_field(stat, 22, start);
}
