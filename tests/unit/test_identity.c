// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Identity from /proc/PID/cgroup: a table of the paths each runtime and
 * systemd really create (both drivers, v1 and v2 layouts) and garbage. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/identity.h"
#include "collect/procfs/procfs.h"
#include "collect/threads/identity_cache.h"
#include "model/report.h"
#include "sinks/output.h"
#include "sinks/prom_format.h"
#include "sinks/syslog_out.h"

#define ID64 "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
#define UID_DASH "8f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8"
#define UID_US "8f1a2b3c_4d5e_6f70_8192_a3b4c5d6e7f8"

struct id_case {
	const char *text;
	const char *cgroup, *unit, *container, *runtime, *pod, *qos;
	bool v1;
};

/* rows leave out the trailing fields that do not apply (NULL, false) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct id_case cases[] = {
	/* systemd, v2 */
	{ "0::/system.slice/nginx.service\n", "/system.slice/nginx.service", "nginx.service" },
	{ "0::/system.slice/postgresql@15-main.service\n", "/system.slice/postgresql@15-main.service",
	  "postgresql@15-main.service" },
	/* a user unit: the innermost unit, not user@1000.service */
	{ "0::/user.slice/user-1000.slice/user@1000.service/app.slice/syncthing.service\n",
	  "/user.slice/user-1000.slice/user@1000.service/app.slice/syncthing.service",
	  "syncthing.service" },
	{ "0::/user.slice/user-1000.slice/session-3.scope\n",
	  "/user.slice/user-1000.slice/session-3.scope", "session-3.scope" },
	/* a service that delegates subgroups of its own */
	{ "0::/system.slice/containerd.service/sub/worker\n", "/system.slice/containerd.service/sub/worker",
	  "containerd.service" },
	{ "0::/init.scope\n", "/init.scope", "init.scope" },
	{ "0::/\n", "/", "" },
	/* docker: systemd and cgroupfs drivers, v2 and v1 */
	{ "0::/system.slice/docker-" ID64 ".scope\n", "/system.slice/docker-" ID64 ".scope",
	  "docker-" ID64 ".scope", ID64, "docker" },
	{ "0::/docker/" ID64 "\n", "/docker/" ID64, "", ID64, "docker" },
	{ "12:pids:/docker/" ID64 "\n11:memory:/docker/" ID64 "\n1:name=systemd:/docker/" ID64 "\n0::/\n",
	  "/docker/" ID64, "", ID64, "docker", .v1 = true },
	/* docker in docker: the inner one */
	{ "0::/docker/" ID64 "/docker/1111111111111111111111111111111111111111111111111111111111111111\n",
	  "/docker/" ID64 "/docker/1111111111111111111111111111111111111111111111111111111111111111", "",
	  "1111111111111111111111111111111111111111111111111111111111111111", "docker" },
	/* podman: cgroupfs (this host) and systemd, and its conmon */
	{ "9:name=systemd:/libpod_parent/libpod-" ID64 "\n4:memory:/libpod_parent/libpod-" ID64
	  "\n0::/libpod_parent/libpod-" ID64 "\n", "/libpod_parent/libpod-" ID64, "", ID64, "podman" },
	{ "0::/machine.slice/libpod-" ID64 ".scope/container\n",
	  "/machine.slice/libpod-" ID64 ".scope/container", "libpod-" ID64 ".scope", ID64, "podman" },
	{ "0::/machine.slice/libpod-conmon-" ID64 ".scope\n", "/machine.slice/libpod-conmon-" ID64 ".scope",
	  "libpod-conmon-" ID64 ".scope" },
	/* Kubernetes, systemd driver: containerd, CRI-O, docker; each QoS */
	{ "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_US
	  ".slice/cri-containerd-" ID64 ".scope\n",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_US ".slice/cri-containerd-" ID64 ".scope",
	  "cri-containerd-" ID64 ".scope", ID64, "containerd", UID_DASH, "burstable" },
	{ "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_US
	  ".slice/crio-" ID64 ".scope\n",
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_US ".slice/crio-" ID64 ".scope",
	  "crio-" ID64 ".scope", ID64, "cri-o", UID_DASH, "besteffort" },
	{ "0::/kubepods.slice/kubepods-pod" UID_US ".slice/docker-" ID64 ".scope\n",
	  "/kubepods.slice/kubepods-pod" UID_US ".slice/docker-" ID64 ".scope",
	  "docker-" ID64 ".scope", ID64, "docker", UID_DASH, "guaranteed" },
	/* CRI-O's conmon sits in the pod, not in a container */
	{ "0::/kubepods.slice/kubepods-pod" UID_US ".slice/crio-conmon-" ID64 ".scope\n",
	  "/kubepods.slice/kubepods-pod" UID_US ".slice/crio-conmon-" ID64 ".scope",
	  "crio-conmon-" ID64 ".scope", "", NULL, UID_DASH, "guaranteed" },
	/* containerd on cgroup v1 with the systemd driver */
	{ "1:name=systemd:/system.slice/containerd.service/kubepods-burstable-pod" UID_US
	  ".slice:cri-containerd:" ID64 "\n0::/\n",
	  "/system.slice/containerd.service/kubepods-burstable-pod" UID_US ".slice:cri-containerd:" ID64,
	  "containerd.service", ID64, "containerd", UID_DASH, "burstable", .v1 = true },
	/* Kubernetes, cgroupfs driver */
	{ "0::/kubepods/burstable/pod" UID_DASH "/" ID64 "\n",
	  "/kubepods/burstable/pod" UID_DASH "/" ID64, "", ID64, "cri", UID_DASH, "burstable" },
	{ "0::/kubepods/pod" UID_DASH "/" ID64 "\n", "/kubepods/pod" UID_DASH "/" ID64, "", ID64, "cri",
	  UID_DASH, "guaranteed" },
	{ "0::/kubepods/besteffort/pod" UID_DASH "/crio-" ID64 "\n",
	  "/kubepods/besteffort/pod" UID_DASH "/crio-" ID64, "", ID64, "cri-o", UID_DASH, "besteffort" },
	/* the pause-less pod cgroup itself */
	{ "0::/kubepods/burstable/pod" UID_DASH "\n", "/kubepods/burstable/pod" UID_DASH, "", "", NULL,
	  UID_DASH, "burstable" },
	/* a hybrid host where only v1 controllers place the process (like the
	 * machine the tests run on): the first non-root v1 path */
	{ "9:name=systemd:/\n4:memory:/process_api/e76ec83144f7fe55fcecfaafc4038461\n0::/\n",
	  "/process_api/e76ec83144f7fe55fcecfaafc4038461", "", .v1 = true },
	/* name=systemd wins over other v1 hierarchies */
	{ "4:memory:/other\n1:name=systemd:/system.slice/cron.service\n0::/\n",
	  "/system.slice/cron.service", "cron.service", .v1 = true },
	/* the v2 path wins when it says something */
	{ "1:name=systemd:/system.slice/a.service\n0::/system.slice/b.service\n",
	  "/system.slice/b.service", "b.service" },
	/* hostile and look-alike components */
	{ "0::/system.slice/evil\" x=1\\.service\n", "/system.slice/evil\" x=1\\.service",
	  "evil\" x=1\\.service" },
	{ "0::/docker/" ID64 "0\n", "/docker/" ID64 "0", "" },			/* 65 hex */
	{ "0::/docker/3F4E5D6C7B8A99887766554433221100FFEEDDCCBBAA00112233445566778899\n",
	  "/docker/3F4E5D6C7B8A99887766554433221100FFEEDDCCBBAA00112233445566778899", "" },
	{ "0::/other/" ID64 "\n", "/other/" ID64, "" },				/* not a known parent */
	{ "0::/kubepods/burstable/podnot-a-uid!\n", "/kubepods/burstable/podnot-a-uid!", "" },
	{ "0::/kubepods-burstable-pod.slice\n", "/kubepods-burstable-pod.slice", "" },
	{ "0::/a/.service\n", "/a/.service", "" },
	{ "0::///system.slice//x.service//\n", "///system.slice//x.service//", "x.service" },
	{ "0::/\xff\xfe\x01.scope\n", "/\xff\xfe\x01.scope", "\xff\xfe\x01.scope" },
	/* garbage lines around a good one */
	{ "garbage\n::\nx:y:/z\n0:\n\n0::/ok.service", "/ok.service", "ok.service" },
};
#pragma GCC diagnostic pop

