# Fuzzing (included from tests/tests.mk). `make fuzz` builds every harness
# tests/fuzz/fuzz_*.c with libFuzzer, ASan and UBSan (clang) and runs each for
# FUZZ_SECONDS from its seeds (tests/fuzz/run.sh). The same harnesses, built
# with replay.c, are unit tests (.output/tests/test_fuzz_*) over the seeds and
# the regression inputs in tests/fuzz/regress/.
FUZZ_SECONDS  ?= 50
FUZZ_CC       ?= clang
FUZZ_TARGETS  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   := $(CFLAGS) -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_OBJS     := $(patsubst user/%.c,$(OUTPUT)/fuzz/obj/%.o,$(LIB_SRCS))
# a real Go program for the runtime-structure harness (pclntab, offsets)
FUZZ_GO_BIN   := $(OUTPUT)/fuzz/go/sleeploop
FUZZ_DEFS      = -DFUZZ_TARGET='"$*"' -DFUZZ_GO_BINARY='"$(abspath $(FUZZ_GO_BIN))"' -Itests/fuzz
# harnesses that include a module's source to reach its static parser or
# its reader seam: that module's object is left out of their link
fuzz_includes_maps        := collect/stacks/unwind.o
fuzz_includes_python_walk := collect/python/python_walk.o
fuzz_includes_python_thread_name := collect/python/python_walk.o collect/python/python_thread_name.o
fuzz_objs      = $(if $(fuzz_includes_$2),$(filter-out $(addprefix %/,$(fuzz_includes_$2)),$1),$1)
FUZZ_BINS     := $(patsubst %,$(OUTPUT)/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_REPLAYS  := $(patsubst %,$(OUTPUT)/tests/test_fuzz_%,$(FUZZ_TARGETS))

$(OUTPUT)/fuzz/obj/%.o: user/%.c $(USER_HDRS) bpf/leaktrace.h $(SKELS) | $(OUTPUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(OUTPUT)/fuzz/go/sleeploop: tools/workloads/go/sleeploop/main.go
	$(call msg,GO,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)cd tools/workloads/go && GOCACHE=$(abspath $(OUTPUT)/fuzz/go/.gocache) \
		GOPATH=$(abspath $(OUTPUT)/fuzz/go/.gopath) GOFLAGS= GOPROXY=off \
		GOTOOLCHAIN=local CGO_ENABLED=0 go build -o $(abspath $@) ./sleeploop

$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJS) $(FUZZ_GO_BIN)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_DEFS) -fsanitize=fuzzer $< \
		$(call fuzz_objs,$(FUZZ_OBJS),$*) $(LDLIBS) -o $@

$(OUTPUT)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(LIB_OBJS) $(FUZZ_GO_BIN)
	$(call msg,TEST-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(FUZZ_DEFS) tests/fuzz/replay.c $< \
		$(call fuzz_objs,$(LIB_OBJS),$*) $(LDLIBS) -lcmocka -o $@

unit-bins: $(FUZZ_REPLAYS)

fuzz-bins: $(FUZZ_BINS)

fuzz: fuzz-bins
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./tests/fuzz/run.sh $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-bins
