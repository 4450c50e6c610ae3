// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/identity.h"
#include "judge/baseline.h"
#include "util/array.h"
#include "util/hash.h"

/* One site of a baseline: (unit kind, site id) and the most units seen. */
struct base_site {
	uint8_t kind;
	uint64_t group;
	uint32_t units;
};

struct service {
	uint64_t key;
	uint64_t forming;		/* generation it is being formed in, 0 = formed */
	struct base_site *sites;	/* sorted by (kind, group) once formed */
	size_t n, cap;
};

/* A process's key, kept while the process is in the reports. */
struct proc_key {
	uint32_t pid;
	uint64_t start_ns;
	uint64_t key;
	uint64_t used;		/* generation */
};

struct baselines {
	struct baseline_opts o;
	struct service *services;	/* sorted by key */
	size_t n, cap;
	struct proc_key *procs;		/* sorted by pid */
	size_t n_procs, cap_procs;
	uint64_t generation;
	bool changed;			/* a baseline formed since baselines__changed() */
};

struct baselines *baselines__new(const struct baseline_opts *o)
{
	struct baselines *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	if (o)
		b->o = *o;
	if (!b->o.max_services)
		b->o.max_services = 1024;
	if (!b->o.max_sites)
		b->o.max_sites = 1024;
	if (!b->o.key)
		b->o.key = proc_service_key;
	return b;
}

void baselines__free(struct baselines *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->services[i].sites);
	free(b->services);
	free(b->procs);
	free(b);
}

/* Age of a process that started at start (monotonic ns); unknown: old. */
static uint64_t proc_age(const struct report *r, uint64_t start)
{
	return start && start < r->mono_ns ? r->mono_ns - start : UINT64_MAX;
}

uint64_t proc_service_key(void *ctx, const struct report *r, uint32_t pid, uint64_t *age_ns)
{
	const struct proc_report *p = report_find_proc(r, pid);
	const struct identity *id = p ? p->identity : NULL;
	uint64_t exe, h;

	(void)ctx;
	*age_ns = proc_age(r, p ? p->start_ns : 0);
	if (!p || !id || !(exe = p->exe_key))
		return 0;
	h = hash_string(HASH_SEED, id->unit[0] ? id->unit :
				   id->container_id[0] ? id->container_id : id->cgroup);
	h = hash_string(h, p->comm);
	return hash_bytes(h, &exe, sizeof(exe)) | 1;	/* never 0 */
}

static int cmp_proc_key(const void *key, const void *elem)
{
	uint32_t pid = *(const uint32_t *)key, other = ((const struct proc_key *)elem)->pid;

	return (pid > other) - (pid < other);
}

static int cmp_service(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key, other = ((const struct service *)elem)->key;

	return (k > other) - (k < other);
}

static int cmp_site(const void *a, const void *b)
{
	const struct base_site *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->group > y->group) - (x->group < y->group);
}

void baselines__begin(struct baselines *b, const struct report *r)
{
	size_t kept = 0;

	(void)r;
	b->generation++;
	/* keys of processes gone from the last report are forgotten (pids
	 * are reused); their services' baselines stay */
	for (size_t i = 0; i < b->n_procs; i++)
		if (b->procs[i].used + 1 >= b->generation)
			b->procs[kept++] = b->procs[i];
	b->n_procs = kept;
}

/* Key of pid, computed once per process; 0 = unknown. */
static uint64_t key_of(struct baselines *b, const struct report *r, uint32_t pid,
		       uint64_t *age_ns)
{
	const struct proc_report *p = report_find_proc(r, pid);
	uint64_t start = p ? p->start_ns : 0;
	size_t i = sorted_lower_bound(b->procs, b->n_procs, sizeof(*b->procs), &pid, cmp_proc_key);
	struct proc_key *k;

	if (i < b->n_procs && b->procs[i].pid == pid && b->procs[i].start_ns == start &&
	    b->procs[i].key) {
		b->procs[i].used = b->generation;
		*age_ns = proc_age(r, start);
		return b->procs[i].key;
	}
	uint64_t key = b->o.key(b->o.key_ctx, r, pid, age_ns);

	if (!key)
		return 0;	/* not remembered: known next time, maybe */
	if (i < b->n_procs && b->procs[i].pid == pid) {
		k = &b->procs[i];
	} else {
		if (ARRAY_RESERVE(b->procs, b->cap_procs, b->n_procs + 1))
			return key;
		memmove(b->procs + i + 1, b->procs + i, (b->n_procs - i) * sizeof(*b->procs));
		b->n_procs++;
		k = &b->procs[i];
	}
	*k = (struct proc_key){ pid, start, key, b->generation };
	return key;
}

static struct service *service_of(struct baselines *b, uint64_t key)
{
	size_t i = sorted_lower_bound(b->services, b->n, sizeof(*b->services), &key, cmp_service);

	if (i < b->n && b->services[i].key == key)
		return &b->services[i];
	if (b->n >= b->o.max_services || ARRAY_RESERVE(b->services, b->cap, b->n + 1))
		return NULL;
	memmove(b->services + i + 1, b->services + i, (b->n - i) * sizeof(*b->services));
	b->n++;
	b->services[i] = (struct service){ .key = key, .forming = b->generation };
	return &b->services[i];
}