static void check_case(const struct id_case *c)
{
	struct identity id;

	assert_int_equal(identity_parse(c->text, strlen(c->text), &id), 0);
	assert_string_equal(id.cgroup, c->cgroup);
	assert_string_equal(id.unit, c->unit ? c->unit : "");
	assert_string_equal(id.container_id, c->container ? c->container : "");
	if (c->runtime)
		assert_string_equal(container_runtime_name(id.runtime), c->runtime);
	else
		assert_null(container_runtime_name(id.runtime));
	assert_string_equal(id.pod_uid, c->pod ? c->pod : "");
	if (c->qos)
		assert_string_equal(pod_qos_name(id.qos), c->qos);
	else
		assert_null(pod_qos_name(id.qos));
	assert_int_equal(id.cgroup_v1, c->v1);
	assert_false(id.cgroup_truncated);
}

static void test_identity_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case(&cases[i]);
	}
}

static void test_identity_no_cgroup(void **state)
{
	static const char *const bad[] = { "", "\n\n", "garbage", "0::", "0::relative\n", "a::/x\n",
					   ":::/x", "0:/x\n" };
	struct identity id;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(identity_parse(bad[i], strlen(bad[i]), &id), -ENOENT);
		assert_string_equal(id.cgroup, "");
		assert_string_equal(id.unit, "");
		assert_int_equal(id.runtime, RUNTIME_NONE);
	}
}

