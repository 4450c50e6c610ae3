/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who a process is, for people who think in services: its cgroup, the
 * systemd unit, the container and the Kubernetes pod, derived from the text
 * of /proc/PID/cgroup. Pure: no I/O, so every naming scheme is unit-tested
 * from a table (tests/unit/test_identity.c).
 */
#ifndef LT_IDENTITY_H
#define LT_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#define ID_CGROUP_MAX	1024	/* longer paths are cut (cgroup_truncated) */
#define ID_UNIT_MAX	256	/* systemd caps unit names at 255 bytes */
#define ID_CONTAINER_MAX 65	/* 64 hex digits */
#define ID_POD_UID_MAX	65	/* a UUID (36), or a static pod's hash */

enum container_runtime {
	RUNTIME_NONE = 0,
	RUNTIME_DOCKER,		/* docker-ID.scope, /docker/ID */
	RUNTIME_CONTAINERD,	/* cri-containerd-ID.scope, ...:cri-containerd:ID */
	RUNTIME_CRIO,		/* crio-ID.scope, crio-ID */
	RUNTIME_PODMAN,		/* libpod-ID.scope, libpod-ID */
	RUNTIME_CRI,		/* a bare ID under a kubepods pod: some CRI runtime
				 * with the cgroupfs driver, the path does not say which */
};

enum pod_qos {
	QOS_NONE = 0,
	QOS_GUARANTEED,
	QOS_BURSTABLE,
	QOS_BESTEFFORT,
};

struct identity {
	char cgroup[ID_CGROUP_MAX];	/* "" = unknown (no /proc/PID/cgroup) */
	bool cgroup_truncated;
	bool cgroup_v1;			/* from a v1 hierarchy: v2 said "/" or nothing */
	char unit[ID_UNIT_MAX];		/* innermost systemd unit, "" = none */
	char container_id[ID_CONTAINER_MAX];	/* "" = not in a container */
	enum container_runtime runtime;
	char pod_uid[ID_POD_UID_MAX];	/* with '-', as the API server has it */
	enum pod_qos qos;
};

/*
 * Fill id from the text of /proc/PID/cgroup (len bytes, need not end with a
 * NUL). The path is the cgroup v2 line's ("0::PATH") unless it is "/" or
 * missing, as for processes only v1 controllers place (hybrid hosts); then
 * the v1 name=systemd hierarchy's, then the first v1 line that is not "/".
 * Unit, container and pod are read from the path's components. Any bytes
 * are accepted: what does not parse leaves fields empty. Returns 0, or
 * -ENOENT when no line names a cgroup (id is then all empty).
 */
int identity_parse(const char *text, size_t len, struct identity *id);

/* Derive unit, container and pod from one cgroup path (leaves id->cgroup). */
void identity_from_path(const char *path, size_t len, struct identity *id);

/* "docker", "containerd", "cri-o", "podman", "cri"; NULL for RUNTIME_NONE. */
const char *container_runtime_name(enum container_runtime rt);

/* "guaranteed", "burstable", "besteffort"; NULL for QOS_NONE. */
const char *pod_qos_name(enum pod_qos q);

#endif
