# Unit tests: every tests/unit/test_*.c is one cmocka binary linked with the
# pure userspace modules (no skeleton, no kernel).
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

$(OUTPUT)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(OUTPUT)
	$(call msg,TEST-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

unit-bins: $(UNIT_BINS)

# leaktrace built with ASan and UBSan (`make asan`): the hostile-process
# tests (tests/e2e/test_hostile_go.py) run it as well as ./leaktrace.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ASAN_OBJS  := $(patsubst user/%.c,$(OUTPUT)/asan/%.o,$(LIB_SRCS) user/run/main.c)

$(OUTPUT)/asan/%.o: user/%.c $(USER_HDRS) bpf/leaktrace.h $(SKELS) | $(OUTPUT)
	$(call msg,ASAN-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(OUTPUT)/asan/leaktrace: $(ASAN_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) $^ $(LDLIBS) -o $@

asan: $(OUTPUT)/asan/leaktrace

.PHONY: asan

# Everything: unit tests, then end-to-end tests in the real kernel (root).
test: leaktrace unit-bins workloads
	./tests/run-all.sh

# CI: the tests above plus the matrices (Go toolchains, kernels, CPython
# versions), with one summary line for all.
check: leaktrace unit-bins workloads
	./tests/run-all.sh --matrix

unit: unit-bins
	./tests/run-all.sh --unit-only
-include tests/fuzz/fuzz.mk