/* Overlong paths are cut for display but parsed whole: the container at
 * the end of a 6 KiB path is found. Text without a trailing NUL is read
 * within its length only. */
static void test_identity_overlong(void **state)
{
	size_t n = 6000;
	char *text = malloc(n + 200);
	struct identity id;
	size_t len;

	assert_non_null(text);
	strcpy(text, "0::");
	for (len = 3; len < n; len += 4)
		memcpy(text + len, "/abc", 4);
	len += sprintf(text + len, "/docker/%s", ID64);
	assert_int_equal(identity_parse(text, len, &id), 0);
	assert_true(id.cgroup_truncated);
	assert_int_equal(strlen(id.cgroup), ID_CGROUP_MAX - 1);
	assert_string_equal(id.container_id, ID64);
	assert_string_equal(container_runtime_name(id.runtime), "docker");
	/* a unit name over systemd's limit is not a unit */
	len = sprintf(text, "0::/");
	memset(text + len, 'u', 300);
	len += 300;
	len += sprintf(text + len, ".service");
	assert_int_equal(identity_parse(text, len, &id), 0);
	assert_string_equal(id.unit, "");
	/* length bounds the read: "0::/a.service" cut before ".service" */
	assert_int_equal(identity_parse("0::/a.service", 6, &id), 0);
	assert_string_equal(id.cgroup, "/a.");
	assert_string_equal(id.unit, "");
	free(text);
}

/* Random bytes never crash and never produce a container id that is not
 * 64 hex digits or a pod UID with bytes outside [0-9a-f-]. */
static void test_identity_fuzz(void **state)
{
	static const char alphabet[] = "0:/-_.abcdefsrviceopdkubeslcntm\n\xff";
	char buf[512];
	struct identity id;

	srand(12);
	for (int round = 0; round < 20000; round++) {
		size_t n = rand() % sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = round & 1 ? (char)rand() : alphabet[rand() % (sizeof(alphabet) - 1)];
		if (n > 3 && round % 3 == 0)
			memcpy(buf, "0::/", 4);
		identity_parse(buf, n, &id);
		assert_true(strlen(id.cgroup) < sizeof(id.cgroup));
		assert_true(!id.container_id[0] || strlen(id.container_id) == 64);
		assert_true(strspn(id.pod_uid, "0123456789abcdef-") == strlen(id.pod_uid));
	}
}

/* Output of a memstream as a string (caller frees). */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *mem_open(struct mem *m)
{
	m->buf = NULL;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
	return m->f;
}

static char *mem_close(struct mem *m)
{
	fclose(m->f);
	return m->buf;
}

static struct identity *id_of(const char *text)
{
	struct identity *id = calloc(1, sizeof(*id));

	assert_non_null(id);
	assert_int_equal(identity_parse(text, strlen(text), id), 0);
	return id;
}

static void add_parked(struct report *r, uint32_t pid, const char *comm, uint32_t live,
		       const struct identity *id)
{
	struct thread_report *t = report_add_thread(r);
	struct proc_report *p = report_proc(r, pid);

	t->pid = t->tid = pid;
	strcpy(t->comm, comm);
	strcpy(t->thread, comm);
	t->state = 'S';
	t->parked_ns = 20000000000ULL;
	t->verdict = VERDICT_LEAK;
	strcpy(p->comm, comm);
	p->parked = 1;
	p->alive = true;
	p->live_threads = live;
	p->identity = id;
}

#define HOSTILE_CG "0::/system.slice/ev\"il\\ x=1 \xff\x01}.service\n"

/* Every format carries the identity: two workers of one unit are one
 * Prometheus series (no pid label), a container is its own; a hostile
 * cgroup component stays one escaped value in each format. */
