# SPDX-License-Identifier: GPL-2.0
#
# make            khttps.ko (out of tree, against KDIR) and all user space
# make check      install what is missing, build, run host unit tests, then
#                 the guest suite under QEMU; last line "N passed, N failed, N skipped"
# make check-debug  the guest suite on a KASAN, lockdep and kmemleak kernel
#                 built once from linux-source-6.12 (hours under TCG; not in CI)
# make bench      khttps against nginx, HAProxy and stunnel in one guest run:
#                 bench/results/results.md and results.png (about 40 min under TCG)
# make W=1 / C=1  extra warnings / sparse for the module (passed to Kbuild)
# make install    module (modules_install, depmod), tools, library, man pages,
#                 systemd unit, example config; DESTDIR, PREFIX (/usr/local)
# make dkms-src   the module's sources and dkms.conf in DESTDIR/usr/src
#
# KVER picks the guest kernel (default: scripts/kver, the newest installed
# Debian 6.12 image with matching headers; KVER=6.1 Debian 12's default
# kernel, with a smoke suite); KDIR the headers to build against.

GUEST_KREL := $(shell KVER='$(KVER)' scripts/kver 2>/dev/null)
KDIR ?= /lib/modules/$(GUEST_KREL)/build
B := build

# make 4.3's $(shell) does not see exported variables: set the path inline.
PKG_CONFIG_PATH := $(PKG_CONFIG_PATH)$(if $(PKG_CONFIG_PATH),:)$(CURDIR)/scripts/pkgconfig
PKGCONF := PKG_CONFIG_PATH=$(PKG_CONFIG_PATH) pkg-config
PKGS := libnl-genl-3.0 openssl mbedtls
PKG_CFLAGS := $(shell $(PKGCONF) --cflags $(PKGS) 2>/dev/null)
NL_LIBS := $(shell $(PKGCONF) --libs libnl-genl-3.0 2>/dev/null)
SSL_LIBS := $(shell $(PKGCONF) --libs openssl 2>/dev/null)
MBED_LIBS := $(shell $(PKGCONF) --libs mbedtls 2>/dev/null)

USER_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-Wmissing-prototypes -Wstrict-prototypes -D_GNU_SOURCE -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -DKHTTPS_VERSION='"$(shell cat VERSION)"' \
	-Iinclude/uapi -Iuserspace/common -Iuserspace/lib -Iuserspace/khttpsd $(PKG_CFLAGS)
CFLAGS ?=
LDFLAGS ?=

