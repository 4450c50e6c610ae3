// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/cgroup (model/identity.c): cgroup names are chosen by whoever
 * may create cgroups (delegated subtrees, container runtimes). */
#include "fuzz.h"
#include "model/identity.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct identity id;

	identity_parse((const char *)data, size, &id);
	identity_from_path((const char *)data, size, &id);
	(void)container_runtime_name(id.runtime);
	(void)pod_qos_name(id.qos);
	return 0;
}
