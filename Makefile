# leaktrace build: bpf/*.bpf.c -> .output/*.bpf.o -> .output/*.skel.h -> leaktrace
OUTPUT     := .output
CLANG      ?= clang
CC         ?= cc
BPFTOOL    ?= bpftool
PREFIX     ?= /usr/local
DESTDIR    ?=
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS       := libbpf libelf libdw zlib libmicrohttpd
CFLAGS     ?= -O2 -g
override CFLAGS += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
	      -DLEAKTRACE_VERSION='"$(VERSION)"' \
	      -I$(OUTPUT) -Ibpf -Iuser $(shell pkg-config --cflags $(PKGS))
LDLIBS     += $(shell pkg-config --libs $(PKGS)) -lpthread -lstdc++
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -Ibpf -Wall

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
SKELS      := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
# modules without a skeleton are the pure, unit-tested library
LIB_SRCS   := $(filter-out user/main.c,$(wildcard user/*.c))
LIB_OBJS   := $(patsubst user/%.c,$(OUTPUT)/%.o,$(LIB_SRCS))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all clean test unit e2e bench install deps

all: leaktrace

$(OUTPUT):
	$(Q)mkdir -p $@

# CO-RE: generated from the build machine's BTF; the relocations make the
# object run on any kernel with BTF (see README "Building").
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

$(OUTPUT)/%.o: user/%.c user/*.h bpf/leaktrace.h $(SKELS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

leaktrace: $(OUTPUT)/main.o $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

-include tests/tests.mk
-include tools/tools.mk

# SYSTEMDUNITDIR overrides where the unit goes (e.g. /lib/systemd/system)
install: leaktrace
	install -D -m 0755 leaktrace $(DESTDIR)$(PREFIX)/sbin/leaktrace
	install -d $(DESTDIR)$(or $(SYSTEMDUNITDIR),$(PREFIX)/lib/systemd/system)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|' dist/leaktrace.service > $(DESTDIR)$(or $(SYSTEMDUNITDIR),$(PREFIX)/lib/systemd/system)/leaktrace.service
	chmod 0644 $(DESTDIR)$(or $(SYSTEMDUNITDIR),$(PREFIX)/lib/systemd/system)/leaktrace.service
	install -D -m 0644 dist/leaktrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/leaktrace.8

deps:
	./tools/install-deps.sh

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) leaktrace $(CLEAN_EXTRA)