enum site_baseline baselines__site(struct baselines *b, const struct report *r,
				   const struct site_report *s, uint8_t kind)
{
	struct base_site key = { kind, s->group, s->n_units }, *found;
	uint64_t age_ns = 0, k = key_of(b, r, s->pid, &age_ns);
	struct service *svc;

	if (!k)
		return BASELINE_PENDING;
	/* --baseline-after holds back forming; a young process of a service
	 * whose baseline is formed (a restart, or a former run's state) is
	 * read against it at once */
	svc = sorted_find(b->services, b->n, sizeof(*b->services), &k, cmp_service);
	if (!(svc && !svc->forming) && (age_ns < b->o.after_ns || !(svc = service_of(b, k))))
		return BASELINE_PENDING;
	if (svc->forming && svc->forming != b->generation) {
		/* the report it was being formed in was not committed */
		svc->forming = b->generation;
		svc->n = 0;
	}
	if (svc->forming == b->generation) {
		/* its first report: every site is normal, by definition */
		for (size_t i = 0; i < svc->n; i++) {
			if (!cmp_site(&svc->sites[i], &key)) {
				if (key.units > svc->sites[i].units)
					svc->sites[i].units = key.units;
				return BASELINE_NORMAL;
			}
		}
		if (svc->n < b->o.max_sites && !ARRAY_RESERVE(svc->sites, svc->cap, svc->n + 1))
			svc->sites[svc->n++] = key;
		return BASELINE_NORMAL;
	}
	found = sorted_find(svc->sites, svc->n, sizeof(key), &key, cmp_site);
	if (!found)
		return BASELINE_NEW;
	return s->n_units > found->units ? BASELINE_GREW : BASELINE_NORMAL;
}

void baselines__commit(struct baselines *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct service *svc = &b->services[i];

		if (svc->forming == b->generation) {
			if (svc->n)
				qsort(svc->sites, svc->n, sizeof(*svc->sites), cmp_site);
			svc->forming = 0;
			b->changed = true;
		}
	}
}

bool baselines__changed(struct baselines *b)
{
	bool changed = b->changed;

	b->changed = false;
	return changed;
}

#define SAVE_HEADER "leaktrace-baselines 1\n"

int baselines__save(const struct baselines *b, FILE *f)
{
	fputs(SAVE_HEADER, f);
	for (size_t i = 0; i < b->n; i++) {
		const struct service *svc = &b->services[i];

		if (svc->forming)
			continue;
		fprintf(f, "service %016" PRIx64 " %zu\n", svc->key, svc->n);
		for (size_t j = 0; j < svc->n; j++)
			fprintf(f, "site %u %016" PRIx64 " %" PRIu32 "\n", svc->sites[j].kind,
				svc->sites[j].group, svc->sites[j].units);
	}
	return ferror(f) ? -EIO : 0;
}

/* One line of a saved text: FMT with its conversions all matched and
 * nothing after them but the newline. */
#define SCAN_LINE(line, fmt, n, ...) ({ \
	int used_ = -1; \
	sscanf(line, fmt "%n", __VA_ARGS__, &used_) == (n) && used_ >= 0 && !(line)[used_]; \
})

static void free_services(struct service *services, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(services[i].sites);
	free(services);
}

/* Parse a saved text into a sorted array of formed services. */
static int parse_saved(const struct baselines *b, char *text, struct service **out, size_t *n_out)
{
	struct service *services = NULL, *svc = NULL;
	size_t n = 0, cap = 0, want = 0;
	char *save = NULL, *line;
	int err = -EINVAL;

	if (strncmp(text, SAVE_HEADER, strlen(SAVE_HEADER)))
		return -EINVAL;
	for (line = strtok_r(text + strlen(SAVE_HEADER), "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned int kind, units;
		uint64_t key, group;
		size_t count;

		if (SCAN_LINE(line, "service %16" SCNx64 " %zu", 2, &key, &count)) {
			if ((svc && svc->n != want) || n >= b->o.max_services || count > b->o.max_sites ||
			    !key || (n && key <= services[n - 1].key))
				goto fail;	/* short service, over bounds, unsorted or twice */
			if (ARRAY_RESERVE(services, cap, n + 1))
				goto nomem;
			svc = &services[n++];
			*svc = (struct service){ .key = key };
			want = count;
			if (count && !(svc->sites = calloc(count, sizeof(*svc->sites))))
				goto nomem;
			svc->cap = count;
		} else if (SCAN_LINE(line, "site %u %16" SCNx64 " %u", 3, &kind, &group, &units)) {
			struct base_site site = { (uint8_t)kind, group, units };

			if (!svc || svc->n >= want || kind > UINT8_MAX ||
			    (svc->n && cmp_site(&svc->sites[svc->n - 1], &site) >= 0))
				goto fail;
			svc->sites[svc->n++] = site;
		} else {
			goto fail;
		}
	}
	if (svc && svc->n != want)
		goto fail;
	*out = services;
	*n_out = n;
	return 0;
nomem:
	err = -ENOMEM;
fail:
	free_services(services, n);
	return err;
}

int baselines__load(struct baselines *b, const char *buf, size_t len)
{
	struct service *services;
	char *text;
	size_t n;
	int err;

	/* a NUL inside is not a text we wrote */
	if (memchr(buf, 0, len) || !(text = strndup(buf, len)))
		return memchr(buf, 0, len) ? -EINVAL : -ENOMEM;
	err = parse_saved(b, text, &services, &n);
	free(text);
	if (err)
		return err;
	free_services(b->services, b->n);
	b->services = services;
	b->n = b->cap = n;
	return 0;
}

const char *site_baseline_name(enum site_baseline v)
{
	static const char *const names[] = { "off", "pending", "normal", "new", "grew" };

	return v <= BASELINE_GREW ? names[v] : "?";
}
