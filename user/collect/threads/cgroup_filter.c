// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "collect/threads/cgroup_filter.h"
#include "model/identity.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Deep enough for kubepods (5 levels) nested in a delegated service. */
#define MAX_WALK_DEPTH 16

static bool is_cgroup2(const char *path)
{
	struct statfs sf;

	return !statfs(path, &sf) && sf.f_type == CGROUP2_SUPER_MAGIC;
}

const char *cgroup2_root(void)
{
	static char path[PATH_MAX];
	const char *base = getenv("LEAKTRACE_CGROUP2_ROOT");

	if (!base || !*base)
		base = "/sys/fs/cgroup";
	/* hybrid hosts mount v2 at .../unified, beside the v1 hierarchies */
	if (snprintf(path, sizeof(path), "%s/unified", base) < (int)sizeof(path) && is_cgroup2(path))
		return path;
	snprintf(path, sizeof(path), "%s", base);
	return is_cgroup2(path) ? path : NULL;
}

/* Depth of a normalized relative path ("/a/b" = 2, "/" = 0). */
static uint32_t path_level(const char *rel)
{
	uint32_t level = 0;

	for (const char *p = rel; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			level++;
	return level;
}

/* Fill t from a directory given relative to root ("" or "/x/y"). */
static int target_from_dir(const char *root, const char *rel, struct cgroup_target *t)
{
	char full[PATH_MAX], real_root[PATH_MAX], real[PATH_MAX];
	struct stat st;
	size_t n;

	if (snprintf(full, sizeof(full), "%s/%s", root, rel) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	if (!realpath(root, real_root) || !realpath(full, real))
		return -errno;
	n = strlen(real_root);
	/* ".." may not climb out of the hierarchy */
	if (strncmp(real, real_root, n) || (real[n] && real[n] != '/'))
		return -ENOENT;
	if (stat(real, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || !is_cgroup2(real))
		return -ENOENT;
	snprintf(t->path, sizeof(t->path), "%s", real[n] ? real + n : "/");
	/* cgroup ids are kernfs ids, which are the inode numbers (5.5+) */
	t->id = st.st_ino;
	t->level = path_level(t->path);
	return 0;
}

struct walk {
	const char *unit;		/* or: */
	const char *prefix;
	char best[PATH_MAX];		/* shallowest match, relative */
	uint32_t best_level;
	char container_id[ID_CONTAINER_MAX];
	bool ambiguous;
};

static void consider(struct walk *w, const char *rel, uint32_t level)
{
	if (w->best[0] && level >= w->best_level)
		return;
	snprintf(w->best, sizeof(w->best), "%s", rel);
	w->best_level = level;
}

static void visit(struct walk *w, const char *rel, const char *name, uint32_t level)
{
	struct identity id;

	if (w->unit) {
		if (!strcmp(name, w->unit))
			consider(w, rel, level);
		return;
	}
	identity_from_path(rel, strlen(rel), &id);
	if (!id.container_id[0] || strncmp(id.container_id, w->prefix, strlen(w->prefix)))
		return;
	if (w->container_id[0] && strcmp(w->container_id, id.container_id)) {
		w->ambiguous = true;
		return;
	}
	memcpy(w->container_id, id.container_id, sizeof(id.container_id));
	consider(w, rel, level);
}

/* Depth-first over the subdirectories of root/rel (rel "" = root). */
static void walk_dir(struct walk *w, const char *root, char *rel, size_t rel_len, uint32_t level)
{
	char full[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (level >= MAX_WALK_DEPTH || w->ambiguous)
		return;
	snprintf(full, sizeof(full), "%s%s", root, rel);
	d = opendir(full);
	if (!d)
		return;
	while ((de = readdir(d)) && !w->ambiguous) {
		size_t n = strlen(de->d_name);

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || rel_len + 1 + n >= PATH_MAX)
			continue;
		rel[rel_len] = '/';
		memcpy(rel + rel_len + 1, de->d_name, n + 1);
		visit(w, rel, de->d_name, level + 1);
		walk_dir(w, root, rel, rel_len + 1 + n, level + 1);
		rel[rel_len] = '\0';
	}
	closedir(d);
}

static bool valid_prefix(const char *s)
{
	return *s && strlen(s) < ID_CONTAINER_MAX && strspn(s, "0123456789abcdef") == strlen(s);
}

/* "nginx" is "nginx.service", as systemctl reads it. */
static int unit_name(const char *unit, char *buf, size_t size)
{
	if (!*unit || strchr(unit, '/') || !strcmp(unit, ".") || !strcmp(unit, ".."))
		return -EINVAL;
	if (strchr(unit, '.'))
		return snprintf(buf, size, "%s", unit) < (int)size ? 0 : -EINVAL;
	return snprintf(buf, size, "%s.service", unit) < (int)size ? 0 : -EINVAL;
}

int cgroup_target_resolve(const char *cgroup, const char *unit, const char *container,
			  struct cgroup_target *t, char *err, size_t errlen)
{
	const char *root = cgroup2_root();
	struct walk w = {};
	char name[ID_UNIT_MAX], rel[PATH_MAX] = "";
	size_t root_len;
	int ret;

	if (!root) {
		snprintf(err, errlen, "cgroup v2 is not mounted at %s or its unified/: "
			 "--cgroup, --unit and --container need it",
			 getenv("LEAKTRACE_CGROUP2_ROOT") ? getenv("LEAKTRACE_CGROUP2_ROOT") :
			 "/sys/fs/cgroup");
		return -EOPNOTSUPP;
	}
	root_len = strlen(root);
	if (cgroup) {
		/* an absolute path into the mount, or a path below its root */
		if (!strncmp(cgroup, root, root_len) && (!cgroup[root_len] || cgroup[root_len] == '/'))
			cgroup += root_len;
		ret = target_from_dir(root, cgroup, t);
		if (ret)
			snprintf(err, errlen, "no cgroup '%s' in the cgroup v2 hierarchy (%s)",
				 cgroup, root);
		return ret;
	}
	if (unit) {
		if (unit_name(unit, name, sizeof(name))) {
			snprintf(err, errlen, "invalid unit name '%s'", unit);
			return -EINVAL;
		}
		w.unit = name;
	} else {
		if (!valid_prefix(container)) {
			snprintf(err, errlen, "invalid container id prefix '%s' (lower-case hex)",
				 container);
			return -EINVAL;
		}
		w.prefix = container;
	}
	walk_dir(&w, root, rel, 0, 0);
	if (w.ambiguous) {
		snprintf(err, errlen, "container id prefix '%s' matches several containers",
			 container);
		return -ENOTUNIQ;
	}
	if (!w.best[0]) {
		snprintf(err, errlen, "no %s '%s' in the cgroup v2 hierarchy (%s)",
			 unit ? "unit" : "container", unit ? name : container, root);
		return -ENOENT;
	}
	ret = target_from_dir(root, w.best, t);
	if (ret)
		snprintf(err, errlen, "%s '%s' went away", unit ? "unit" : "container",
			 unit ? name : container);
	return ret;
}
