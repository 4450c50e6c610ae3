// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one table of what is a runtime's code rather than the program's: the
 * culprit frame is the first frame past it (docs/frames.md lists it). */
#include <string.h>

#include "model/frame.h"

enum match { BY_MODULE, BY_FUNCTION, BY_FUNCTION_EXACT, BY_FILE };

struct runtime_rule {
	enum match match;
	const char *text;	/* a prefix (BY_FILE: a substring) */
};

static const struct runtime_rule runtime_rules[] = {
	/* C and C++ runtimes, the dynamic loader */
	{ BY_MODULE, "libc.so" }, { BY_MODULE, "libc-" }, { BY_MODULE, "libpthread" },
	{ BY_MODULE, "ld-linux" }, { BY_MODULE, "ld-musl" }, { BY_MODULE, "libc.musl" },
	{ BY_MODULE, "libm.so" }, { BY_MODULE, "libdl" }, { BY_MODULE, "librt" },
	{ BY_MODULE, "libstdc++" }, { BY_MODULE, "libc++" }, { BY_MODULE, "libgcc_s" },
	/* interpreters and VMs: their own native code */
	{ BY_MODULE, "python2" }, { BY_MODULE, "python3" }, { BY_MODULE, "libpython" },
	{ BY_MODULE, "libjvm.so" }, { BY_MODULE, "libjava.so" }, { BY_MODULE, "libjli.so" },
	{ BY_MODULE, "libnio.so" }, { BY_MODULE, "libnet.so" }, { BY_MODULE, "java" },
	{ BY_MODULE, "node" }, { BY_MODULE, "libnode" }, { BY_MODULE, "libuv" },
	/* libc's entry points in a static binary (no module to tell them by) */
	{ BY_FUNCTION, "__" }, { BY_FUNCTION, "pthread_" }, { BY_FUNCTION, "sem_" },
	{ BY_FUNCTION, "epoll_" }, { BY_FUNCTION, "futex" }, { BY_FUNCTION, "sigwait" },
	{ BY_FUNCTION, "std::" }, { BY_FUNCTION, "PyThread_" }, { BY_FUNCTION, "_Py" },
	{ BY_FUNCTION_EXACT, "read" }, { BY_FUNCTION_EXACT, "write" },
	{ BY_FUNCTION_EXACT, "recv" }, { BY_FUNCTION_EXACT, "recvfrom" },
	{ BY_FUNCTION_EXACT, "recvmsg" }, { BY_FUNCTION_EXACT, "send" },
	{ BY_FUNCTION_EXACT, "sendto" }, { BY_FUNCTION_EXACT, "accept" },
	{ BY_FUNCTION_EXACT, "accept4" }, { BY_FUNCTION_EXACT, "connect" },
	{ BY_FUNCTION_EXACT, "poll" }, { BY_FUNCTION_EXACT, "ppoll" },
	{ BY_FUNCTION_EXACT, "select" }, { BY_FUNCTION_EXACT, "pselect" },
	{ BY_FUNCTION_EXACT, "nanosleep" }, { BY_FUNCTION_EXACT, "clock_nanosleep" },
	{ BY_FUNCTION_EXACT, "sleep" }, { BY_FUNCTION_EXACT, "usleep" },
	{ BY_FUNCTION_EXACT, "syscall" }, { BY_FUNCTION_EXACT, "wait" },
	{ BY_FUNCTION_EXACT, "waitpid" }, { BY_FUNCTION_EXACT, "pause" },
	{ BY_FUNCTION_EXACT, "start_thread" }, { BY_FUNCTION_EXACT, "clone" },
	{ BY_FUNCTION_EXACT, "clone3" },
	/* Python's standard library and installed packages */
	{ BY_FILE, "/lib/python2" }, { BY_FILE, "/lib/python3" }, { BY_FILE, "<frozen " },
	{ BY_FILE, "/site-packages/" }, { BY_FILE, "/dist-packages/" },
	/* the JDK's classes */
	{ BY_FUNCTION, "java." }, { BY_FUNCTION, "javax." }, { BY_FUNCTION, "jdk." },
	{ BY_FUNCTION, "sun." }, { BY_FUNCTION, "com.sun." },
	/* V8's own code in a perf map */
	{ BY_FUNCTION, "Builtin:" }, { BY_FUNCTION, "BytecodeHandler:" }, { BY_FUNCTION, "Stub:" },
};

/* Go's standard library and runtime: a package path whose first element
 * has no dot ("net/http", "sync", "runtime"; "github.com/x/y" is not), except
 * package main. */
static bool is_go_std(const char *func)
{
	const char *slash = strchr(func, '/');
	size_t elem = slash ? (size_t)(slash - func) : strcspn(func, ".");

	if (!strncmp(func, "main.", 5))
		return false;
	return !memchr(func, '.', elem);
}

static bool rule_matches(const struct runtime_rule *r, const struct frame *f)
{
	const char *s;

	switch (r->match) {
	case BY_MODULE:
		s = frame__module_base(f);
		return *s && !strncmp(s, r->text, strlen(r->text));
	case BY_FUNCTION:
		return f->function && !strncmp(f->function, r->text, strlen(r->text));
	case BY_FUNCTION_EXACT:
		return f->function && !strcmp(f->function, r->text);
	default:
		return f->file && strstr(f->file, r->text);
	}
}

bool frame__is_runtime(const struct frame *f)
{
	if (f->kind == FRAME_KERNEL || f->kind == FRAME_MARKER)
		return true;
	if (f->kind == FRAME_GO && f->function && is_go_std(f->function))
		return true;
	for (size_t i = 0; i < sizeof(runtime_rules) / sizeof(runtime_rules[0]); i++) {
		/* the module of a Go or Python frame is the program's own binary
		 * or the interpreter: decided by function and file, not module */
		if (runtime_rules[i].match == BY_MODULE &&
		    (f->kind == FRAME_GO || f->kind == FRAME_PYTHON || f->kind == FRAME_JAVA))
			continue;
		if (rule_matches(&runtime_rules[i], f))
			return true;
	}
	return false;
}

bool frame__module_is_runtime(const char *module)
{
	struct frame f = { .module = module };

	for (size_t i = 0; module && i < sizeof(runtime_rules) / sizeof(runtime_rules[0]); i++)
		if (runtime_rules[i].match == BY_MODULE && rule_matches(&runtime_rules[i], &f))
			return true;
	return false;
}

int frames__culprit(const struct frame *frames, int n)
{
	for (int i = 0; i < n; i++)
		if (!frame__is_runtime(&frames[i]))
			return i;
	return -1;
}
