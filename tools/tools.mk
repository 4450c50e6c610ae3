# Demo and test workloads (C/C++), built next to their sources' names in .output/workloads.
WL_C_SRCS   := $(wildcard tools/workloads/*.c)
WL_CXX_SRCS := $(wildcard tools/workloads/*.cc)
WL_BINS     := $(patsubst tools/workloads/%.c,$(OUTPUT)/workloads/%,$(WL_C_SRCS)) \
	       $(patsubst tools/workloads/%.cc,$(OUTPUT)/workloads/%,$(WL_CXX_SRCS))
# Debian's default flags: no frame pointers, so stacks must come from DWARF CFI.
WL_CFLAGS   := -O2 -g -Wall -pthread

$(OUTPUT)/workloads/%: tools/workloads/%.c | $(OUTPUT)
	$(call msg,WL-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(WL_CFLAGS) $< -o $@ -pthread

$(OUTPUT)/workloads/%: tools/workloads/%.cc | $(OUTPUT)
	$(call msg,WL-CXX,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)g++ $(WL_CFLAGS) $< -o $@ -pthread

workloads: $(WL_BINS)
