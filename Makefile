# osemon: one plain Makefile.
#   make                 build build/osemon (light front), build/osemon-probes
#                        and build/osemon-full
#   make check           format check, unit + integration tests, again under
#                        ASan+UBSan, fuzz smoke; ends with "N passed, N failed"
#   make SANITIZE=address,undefined BUILD=build-asan
#   make install PREFIX=/usr/local DESTDIR=
#
# Three binaries from one source tree, so that a plugin run loads only what
# it uses: `osemon` links no library beyond libc, so `osemon check disk`
# under Nagios or munin starts like a monitoring-plugin; network probes run
# in `osemon-probes` (libcurl, openssl, jansson, libmariadb); the collector
# and every other command run in `osemon-full`, which links everything
# (librrd alone pulls in cairo, pango and fontconfig).  Each hands what it
# lacks to the next with the same argv.

CC ?= cc
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
LIBEXECDIR = $(PREFIX)/lib/osemon
MANDIR = $(PREFIX)/share/man
DOCDIR = $(PREFIX)/share/doc/osemon
SANITIZE ?=

PKGS = libcurl openssl jansson librrd libmariadb inih libesmtp-1.0
PROBES_PKGS = libcurl openssl jansson libmariadb

WARN = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
	-Wsign-compare -Werror=implicit-function-declaration -Wformat=2 \
	-Wvla -Wwrite-strings -Wno-format-truncation
OPT ?= -O2 -g
CFLAGS_BASE = -std=c11 $(OPT) $(WARN) -D_GNU_SOURCE -pthread \
	-DLIBEXECDIR='"$(LIBEXECDIR)"' -Isrc -Iprobes -Icollector -Ialerts -Ibackup
ifneq ($(SANITIZE),)
CFLAGS_BASE += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
PROBES_LIBS := $(shell pkg-config --libs $(PROBES_PKGS) 2>/dev/null)

# Probes that need only libc: these run inside the light front.
LIGHT_PROBES = disk memory proc load exec dirsize
# Probes that read the collector's config: these run only in osemon-full.
FULL_ONLY_PROBES = backup

CORE_SRCS = $(wildcard src/*.c)
PROBE_SRCS = $(filter-out probes/probes.c,$(wildcard probes/*.c))
FULL_MODULE_SRCS = $(wildcard collector/*.c alerts/*.c backup/*.c)
LIGHT_SRCS = $(CORE_SRCS) probes/probes.c \
	$(filter $(addprefix probes/,$(addsuffix .c,$(LIGHT_PROBES))),$(PROBE_SRCS))
PROBES_SRCS = $(CORE_SRCS) probes/probes.c backup/b2.c \
	$(filter-out $(addprefix probes/,$(addsuffix .c,$(FULL_ONLY_PROBES))),$(PROBE_SRCS))
FULL_SRCS = $(CORE_SRCS) probes/probes.c $(PROBE_SRCS) $(FULL_MODULE_SRCS)

LIGHT_OBJS = $(patsubst %.c,$(BUILD)/light/%.o,$(LIGHT_SRCS))
PROBES_OBJS = $(patsubst %.c,$(BUILD)/probes/%.o,$(PROBES_SRCS))
FULL_OBJS = $(patsubst %.c,$(BUILD)/full/%.o,$(FULL_SRCS))
LIB_OBJS = $(filter-out $(BUILD)/full/src/main.o,$(FULL_OBJS))

UNIT_SRCS = $(wildcard tests/unit/*_test.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
HELPER_SRCS = $(wildcard tests/helpers/*.c)
HELPER_BINS = $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(HELPER_SRCS))

all: $(BUILD)/osemon $(BUILD)/osemon-probes $(BUILD)/osemon-full \
	$(BUILD)/osemon.1 $(BUILD)/osemon.conf.5

$(BUILD)/osemon: $(LIGHT_OBJS)
	$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $^ -lm

$(BUILD)/osemon-probes: $(PROBES_OBJS)
	$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $^ $(PROBES_LIBS) -lm

$(BUILD)/osemon-full: $(FULL_OBJS)
	$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/light/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -DOSEMON_LIGHT -MMD -MP -c -o $@ $<

$(BUILD)/probes/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) -DOSEMON_PROBES -MMD -MP -c -o $@ $<

$(BUILD)/full/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%_test: tests/unit/%_test.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) -Wno-missing-prototypes \
	    -Wno-missing-declarations -o $@ $< $(LIB_OBJS) \
	    $(shell pkg-config --cflags --libs cmocka) $(PKG_LIBS) -lm $(LDFLAGS)

$(BUILD)/tests/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -o $@ $< $(LDFLAGS)

$(BUILD)/osemon.1: docs/osemon.1
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/osemon.conf.5: docs/osemon.conf.5
	@mkdir -p $(dir $@)
	cp $< $@

tests: all $(UNIT_BINS) $(HELPER_BINS)

# The whole suite: see tests/check.sh.
check:
	sh scripts/setup.sh
	sh tests/check.sh

# One build's suite without the sanitizer pass (quick iteration).
check-quick: tests
	bash tests/run.sh $(BUILD)

format-check:
	sh scripts/format-check.sh

fuzz:
	sh tests/fuzz/build.sh $(BUILD)/fuzz

fuzz-smoke: fuzz
	sh tests/fuzz/smoke.sh $(BUILD)/fuzz

bench-quick: all
	sh bench/run.sh --quick

bench: all
	sh bench/run.sh

analyze:
	sh scripts/analyze.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)
	install -m 755 $(BUILD)/osemon $(DESTDIR)$(BINDIR)/osemon
	install -m 755 $(BUILD)/osemon-probes $(DESTDIR)$(LIBEXECDIR)/osemon-probes
	install -m 755 $(BUILD)/osemon-full $(DESTDIR)$(LIBEXECDIR)/osemon-full
	install -m 644 $(BUILD)/osemon.1 $(DESTDIR)$(MANDIR)/man1/osemon.1
	install -m 644 $(BUILD)/osemon.conf.5 $(DESTDIR)$(MANDIR)/man5/osemon.conf.5
	cp -R contrib $(DESTDIR)$(DOCDIR)/
	cp -R docs $(DESTDIR)$(DOCDIR)/

clean:
	rm -rf build build-asan

.PHONY: all tests check check-quick format-check fuzz fuzz-smoke bench \
	bench-quick analyze install clean

-include $(FULL_OBJS:.o=.d) $(LIGHT_OBJS:.o=.d) $(PROBES_OBJS:.o=.d)
