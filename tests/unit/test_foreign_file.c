// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The opener of files a target controls (util/foreign_file.c): a regular
 * file read whole; a FIFO (without a writer: a blocking open would hang the
 * test), a symlink, a directory, a device and an oversized file refused
 * with their reason; /proc texts read up to the cap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/foreign_file.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lt-foreign-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_regular_file(void **state)
{
	char path[128], *buf = NULL, why[64];
	struct stat st;
	size_t len = 0;
	int fd, fl;

	(void)state;
	path_in(path, sizeof(path), "perf-1.map");
	write_file(path, "1000 10 jitted\n");
	assert_int_equal(foreign_read(path, FOREIGN_PERF_MAP, 0, &buf, &len, &st, why,
				      sizeof(why)), 0);
	assert_int_equal(len, 15);
	assert_string_equal(buf, "1000 10 jitted\n");
	assert_true(S_ISREG(st.st_mode));
	assert_string_equal(why, "");
	free(buf);
	/* the descriptor is blocking again and closed on exec */
	fd = foreign_open(path, FOREIGN_ELF, 0, NULL, NULL, 0);
	assert_true(fd >= 0);
	fl = fcntl(fd, F_GETFL);
	assert_int_equal(fl & O_NONBLOCK, 0);
	assert_int_equal(fl & O_ACCMODE, O_RDONLY);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_fifo(void **state)
{
	char path[128], why[64], *buf = NULL;
	size_t len;

	(void)state;
	path_in(path, sizeof(path), "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	/* no writer: an open for reading would wait forever */
	assert_int_equal(foreign_read(path, FOREIGN_PERF_MAP, 0, &buf, &len, NULL, why,
				      sizeof(why)), -EINVAL);
	assert_string_equal(why, "is a FIFO");
	assert_null(buf);
	assert_int_equal(foreign_open(path, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "is a FIFO");
}

static void test_symlink(void **state)
{
	char target[128], link[128], why[64];
	int fd;

	(void)state;
	path_in(target, sizeof(target), "target");
	path_in(link, sizeof(link), "link");
	write_file(target, "x");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(foreign_open(link, FOREIGN_PERF_MAP, 0, NULL, why, sizeof(why)), -ELOOP);
	assert_string_equal(why, "is a symbolic link");
	/* followed when asked (/proc/PID/exe, map_files/, build-id links) */
	fd = foreign_open(link, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	/* a link to a FIFO is refused once followed */
	path_in(target, sizeof(target), "fifo2");
	path_in(link, sizeof(link), "link2");
	assert_int_equal(mkfifo(target, 0600), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(foreign_open(link, FOREIGN_ELF, FOREIGN_FOLLOW, NULL, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "is a FIFO");
}

static void test_directory_and_devices(void **state)
{
	char why[64];

	(void)state;
	assert_int_equal(foreign_open(dir, FOREIGN_ELF, 0, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "is a directory");
	assert_int_equal(foreign_open("/dev/null", FOREIGN_ELF, FOREIGN_FOLLOW, NULL, why,
				      sizeof(why)), -EINVAL);
	assert_string_equal(why, "is a character device");
	assert_int_equal(foreign_open("/nonexistent/x", FOREIGN_ELF, 0, NULL, why, sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "");
}

static void test_oversized(void **state)
{
	char path[128], why[64], *buf = NULL;
	size_t len;
	int fd;

	(void)state;
	path_in(path, sizeof(path), "big.map");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	/* sparse: no disk used */
	assert_int_equal(ftruncate(fd, FOREIGN_PERF_MAP_MAX + 1), 0);
	close(fd);
	assert_int_equal(foreign_read(path, FOREIGN_PERF_MAP, 0, &buf, &len, NULL, why,
				      sizeof(why)), -EFBIG);
	assert_string_equal(why, "larger than 64 MiB");
	/* the same size is fine for an ELF file */
	fd = foreign_open(path, FOREIGN_ELF, 0, NULL, why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
}

static void test_proc_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	/* size 0 in fstat: read to the end */
	assert_int_equal(foreign_read("/proc/self/maps", FOREIGN_PROC_TEXT, 0, &buf, &len, NULL,
				      NULL, 0), 0);
	assert_true(len > 0 && len == strlen(buf));
	assert_non_null(strstr(buf, "[stack]"));
	free(buf);
	f = foreign_fopen("/proc/self/status", FOREIGN_PROC_TEXT, 0);
	assert_non_null(f);
	fclose(f);
	errno = 0;
	assert_null(foreign_fopen(dir, FOREIGN_PROC_TEXT, 0));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_directory_and_devices),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_proc_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