static void test_identity_outputs(void **state)
{
	struct identity *unit = id_of("0::/system.slice/web.service\n");
	struct identity *ctr = id_of("0::/libpod_parent/libpod-" ID64 "\n");
	struct identity *pod = id_of("0::/kubepods/burstable/pod" UID_DASH "/" ID64 "\n");
	struct identity *evil = id_of(HOSTILE_CG);
	struct prom_self self = {};
	struct prom_totals tot = {};
	struct report r = {};
	struct finding fd = { .pid = 13, .tid = 13, .comm = "svc", .thread = "svc" };
	char line[SYSLOG_LINE_MAX], *s;
	struct mem m;

	add_parked(&r, 10, "web", 2, unit);
	add_parked(&r, 11, "web", 3, unit);
	add_parked(&r, 12, "web", 4, ctr);
	add_parked(&r, 13, "svc", 1, evil);
	add_parked(&r, 14, "app", 1, pod);
	add_parked(&r, 15, "bare", 1, NULL);
	report_sort(&r);

	assert_int_equal(prom_render(mem_open(&m), &r, &tot, &self, false), 0);
	s = mem_close(&m);
	assert_non_null(strstr(s, "leaktrace_live_threads{comm=\"web\",unit=\"web.service\","
			       "container_id=\"\",pod_uid=\"\"} 5\n"));
	assert_non_null(strstr(s, "leaktrace_live_threads{comm=\"web\",unit=\"\",container_id=\""
			       ID64 "\",pod_uid=\"\"} 4\n"));
	assert_non_null(strstr(s, "leaktrace_live_threads{comm=\"app\",unit=\"\",container_id=\""
			       ID64 "\",pod_uid=\"" UID_DASH "\"} 1\n"));
	assert_non_null(strstr(s, "leaktrace_parked_threads{comm=\"web\",unit=\"web.service\","
			       "container_id=\"\",pod_uid=\"\",verdict=\"leak\"} 2\n"));
	/* a control byte is the text \x01 (the format escapes only \\ \" \n) */
	assert_non_null(strstr(s, "unit=\"ev\\\"il\\\\ x=1 \xc3\xbf\\\\x01}.service\""));
	assert_non_null(strstr(s, "leaktrace_live_threads{comm=\"bare\",unit=\"\",container_id=\"\","
			       "pod_uid=\"\"} 1\n"));
	assert_null(strstr(s, "pid="));
	free(s);
	assert_int_equal(prom_render(mem_open(&m), &r, &tot, &self, true), 0);
	s = mem_close(&m);
	assert_non_null(strstr(s, "leaktrace_live_threads{comm=\"web\",unit=\"web.service\","
			       "container_id=\"\",pod_uid=\"\",pid=\"11\"} 3\n"));
	free(s);

	output_json(mem_open(&m), &r);
	s = mem_close(&m);
	assert_non_null(strstr(s, "\"pid\":10,\"comm\":\"web\",\"cgroup\":"
			       "\"/system.slice/web.service\",\"unit\":\"web.service\","
			       "\"container_id\":null,\"container_runtime\":null,\"pod_uid\":null,"
			       "\"pod_qos\":null,\"tid\":10"));
	assert_non_null(strstr(s, "\"container_id\":\"" ID64 "\",\"container_runtime\":\"podman\""));
	assert_non_null(strstr(s, "\"container_runtime\":\"cri\",\"pod_uid\":\"" UID_DASH
			       "\",\"pod_qos\":\"burstable\""));
	assert_non_null(strstr(s, "\"unit\":\"ev\\\"il\\\\ x=1 \\u00ff\\u0001}.service\""));
	assert_non_null(strstr(s, "\"comm\":\"bare\",\"cgroup\":null,\"unit\":null"));
	free(s);

	output_text(mem_open(&m), &r);
	s = mem_close(&m);
	assert_non_null(strstr(s, "PID 10 web [unit web.service, cgroup /system.slice/web.service]: "));
	assert_non_null(strstr(s, "PID 12 web [container podman 3f4e5d6c7b8a, cgroup /libpod_parent/libpod-"
			       ID64 "]: "));
	assert_non_null(strstr(s, "PID 14 app [container cri 3f4e5d6c7b8a, pod " UID_DASH
			       " burstable, cgroup /kubepods/"));
	assert_non_null(strstr(s, "[unit ev\"il\\\\ x=1 \\xff\\x01}.service, cgroup"));
	assert_non_null(strstr(s, "PID 15 bare: "));
	free(s);

	syslog_format_finding(line, sizeof(line), FINDING_NEW, &fd, NULL, evil);
	assert_string_equal(line, "finding=new pid=13 tid=13 comm=\"svc\" unit=\"ev\\\"il\\\\ x=1 "
			    "\\xff\\x01}.service\" cgroup=\"/system.slice/ev\\\"il\\\\ x=1 "
			    "\\xff\\x01}.service\" thread=\"svc\" verdict=none site=0000000000000000 "
			    "site_threads=0");
	syslog_format_finding(line, sizeof(line), FINDING_GONE, &fd, NULL, pod);
	assert_non_null(strstr(line, "comm=\"svc\" container_id=" ID64 " container_runtime=cri pod_uid="
			       UID_DASH " cgroup=\"/kubepods/burstable/pod"));
	assert_ptr_equal(report_identity(&r, 12), ctr);
	assert_null(report_identity(&r, 99));

	report_free(&r);
	free(unit);
	free(ctr);
	free(pod);
	free(evil);
}

