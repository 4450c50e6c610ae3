// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "model/identity.h"

/* A byte range of the input: nothing here is NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

static bool span_eq(struct span s, const char *lit)
{
	return s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

static bool span_starts(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && !memcmp(s.p, lit, n);
}

static bool span_ends(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && !memcmp(s.p + s.n - n, lit, n);
}

/* s without n bytes at the front and m at the back (the caller checked). */
static struct span span_inner(struct span s, size_t n, size_t m)
{
	return (struct span){ s.p + n, s.n - n - m };
}

static bool is_container_id(struct span s)
{
	if (s.n != ID_CONTAINER_MAX - 1)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'a' && s.p[i] <= 'f')))
			return false;
	return true;
}

static void copy_span(char *dst, size_t size, struct span s)
{
	size_t n = s.n < size - 1 ? s.n : size - 1;

	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* Components of a path, innermost last; at most this many are looked at
 * (deeper paths keep their innermost ones, where units and containers are). */
#define MAX_COMPONENTS 64

static size_t split_path(const char *path, size_t len, struct span *c)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t start;

		while (i < len && path[i] == '/')
			i++;
		start = i;
		while (i < len && path[i] != '/')
			i++;
		if (i == start)
			break;
		if (n == MAX_COMPONENTS) {
			memmove(c, c + 1, (MAX_COMPONENTS - 1) * sizeof(*c));
			n--;
		}
		c[n++] = (struct span){ path + start, i - start };
	}
	return n;
}

/* PREFIX + 64 hex + SUFFIX, with or without the suffix when optional. */
static bool match_id(struct span c, const char *prefix, const char *suffix, bool optional,
		     struct span *id)
{
	if (!span_starts(c, prefix))
		return false;
	c = span_inner(c, strlen(prefix), 0);
	if (span_ends(c, suffix))
		c = span_inner(c, 0, strlen(suffix));
	else if (!optional)
		return false;
	*id = c;
	return is_container_id(c);
}

/*
 * The container a component names, given its parent. Systemd driver:
 * docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope;
 * containerd's v1 systemd naming "POD.slice:cri-containerd:ID"; cgroupfs
 * driver: /docker/ID, .../crio-ID, /libpod_parent/libpod-ID, and a bare ID
 * under a kubepods pod (containerd, or docker via cri-dockerd). The conmon
 * scopes (libpod-conmon-ID, crio-conmon-ID) are the monitor, not the
 * container: their 64-hex check fails on "conmon-".
 */
static enum container_runtime match_container(struct span c, struct span parent, struct span *id)
{
	static const struct {
		const char *prefix, *suffix;
		bool optional;
		enum container_runtime rt;
	} names[] = {
		{ "docker-", ".scope", false, RUNTIME_DOCKER },
		{ "cri-containerd-", ".scope", false, RUNTIME_CONTAINERD },
		{ "crio-", ".scope", true, RUNTIME_CRIO },
		{ "libpod-", ".scope", true, RUNTIME_PODMAN },
	};
	const char *colon = memchr(c.p, ':', c.n);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (match_id(c, names[i].prefix, names[i].suffix, names[i].optional, id))
			return names[i].rt;
	if (colon) {
		struct span rest = span_inner(c, colon + 1 - c.p, 0);

		if (match_id(rest, "cri-containerd:", "", false, id))
			return RUNTIME_CONTAINERD;
		if (match_id(rest, "crio:", "", false, id))
			return RUNTIME_CRIO;
		if (match_id(rest, "docker:", "", false, id))
			return RUNTIME_DOCKER;
	}
	if (!is_container_id(c))
		return RUNTIME_NONE;
	*id = c;
	if (span_eq(parent, "docker"))
		return RUNTIME_DOCKER;
	if (span_starts(parent, "pod"))
		return RUNTIME_CRI;
	return RUNTIME_NONE;
}

/* A pod UID as the path has it: hex digits and '-' (cgroupfs) or '_'
 * (systemd, where '-' separates slice levels). Stored with '-'. */
static bool take_pod_uid(struct span s, struct identity *id)
{
	if (!s.n || s.n >= ID_POD_UID_MAX)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char ch = s.p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == '-' || ch == '_'))
			return false;
	}
	for (size_t i = 0; i < s.n; i++)
		id->pod_uid[i] = s.p[i] == '_' ? '-' : s.p[i];
	id->pod_uid[s.n] = '\0';
	return true;
}

/* Systemd driver: kubepods-pod<uid>.slice (guaranteed),
 * kubepods-burstable-pod<uid>.slice, kubepods-besteffort-pod<uid>.slice;
 * containerd's v1 naming may follow with ":runtime:ID". */
static bool match_pod_slice(struct span c, struct identity *id)
{
	static const struct {
		const char *prefix;
		enum pod_qos qos;
	} qos[] = {
		{ "kubepods-pod", QOS_GUARANTEED },
		{ "kubepods-burstable-pod", QOS_BURSTABLE },
		{ "kubepods-besteffort-pod", QOS_BESTEFFORT },
	};
	const char *colon = memchr(c.p, ':', c.n);

	if (colon)
		c.n = colon - c.p;
	if (!span_ends(c, ".slice"))
		return false;
	for (size_t i = 0; i < sizeof(qos) / sizeof(qos[0]); i++) {
		if (!span_starts(c, qos[i].prefix))
			continue;
		if (!take_pod_uid(span_inner(c, strlen(qos[i].prefix), strlen(".slice")), id))
			return false;
		id->qos = qos[i].qos;
		return true;
	}
	return false;
}

