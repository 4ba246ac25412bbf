# ovlmig — see README.md. `make`, `make check`, `make check-asan`,
# `make demo`, `make install`.

CC ?= gcc
BUILD ?= build
PREFIX ?= /usr/local
PKGS := jansson mount libarchive libcurl zlib libdeflate libzstd libcrypto libsodium
# SAN=1: an ASan+UBSan build (make check-asan)
ifeq ($(SAN),1)
OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
OPT := -O2 -g
endif
# Quiet when pkg-config is not installed yet: `make demo` and `make check`
# install it (deps) and build in a sub-make that asks again; a build
# without the libraries stops at pkgcheck with what to run.
PKG_CONFIG := $(shell command -v pkg-config 2>/dev/null)
CFLAGS := -std=gnu11 $(OPT) $(if $(PKG_CONFIG),$(shell pkg-config --cflags $(PKGS) 2>/dev/null)) -Wall -Wextra -Werror -D_GNU_SOURCE \
	  -D_FILE_OFFSET_BITS=64 -pthread -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS := $(OPT) -pthread
LIBS = $(if $(PKG_CONFIG),$(shell pkg-config --libs $(PKGS) 2>/dev/null))

# Each folder is a static library; the programs and the tests link what
# they need, lowest last: lowerfs/ovlmig -> control -> image -> common.
COMMON_SRC := $(wildcard common/*.c)
# the image as a library: no FUSE, no mounts
IMAGE_SRC := $(wildcard image/*.c)
# the client half of the control protocol
CONTROL_SRC := $(wildcard control/*.c)
LOWERFS_LIB_SRC := $(filter-out lowerfs/main.c,$(wildcard lowerfs/*.c))
OVLMIG_LIB_SRC := $(filter-out ovlmig/main.c,$(wildcard ovlmig/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
# fixtures the unit tests share (tests/unit/*.c but test_*.c): one archive
UNIT_LIB_SRC := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
TOOL_SRC := $(wildcard tests/tools/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
lib = $(patsubst %,$(BUILD)/lib/lib%.a,$(1))

BINS := $(BUILD)/lowerfs $(BUILD)/ovlmig
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

.PHONY: FORCE all programs deps pkgcheck check check-asan check-umt check-kernel check-deb deb demo install install-programs clean bench fuzz
all: $(BINS) $(UNIT_BINS) $(TOOL_BINS)

$(BUILD)/obj/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

MEMBERS_common := $(call obj,$(COMMON_SRC))
MEMBERS_image := $(call obj,$(IMAGE_SRC))
MEMBERS_control := $(call obj,$(CONTROL_SRC))
MEMBERS_lowerfs := $(call obj,$(LOWERFS_LIB_SRC))
MEMBERS_ovlmig := $(call obj,$(OVLMIG_LIB_SRC))
MEMBERS_unit := $(call obj,$(UNIT_LIB_SRC))
# An archive depends on its member list too: one that lost a member (a
# file moved to another folder) is made again, never linked stale.
$(BUILD)/lib/lib%.members: FORCE
	@mkdir -p $(dir $@)
	@echo '$(MEMBERS_$*)' | cmp -s - $@ || echo '$(MEMBERS_$*)' >$@
.PRECIOUS: $(BUILD)/lib/lib%.members
# objects reached through the archives' member lists are intermediate to
# make: keep them, or every build compiles the newest files again
.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/lib/lib%.a: $$(MEMBERS_$$*) $(BUILD)/lib/lib%.members
	rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(BUILD)/lowerfs: $(call obj,lowerfs/main.c) $(call lib,lowerfs control image common)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/ovlmig: $(call obj,ovlmig/main.c) $(call lib,ovlmig erofs control image common)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(call lib,unit ovlmig lowerfs erofs control image common)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

# test tools stand alone: they must not share code with what they check
$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $< -lcrypto

# the EROFS writer: its own library, on common/ alone
EROFS_SRC := $(wildcard erofs/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(wildcard tests/helpers/*.c))
all: $(BUILD)/lib/liberofs.a $(HELPER_BINS)

$(BUILD)/lib/liberofs.a: $(call obj,$(EROFS_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/tests/test_erofs_writer: $(call obj,tests/unit/test_erofs_writer.c $(COMMON_SRC)) $(BUILD)/lib/liberofs.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

# test helpers drive the library they exercise (tools stand alone)
$(BUILD)/helpers/%: $(call obj,tests/helpers/%.c $(COMMON_SRC)) $(BUILD)/lib/liberofs.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

deps:
	@scripts/setup-deps.sh

pkgcheck:
	@pkg-config --exists $(PKGS) 2>/dev/null || { \
	  echo "make: the build needs pkg-config and the -dev packages of: $(PKGS);" \
	       "run scripts/setup-deps.sh (make deps) first" >&2; exit 1; }

check: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run

# Every sanitizer report, also from daemons whose stderr is a log file,
# lands in build-asan/sanitizer/: tests/run fails on any of them.
check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 all
	@rm -rf build-asan/sanitizer && mkdir -p build-asan/sanitizer
	@BUILD=build-asan SANITIZER_LOG_DIR=$(CURDIR)/build-asan/sanitizer \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$(CURDIR)/build-asan/sanitizer/asan \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(CURDIR)/build-asan/sanitizer/ubsan \
	  tests/run

# the upstream unionmount-testsuite (not vendored): UNIONMOUNT_TESTSUITE=DIR
check-umt: deps
	@$(MAKE) --no-print-directory all
	@test -n "$(UNIONMOUNT_TESTSUITE)" || { echo "check-umt: set UNIONMOUNT_TESTSUITE" >&2; exit 2; }
	@BUILD=$(BUILD) unionmount-tests/matrix

# our overlayfs patch (xino=nofollow, kernel/) built into a small kernel and
# proven in a qemu guest: unionmount-testsuite over a shut-down XFS lower,
# lowerfs detached under pinned users. Not part of `make check` (see
# kernel/README.md for its run time). Its packages: scripts/kernel/deps.sh.
check-kernel: deps
	@$(MAKE) --no-print-directory all
	@test -n "$(UNIONMOUNT_TESTSUITE)" || { echo "check-kernel: set UNIONMOUNT_TESTSUITE" >&2; exit 2; }
	@BUILD=$(BUILD) scripts/kernel/run.sh

# libFuzzer harnesses (clang), each run FUZZ_SECONDS on a copy of its
# committed seed corpus: tests/fuzz/corpus/NAME
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS = -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread $(if $(PKG_CONFIG),$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
fuzz: deps
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -o build-fuzz/fuzz_hook_input tests/fuzz/fuzz_hook_input.c \
	  ovlmig/hook_input.c $(COMMON_SRC) $(LIBS)
	clang $(FUZZ_CFLAGS) -o build-fuzz/fuzz_control tests/fuzz/fuzz_control.c \
	  $(LOWERFS_LIB_SRC) $(CONTROL_SRC) $(IMAGE_SRC) $(COMMON_SRC) $(LIBS)
	clang $(FUZZ_CFLAGS) -o build-fuzz/fuzz_layer_index tests/fuzz/fuzz_layer_index.c \
	  $(IMAGE_SRC) $(COMMON_SRC) $(LIBS)
	clang $(FUZZ_CFLAGS) -o build-fuzz/fuzz_layer_build tests/fuzz/fuzz_layer_build.c \
	  $(IMAGE_SRC) $(COMMON_SRC) $(LIBS)
	@scripts/fuzz.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/bench/lowerfs.sh

# man pages: their prose (docs/man/PAGE.8.in) and the options the
# program's --help prints from its tables (scripts/man/gen.sh)
MAN_PAGES := $(BUILD)/man/ovlmig.8 $(BUILD)/man/lowerfs.8
all: $(MAN_PAGES)
$(BUILD)/man/%.8: docs/man/%.8.in $(BUILD)/% scripts/man/gen.sh scripts/man/help2roff.awk ovlmig/exit_code.h
	@mkdir -p $(dir $@)
	scripts/man/gen.sh $(BUILD) $* $@

HOOKSDIR ?= /usr/share/containers/oci/hooks.d
UNITDIR ?= /etc/systemd/system

# what is installed, without the tests (debian/rules builds this alone)
programs: $(BINS) $(MAN_PAGES)

install: all install-programs
install-programs: programs
	install -D -m 0755 $(BUILD)/lowerfs $(DESTDIR)$(PREFIX)/bin/lowerfs
	install -D -m 0755 $(BUILD)/ovlmig $(DESTDIR)$(PREFIX)/bin/ovlmig
	@mkdir -p $(DESTDIR)$(HOOKSDIR) $(DESTDIR)$(UNITDIR)
	for f in docs/hooks.d/*.json docs/systemd/ovlmig.service; do \
	  case $$f in *.json) d=$(DESTDIR)$(HOOKSDIR) ;; *) d=$(DESTDIR)$(UNITDIR) ;; esac; \
	  sed 's|/usr/local/|$(PREFIX)/|' $$f >$$d/$$(basename $$f) || exit 1; \
	done
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/man/man8 $(MAN_PAGES)
	install -D -m 0644 docs/ARCHITECTURE.md $(DESTDIR)$(PREFIX)/share/doc/ovlmig/ARCHITECTURE.md
	install -D -m 0644 docs/INTERNALS.md $(DESTDIR)$(PREFIX)/share/doc/ovlmig/INTERNALS.md

# make deb: the Debian package (debian/, dh) into $(BUILD)/deb/, checked
# by lintian. make check-deb (not in make check: slow): build it, install
# it, run the demo from the installed paths, purge, check nothing is left.
deb:
	@scripts/deb/deps.sh
	@BUILD=$(BUILD) scripts/deb/build.sh

check-deb: deps
	@scripts/deb/deps.sh
	@BUILD=$(BUILD) scripts/deb/check.sh

clean:
	rm -rf build build-asan build-fuzz build-deb

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