/* The cache reads this very process: its cgroup file parses, and a second
 * fill reuses the entry. */
static void test_identity_cache_self(void **state)
{
	struct identity_cache *c = identity_cache__new();
	struct report r = {};
	const struct identity *first;
	struct identity direct;

	assert_non_null(c);
	report_proc(&r, getpid())->parked = 1;
	assert_int_equal(identity_cache__fill(c, &r), 0);
	first = r.procs[0].identity;
	assert_non_null(first);
	assert_int_equal(identity_read(getpid(), &direct), 0);
	assert_string_equal(first->cgroup, direct.cgroup);
	assert_int_equal(identity_cache__fill(c, &r), 0);
	assert_ptr_equal(r.procs[0].identity, first);
	/* a process that is gone has no identity */
	report_proc(&r, 0x7ffffff0)->parked = 1;
	assert_int_equal(identity_cache__fill(c, &r), 0);
	assert_null(report_identity(&r, 0x7ffffff0));
	report_free(&r);
	identity_cache__free(c);
}

/* The start time after a comm the process chose: ")" and spaces in it do
 * not shift the fields; garbage where the number goes is refused. */
static void test_proc_stat_start_time(void **state)
{
	static const struct {
		const char *stat;
		int err;
		uint64_t start;
	} cases[] = {
		{ "42 (bash) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 100 "
		  "18446744073709551615 1 1\n", 0, 123456 },
		{ "42 (a) S 1 2 3) b) R 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 777 1000\n",
		  0, 777 },
		{ "42 (x) R 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 99", 0, 99 },
		{ "42 bash S 1 2 3\n", -EINVAL, 0 },
		{ "42 (bash) S 1 2 3\n", -EINVAL, 0 },
		{ "42 (x) R 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 -5 1000\n", -EINVAL, 0 },
		{ "42 (x) R 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12x 1000\n", -EINVAL, 0 },
		{ "42 (x) R 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
		  "99999999999999999999999 1\n", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t start = 0;

		assert_int_equal(procfs__stat_start_time(cases[i].stat, &start), cases[i].err);
		if (!cases[i].err)
			assert_int_equal(start, cases[i].start);
	}
}

/* Field 9 (flags) tells a kernel thread; a comm that looks like one does
 * not; and /proc/self/stat reads as a user process started before now. */
static void test_proc_stat_flags(void **state)
{
	struct proc_stat_info self;
	uint64_t flags;

	assert_int_equal(procfs__stat_field("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 "
					 "0 3 0 0\n", 9, &flags), 0);
	assert_true(flags & PROC_PF_KTHREAD);
	assert_int_equal(procfs__stat_field("7 (a) 2129984 (b) S 1 7 7 0 -1 4194560 0 0\n", 9,
					 &flags), 0);
	assert_false(flags & PROC_PF_KTHREAD);
	assert_int_equal(procfs__stat_field("7 (a) S 1 7 7 0 -1 0x200000 0\n", 9, &flags), -EINVAL);
	assert_int_equal(procfs__stat_field("7 (a) S 1\n", 9, &flags), -EINVAL);
	assert_int_equal(procfs__stat_field("7 (a) S 1\n", 2, &flags), -EINVAL);
	assert_int_equal(proc_stat_read(getpid(), &self), 0);
	assert_false(self.flags & PROC_PF_KTHREAD);
	assert_true(self.start > 0);
	assert_int_equal(proc_stat_read(0x7fffffff, &self), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_stat_flags),
		cmocka_unit_test(test_identity_table),
		cmocka_unit_test(test_identity_no_cgroup),
		cmocka_unit_test(test_identity_overlong),
		cmocka_unit_test(test_identity_fuzz),
		cmocka_unit_test(test_identity_outputs),
		cmocka_unit_test(test_identity_cache_self),
		cmocka_unit_test(test_proc_stat_start_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