/* cgroupfs driver: /kubepods/pod<uid> (guaranteed),
 * /kubepods/burstable/pod<uid>, /kubepods/besteffort/pod<uid>. */
static bool match_pod_dir(const struct span *c, size_t i, struct identity *id)
{
	enum pod_qos q;

	if (i == 0 || !span_starts(c[i], "pod"))
		return false;
	if (span_eq(c[i - 1], "kubepods"))
		q = QOS_GUARANTEED;
	else if (i >= 2 && span_eq(c[i - 2], "kubepods") && span_eq(c[i - 1], "burstable"))
		q = QOS_BURSTABLE;
	else if (i >= 2 && span_eq(c[i - 2], "kubepods") && span_eq(c[i - 1], "besteffort"))
		q = QOS_BESTEFFORT;
	else
		return false;
	if (!take_pod_uid(span_inner(c[i], 3, 0), id))
		return false;
	id->qos = q;
	return true;
}

static bool is_unit(struct span c)
{
	static const char *const suffixes[] = { ".service", ".scope", ".socket", ".mount", ".swap" };

	if (c.n >= ID_UNIT_MAX)
		return false;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (span_ends(c, suffixes[i]) && c.n > strlen(suffixes[i]))
			return true;
	return false;
}

void identity_from_path(const char *path, size_t len, struct identity *id)
{
	struct span c[MAX_COMPONENTS], cid;
	size_t n = split_path(path, len, c);

	id->unit[0] = id->container_id[0] = id->pod_uid[0] = '\0';
	id->runtime = RUNTIME_NONE;
	id->qos = QOS_NONE;
	/* innermost first: a unit or container nested in another wins */
	for (size_t k = n; k-- > 0;) {
		struct span parent = k ? c[k - 1] : (struct span){ "", 0 };
		enum container_runtime rt;

		if (!id->unit[0] && is_unit(c[k]))
			copy_span(id->unit, sizeof(id->unit), c[k]);
		if (id->runtime == RUNTIME_NONE) {
			rt = match_container(c[k], parent, &cid);
			if (rt != RUNTIME_NONE) {
				id->runtime = rt;
				copy_span(id->container_id, sizeof(id->container_id), cid);
			}
		}
		if (!id->pod_uid[0] && !match_pod_slice(c[k], id))
			match_pod_dir(c, k, id);
	}
}

/* One "ID:CONTROLLERS:PATH" line. */
struct cgroup_line {
	bool v2;		/* "0::" */
	bool systemd;		/* v1 "name=systemd" */
	struct span path;
};

static bool parse_line(struct span line, struct cgroup_line *out)
{
	const char *c1 = memchr(line.p, ':', line.n), *c2;
	struct span ctl;

	if (!c1 || c1 == line.p)
		return false;
	for (const char *p = line.p; p < c1; p++)
		if (*p < '0' || *p > '9')
			return false;
	c2 = memchr(c1 + 1, ':', line.n - (c1 + 1 - line.p));
	if (!c2)
		return false;
	ctl = (struct span){ c1 + 1, c2 - c1 - 1 };
	out->path = (struct span){ c2 + 1, line.n - (c2 + 1 - line.p) };
	if (!out->path.n || out->path.p[0] != '/')
		return false;
	out->v2 = c1 - line.p == 1 && line.p[0] == '0' && ctl.n == 0;
	out->systemd = span_eq(ctl, "name=systemd");
	return true;
}

static bool is_root(struct span path)
{
	return path.n == 1;
}

int identity_parse(const char *text, size_t len, struct identity *id)
{
	struct span v2 = {}, systemd = {}, v1 = {}, chosen;
	size_t i = 0;
	bool any = false;

	memset(id, 0, sizeof(*id));
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct cgroup_line l;

		if (parse_line((struct span){ text + i, end - i }, &l)) {
			any = true;
			if (l.v2 && !v2.n)
				v2 = l.path;
			else if (l.systemd && !systemd.n && !is_root(l.path))
				systemd = l.path;
			else if (!l.v2 && !v1.n && !is_root(l.path))
				v1 = l.path;
		}
		i = end + 1;
	}
	if (!any)
		return -ENOENT;
	if (v2.n && !is_root(v2))
		chosen = v2;
	else if (systemd.n || v1.n)
		chosen = systemd.n ? systemd : v1;
	else
		chosen = (struct span){ "/", 1 };
	id->cgroup_v1 = (chosen.p == systemd.p && systemd.n) || (chosen.p == v1.p && v1.n);
	id->cgroup_truncated = chosen.n >= sizeof(id->cgroup);
	copy_span(id->cgroup, sizeof(id->cgroup), chosen);
	identity_from_path(chosen.p, chosen.n, id);
	return 0;
}

const char *container_runtime_name(enum container_runtime rt)
{
	static const char *const names[] = {
		[RUNTIME_DOCKER] = "docker", [RUNTIME_CONTAINERD] = "containerd",
		[RUNTIME_CRIO] = "cri-o", [RUNTIME_PODMAN] = "podman", [RUNTIME_CRI] = "cri",
	};

	return rt > RUNTIME_NONE && rt <= RUNTIME_CRI ? names[rt] : NULL;
}

const char *pod_qos_name(enum pod_qos q)
{
	static const char *const names[] = {
		[QOS_GUARANTEED] = "guaranteed", [QOS_BURSTABLE] = "burstable",
		[QOS_BESTEFFORT] = "besteffort",
	};

	return q > QOS_NONE && q <= QOS_BESTEFFORT ? names[q] : NULL;
}