COMMON_SRC := $(wildcard userspace/common/*.c)
CTL_SRC := $(wildcard userspace/khttpsctl/*.c)
DAEMON_SRC := $(wildcard userspace/khttpsd/*.c)
LIB_SRC := $(wildcard userspace/lib/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
GUEST_SRC := $(wildcard tests/guest/*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PROGS := $(B)/khttpsd $(B)/khttpsctl $(B)/libkhttps.a $(B)/libkhttps.so.0 $(B)/khttps-serve
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))
GUEST_BINS := $(patsubst tests/guest/%.c,$(B)/tests/guest/%,$(GUEST_SRC))
TOOL_BINS := $(patsubst tests/tools/%.c,$(B)/tests/tools/%,$(TOOL_SRC))
FIXTURE_SRC := $(wildcard tests/unit/fixtures/*.c)
FIXTURE_BINS := $(patsubst tests/unit/fixtures/%.c,$(B)/tests/unit-fixtures/%,$(FIXTURE_SRC))

.PHONY: all module userspace tests check check-host check-guest check-debug deps clean help demo bench \
	install install-module install-user dkms-src
all: module userspace

help:
	@sed -n '3,17p' Makefile | sed 's/^# \{0,1\}//'

deps:
	scripts/deps

module:
	@test -n "$(GUEST_KREL)" -o "$(origin KDIR)" != file || { KVER='$(KVER)' scripts/kver; exit 1; }
	@# Kbuild would keep objects built against another kernel's headers.
	@if [ -f khttps.ko ] && [ "$$(modinfo -F vermagic khttps.ko | cut -d' ' -f1)" != "$(KREL)" ]; then \
		echo "module: khttps.ko is for another kernel; rebuilding for $(KREL)"; \
		$(MAKE) -s -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace: pkgcheck $(PROGS)

.PHONY: pkgcheck
pkgcheck:
	@$(PKGCONF) --exists $(PKGS) || { echo "missing build dependencies ($(PKGS)): run scripts/deps" >&2; exit 1; }

tests: userspace $(UNIT_BINS) $(GUEST_BINS) $(TOOL_BINS) $(FIXTURE_BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/lib/%.o: userspace/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

# khttpsctl conns names versions and ciphers as libkhttps does.
$(B)/khttpsctl: $(call obj,$(CTL_SRC) $(COMMON_SRC)) $(B)/libkhttps.a
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS)

# libssl's key-log formatting binds to khttpsd's __sprintf_chk (hexfmt.c).
$(B)/khttpsd: $(call obj,$(DAEMON_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -Wl,--export-dynamic-symbol=__sprintf_chk -o $@ $^ $(NL_LIBS) $(SSL_LIBS) $(MBED_LIBS)

# The example links libkhttps statically so it runs from the build tree.
$(B)/khttps-serve: $(B)/obj/userspace/examples/khttps-serve.o $(B)/libkhttps.a
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread $(SSL_LIBS)

LIB_OBJ := $(patsubst userspace/lib/%.c,$(B)/obj/lib/%.o,$(LIB_SRC))
$(B)/libkhttps.a: $(LIB_OBJ)
	$(AR) rcs $@ $^
$(B)/libkhttps.so.0: $(LIB_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libkhttps.so.0 -o $@ $^

# Unit tests link the user-space objects they test (all but the mains).
UNIT_DAEMON := $(filter %/keys.c %/hexfmt.c %/hello.c %/ident_mbedtls.c %/ident_openssl.c %/certcache.c %/log.c,$(DAEMON_SRC))
UNIT_DEPS := $(call obj,$(COMMON_SRC) $(UNIT_DAEMON)) $(B)/libkhttps.a
$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(UNIT_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS) $(SSL_LIBS) $(MBED_LIBS)
$(B)/tests/unit-fixtures/%: tests/unit/fixtures/%.c tests/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(CFLAGS) -o $@ $<
$(B)/tests/guest/%: $(B)/obj/tests/guest/%.o $(UNIT_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS) $(SSL_LIBS) $(MBED_LIBS)
# Tools the guest tests use (not tests themselves).  mbedcli is the
# non-OpenSSL TLS client: it links mbedTLS and nothing else.
$(B)/tests/tools/mbedcli: $(B)/obj/tests/tools/mbedcli.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(MBED_LIBS)

check:
	scripts/check

demo: all
	scripts/vm --timeout 600 -- scripts/demo

bench:
	bench/run

check-host: tests
	scripts/check --host-only

check-guest: all tests
	scripts/check --guest-only

check-debug:
	scripts/check --debug-kernel

# Installation.  The module goes to the kernel KDIR was configured for (its
# UTS_RELEASE, what uname -r says: Debian's 6.1 headers have the upstream
# version in kernel.release), under updates/; on a server build and install
# against the running kernel: make KDIR=/lib/modules/$$(uname -r)/build install
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/khttps
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
VERSION := $(shell cat VERSION)
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

install: install-module install-user

install-module: module
	@test -n "$(KREL)" || { echo "install: no UTS_RELEASE in $(KDIR)" >&2; exit 1; }
	@# Unsigned: Debian's headers carry no signing key (sign with a MOK, README).
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates \
		CONFIG_MODULE_SIG_ALL= modules_install
	@# Debian's headers have no System.map, so Kbuild skips depmod.  Into
	@# DESTDIR (a package) depmod is the target's job.
	$(if $(DESTDIR),@echo "install: run 'depmod $(KREL)' on the target",depmod $(KREL))

install-user: userspace
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/khttps $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 755 $(B)/khttpsd $(B)/khttpsctl $(DESTDIR)$(SBINDIR)/
	install -m 755 $(B)/khttps-serve $(DESTDIR)$(BINDIR)/
	install -m 644 $(B)/libkhttps.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/libkhttps.so.0 $(DESTDIR)$(LIBDIR)/
	ln -sf libkhttps.so.0 $(DESTDIR)$(LIBDIR)/libkhttps.so
	install -m 644 userspace/lib/libkhttps.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 include/uapi/linux/khttps.h $(DESTDIR)$(INCLUDEDIR)/linux/
	install -m 644 man/libkhttps.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 man/khttps.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/khttpsd.8 man/khttpsctl.8 $(DESTDIR)$(MANDIR)/man8/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/khttpsd.service.in > $(DESTDIR)$(UNITDIR)/khttpsd.service
	install -m 644 dist/khttps.conf.example $(DESTDIR)$(DOCDIR)/
	install -m 644 dist/khttps.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/khttps
	@# An admin's file is never overwritten.
	test -e $(DESTDIR)$(SYSCONFDIR)/khttps/khttps.conf || \
		install -m 644 dist/khttps.conf.example $(DESTDIR)$(SYSCONFDIR)/khttps/khttps.conf
	$(if $(DESTDIR),,ldconfig)

# The module's sources for DKMS, which rebuilds it for each new kernel.
DKMS_DIR = $(DESTDIR)/usr/src/khttps-$(VERSION)
dkms-src:
	install -d $(DKMS_DIR)/src $(DKMS_DIR)/include/uapi/linux
	install -m 644 Kbuild VERSION $(DKMS_DIR)/
	install -m 644 src/*.c src/*.h $(DKMS_DIR)/src/
	install -m 644 include/uapi/linux/khttps.h $(DKMS_DIR)/include/uapi/linux/
	sed 's|@VERSION@|$(VERSION)|g' dist/dkms.conf.in > $(DKMS_DIR)/dkms.conf

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
