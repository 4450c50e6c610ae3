# leaktrace build: bpf/*.bpf.c -> .output/*.bpf.o -> .output/*.skel.h -> leaktrace
OUTPUT     := .output
CLANG      ?= clang
CC         ?= cc
BPFTOOL    ?= bpftool
PREFIX     ?= /usr/local
DESTDIR    ?=
ARCH       ?= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
# Architecture facts (registers, syscall numbers, Go ABI) live in arch/ARCH.
ifeq ($(wildcard arch/$(ARCH)/arch.h),)
$(error unsupported architecture '$(ARCH)': leaktrace supports $(notdir $(wildcard arch/*)) (see arch/))
endif
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS       := libbpf libelf libdw zlib libmicrohttpd libseccomp libsystemd
CFLAGS     ?= -O2 -g
override CFLAGS += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
	      -DLEAKTRACE_VERSION='"$(VERSION)"' \
	      -I$(OUTPUT) -Ibpf -Iuser -Iarch/$(ARCH) $(shell pkg-config --cflags $(PKGS))
LDLIBS     += $(shell pkg-config --libs $(PKGS)) -lpthread -lstdc++
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -Ibpf -Iarch/$(ARCH) -Wall

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
SKELS      := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
# modules without a skeleton are the pure, unit-tested library
# floors, lowest first: each imports only from the ones before it (tools/check-layers.sh)
USER_DIRS  := util model collect judge sinks run
LIB_SRCS   := $(filter-out user/run/main.c,$(shell find $(addprefix user/,$(USER_DIRS)) -name '*.c' | sort))
LIB_OBJS   := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
USER_HDRS  := $(shell find user -name '*.h') $(wildcard arch/$(ARCH)/*.h)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all clean distclean test check unit e2e bench install deps

all: leaktrace

$(OUTPUT):
	$(Q)mkdir -p $@

# CO-RE: generated from the build machine's BTF; the relocations make the
# object run on any kernel with BTF (see docs/internals.md "Building").
$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "error: /sys/kernel/btf/vmlinux missing: leaktrace needs a kernel with BTF (CONFIG_DEBUG_INFO_BTF=y)" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/*.h $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS) bpf/leaktrace.h $(SKELS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

leaktrace: $(OUTPUT)/user/run/main.o $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

-include tests/tests.mk
-include tools/tools.mk

# SYSTEMDUNITDIR overrides where the unit goes (e.g. /lib/systemd/system)
install: leaktrace
	install -D -m 0755 leaktrace $(DESTDIR)$(PREFIX)/sbin/leaktrace
	install -d $(DESTDIR)$(or $(SYSTEMDUNITDIR),$(PREFIX)/lib/systemd/system)
	sed 's|^ExecStart=/usr/local/sbin/|ExecStart=$(PREFIX)/sbin/|' dist/leaktrace.service > $(DESTDIR)$(or $(SYSTEMDUNITDIR),$(PREFIX)/lib/systemd/system)/leaktrace.service
	chmod 0644 $(DESTDIR)$(or $(SYSTEMDUNITDIR),$(PREFIX)/lib/systemd/system)/leaktrace.service
	install -D -m 0644 dist/leaktrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/leaktrace.8
	install -D -m 0644 dist/leaktrace.logrotate $(DESTDIR)$(or $(LOGROTATEDIR),/etc/logrotate.d)/leaktrace

deps:
	./tools/install-deps.sh

clean:
	$(call msg,CLEAN,)
	$(Q)[ ! -d $(OUTPUT) ] || find $(OUTPUT) -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} +
	$(Q)rm -rf leaktrace $(CLEAN_EXTRA)

# downloaded toolchains, kernels and root filesystems (kept by clean)
distclean: clean
	$(Q)rm -rf $(OUTPUT)
