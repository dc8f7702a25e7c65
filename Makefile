# kqueue for Linux: top-level build, test VM and checks.
#
#   make                  kqueue.ko for each target kernel (6.1, 6.12, 7.3), the
#                         shim, the selftests, the demos and the VM's module loader
#   make KVER=<release>   the module for one kernel only (or KDIR=<headers dir>)
#   make check            install dependencies, build, and run scripts/kq-check's
#                         lanes two at a time: the selftests in a VM on every
#                         target kernel (6.1-debug built once per machine), real
#                         clients' suites on epoll and kqueue (make clients
#                         builds them), DKMS and the packages; ends
#                         "N passed, N failed, N skipped"
#   make debug-kernel     build the 6.1-debug kernel (KASAN, lockdep, kmemleak...)
#   make races            the race lane: threaded, stress, lifetime, close and
#                         nesting selftests and the fuzzer (RACES_FUZZ_SECONDS=600)
#                         on the 6.1-kcsan kernel, built once per machine
#                         (scripts/kq-races); fails on any KCSAN report;
#                         not part of check
#   make clean-cache      remove the caches in /var/cache/kqueue-linux (make
#                         check prunes their entries no current key uses)
#   make deb              the Debian packages (kqueue-dkms, libkqueue0,
#                         libkqueue-dev, kqueue-tools) into build/deb/, checked
#                         with lintian (scripts/build-deb, packaging/debian/)
#   make demo             run build/demo/kq-echo-demo in a VM on 6.1
#   make vm-shell CMD=..  any command in the VM (see scripts/kq-vm)
#   make fuzz             random changelists, closes, forks, execs and kqueue
#                         passing in the VM on 6.1-debug (scripts/kq-fuzz;
#                         FUZZ_SECONDS=600, FUZZ_SEED to replay, FUZZ_KERNEL,
#                         FUZZ_ARGS for kq-fuzz itself, FUZZ_GUIDED=1 for
#                         coverage-guided sequences); not part of check
#   make bench            kqueue against epoll/poll in the VM on 6.1 and 6.12:
#                         tables, build/bench/<series>.csv and a plot
#                         (scripts/kq-bench; BENCH_ARGS=--quick for a short run;
#                         with ARCH=arm64 on 7.3, BENCH_SERIES for others)
#
#   make ARCH=arm64       all of the above but the debug kernel for arm64
#                         (or KQ_ARCH=arm64): cross-built into build/arm64/
#                         against Debian's arm64 kernels, the 32-bit programs
#                         for armhf (scripts/kq-arm64-check runs them)
#
# CI=true turns warnings into errors.

TOP		:= $(CURDIR)
# The target architecture: the machine's, or arm64 from amd64 (ARCH=arm64 or
# KQ_ARCH=arm64): cross-built with Debian's cross compilers, which conflict
# with the machine's gcc-multilib, so in a bookworm build root that has them
# (scripts/buildroot bookworm:arm64), the VM's loader against an arm64 sysroot
# of Debian packages (scripts/fetch-sysroot).  On an arm64 machine, natively.
HOST_ARCH	:= $(if $(filter aarch64,$(shell uname -m)),arm64,amd64)
# (ARCH=arm64 wins over a KQ_ARCH inherited from a make above: make check's)
ifneq ($(filter arm64 aarch64,$(ARCH)),)
KQ_ARCH		:= arm64
else
KQ_ARCH		?= $(HOST_ARCH)
endif
export KQ_ARCH
ifeq ($(KQ_ARCH),arm64)
BUILD		:= $(TOP)/build/arm64
SERIES		?= 6.1 6.12 7.3
ifneq ($(HOST_ARCH),arm64)
SYSROOT		:= $(shell scripts/fetch-sysroot)
XRUN		:= $(TOP)/scripts/buildroot bookworm:arm64 --bind $(TOP) --bind $(SYSROOT) --
CC		:= aarch64-linux-gnu-gcc
XARGS		:= CC=$(CC) AR=aarch64-linux-gnu-ar
LOADER_FLAGS	:= -I$(SYSROOT)/usr/include -L$(SYSROOT)/usr/lib/aarch64-linux-gnu \
		   -Wl,-rpath-link,$(SYSROOT)/lib/aarch64-linux-gnu:$(SYSROOT)/usr/lib/aarch64-linux-gnu
endif
M32		:= CC=arm-linux-gnueabihf-gcc AR=arm-linux-gnueabihf-ar
# and armhf with a 64-bit time_t, as Debian 13 builds it (selftests/Makefile: t64)
T64		:= $(M32) CPPFLAGS="-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64"
ARCH_PROGS	:= shim32t64 selftests32t64
else
BUILD		:= $(TOP)/build
SERIES		?= 6.1 6.12 7.3 6.1-debug
M32		:= CC="$(CC) -m32"
endif
KMOD_SRC	?= $(TOP)/kmod
KERNEL_CACHE	?= $(shell scripts/cache-dir kernels)
export KQ_KERNEL_CACHE := $(KERNEL_CACHE)

# Target kernels: one given by KVER or KDIR, else the newest cached of each series.
ifneq ($(KDIR),)
# (Debian's include/config/kernel.release says 6.1.192; uname -r says this:)
KVER		?= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)
endif
ifneq ($(KVER),)
KVERS		:= $(KVER)
else
KVERS		:= $(foreach s,$(SERIES),$(shell KQ_ARCH=$(KQ_ARCH) scripts/kernel-info $s kver 2>/dev/null))
endif
# The 6.1-debug kernel's build tree (scripts/build-debug-kernel), when built;
# likewise 6.1-kcsan's (make races: SERIES=6.1-kcsan, never a default).
ifneq ($(filter 6.1-debug,$(SERIES)),)
DEBUG_KVER	:= $(shell scripts/kernel-info 6.1-debug kver 2>/dev/null)
DEBUG_KDIR	:= $(shell scripts/kernel-info 6.1-debug kdir 2>/dev/null)
endif
ifneq ($(filter 6.1-kcsan,$(SERIES)),)
KCSAN_KVER	:= $(shell scripts/kernel-info 6.1-kcsan kver 2>/dev/null)
KCSAN_KDIR	:= $(shell scripts/kernel-info 6.1-kcsan kdir 2>/dev/null)
endif
# Headers of a kernel: KDIR, else the cache (scripts/fetch-kernel or a debug
# kernel's tree), else installed ones.
kdir = $(or $(KDIR),$(wildcard $(KERNEL_CACHE)/$1/usr/src/linux-headers-$1),$(if $(filter $1,$(DEBUG_KVER)),$(DEBUG_KDIR)),$(if $(filter $1,$(KCSAN_KVER)),$(KCSAN_KDIR)),/lib/modules/$1/build)

NO_WARNINGS	:= $(TOP)/scripts/no-warnings
CFLAGS		?= -O2 -g
CFLAGS		+= -Wall -Wextra
ifeq ($(CI),true)
CFLAGS		+= -Werror
endif

KSFT_HDRS	:= $(BUILD)/kselftest/kselftest.h $(BUILD)/kselftest/kselftest_harness.h
LINUX_SOURCE	:= /usr/src/linux-source-6.1.tar.xz

.PHONY: install uninstall dkms-source deb all modules shim selftests shim32 selftests32 shim32t64 selftests32t64 demo-prog loader kselftest-headers check clients demo vm-shell clean debug-kernel races bench bench-prog fuzz clean-cache
all: modules shim selftests shim32 selftests32 demo-prog loader $(ARCH_PROGS)

# Two kernels build from one source: each gets build/<kver>/kmod-<key>/ with
# links to the sources, and kbuild writes its objects there.  The key is what
# determines the objects besides the sources: the kernel's configuration
# (which names its compiler, CONFIG_CC_VERSION_TEXT) and its symbol versions,
# so that two configurations of one release (KDIR=) do not share objects.
# build/<kver>/kmod links to the directory of the last build; those of other
# keys are removed (their kernel's config changed, or another KDIR was built).
kmod_key = $(shell cat $(call kdir,$1)/.config $(call kdir,$1)/Module.symvers 2>/dev/null | sha256sum | cut -c1-12)
modules: $(KVERS:%=$(BUILD)/%/kmod/kqueue.ko)
ifeq ($(strip $(KVERS)),)
	@echo "No target kernel found: run scripts/install-deps (or give KVER/KDIR)" >&2; exit 1
endif

$(BUILD)/%/kmod/kqueue.ko: KMOD_DIR = $(BUILD)/$*/kmod-$(call kmod_key,$*)
$(BUILD)/%/kmod/kqueue.ko: FORCE
	@mkdir -p $(KMOD_DIR)
	@if [ -d $(BUILD)/$*/kmod ] && [ ! -L $(BUILD)/$*/kmod ]; then rm -rf $(BUILD)/$*/kmod; fi
	@ln -sfn $(notdir $(KMOD_DIR)) $(BUILD)/$*/kmod
	@find $(KMOD_DIR) -maxdepth 1 -type l -delete
	@find $(BUILD)/$* -mindepth 1 -maxdepth 1 -name 'kmod-*' ! -name $(notdir $(KMOD_DIR)) -exec rm -rf {} +
	@ln -sf $(wildcard $(KMOD_SRC)/*.c $(KMOD_SRC)/*.h $(KMOD_SRC)/Kbuild) $(KMOD_DIR)/
	$(NO_WARNINGS) scripts/kbuild $(call kdir,$*) M=$(KMOD_DIR) KQ_TOP=$(TOP) W=1 modules

shim:
	$(NO_WARNINGS) $(XRUN) $(MAKE) -C libkqueue-shim O=$(BUILD)/shim $(XARGS)

selftests: shim kselftest-headers
	$(NO_WARNINGS) $(XRUN) $(MAKE) -C selftests KSFT_INC=$(BUILD)/kselftest SHIM_O=$(BUILD)/shim OUTPUT=$(BUILD)/selftests $(XARGS)

# i386 programs on the 64-bit kernels (gcc-multilib), armhf ones on arm64
# (M32 above): the shim as a second library, and the selftests that cover
# every filter (selftests/Makefile).
shim32:
	$(NO_WARNINGS) $(XRUN) $(MAKE) -C libkqueue-shim O=$(BUILD)/shim32 $(M32)

selftests32: shim32 kselftest-headers
	$(NO_WARNINGS) $(XRUN) $(MAKE) -C selftests m32 KSFT_INC=$(BUILD)/kselftest SHIM_O=$(BUILD)/shim32 OUTPUT=$(BUILD)/selftests32 $(M32)

shim32t64:
	$(NO_WARNINGS) $(XRUN) $(MAKE) -C libkqueue-shim O=$(BUILD)/shim32t64 $(T64)

selftests32t64: shim32t64 kselftest-headers
	$(NO_WARNINGS) $(XRUN) $(MAKE) -C selftests t64 KSFT_INC=$(BUILD)/kselftest SHIM_O=$(BUILD)/shim32t64 OUTPUT=$(BUILD)/selftests32t64 $(T64)

demo-prog: shim
	$(NO_WARNINGS) $(XRUN) $(MAKE) -C demo O=$(BUILD)/demo SHIM_O=$(BUILD)/shim $(XARGS)

loader: $(BUILD)/tools/kq-load
$(BUILD)/tools/kq-load: tools/kq-load.c
	@mkdir -p $(@D)
	$(NO_WARNINGS) $(XRUN) $(CC) $(CFLAGS) $(LOADER_FLAGS) -o $@ $< -lkmod

# The kselftest framework headers come from Debian's kernel source, never from git.
kselftest-headers: $(KSFT_HDRS)
$(KSFT_HDRS) &: $(LINUX_SOURCE)
	@mkdir -p $(BUILD)/kselftest
	tar -xJf $< -C $(BUILD)/kselftest --strip-components=4 --touch \
		$(patsubst %,linux-source-6.1/tools/testing/selftests/%,$(notdir $(KSFT_HDRS)))

# The debug kernel and the clients are built inside scripts/kq-check's lanes,
# where their builds overlap other lanes' VMs; once they are made, kq-check
# prunes the caches' entries that no current key uses (KQ_CACHE_PRUNE: after
# the builds, since a new debug kernel starts from the previous tree).
check:
	scripts/install-deps --arm64
	$(MAKE) all dkms-source
	KQ_CACHE_PRUNE=1 scripts/kq-check $(SERIES)

# Real clients for make check, built against the shim from Debian's source
# packages and cached in /var/cache/kqueue-linux/clients (silent when built).
clients: shim
	scripts/build-libevent
	scripts/build-cpython
	scripts/build-redis
	scripts/build-ev
	scripts/build-twisted

# Cached in /var/cache/kqueue-linux/debug/<key>/; silent when already built.
debug-kernel:
	scripts/build-debug-kernel

# Like check, installs what is missing first (the debug kernel is not needed).
demo:
	scripts/install-deps
	$(MAKE) SERIES="6.1 6.12" all
	scripts/kq-vm --kernel 6.1 -- kq-echo-demo

# The fuzzer (fuzz/): not part of all or check; prints its seed first.
FUZZ_SECONDS	?= 600
FUZZ_KERNEL	?= 6.1-debug
FUZZ_ARGS	?=
fuzz:
	scripts/install-deps
	$(if $(filter 6.1-debug,$(FUZZ_KERNEL)),scripts/build-debug-kernel)
	scripts/kq-fuzz --kernel $(FUZZ_KERNEL) --seconds $(FUZZ_SECONDS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) $(if $(FUZZ_GUIDED),--guided) $(if $(FUZZ_ARGS),-- $(FUZZ_ARGS))

# The race lane (scripts/kq-races): the 6.1-kcsan kernel (cached like
# 6.1-debug), the module for it, the threaded selftests and the fuzzer under
# KCSAN; fails on any KCSAN report.  Not part of check (a second kernel build).
RACES_FUZZ_SECONDS ?= 600
races:
	scripts/install-deps
	scripts/build-debug-kernel --kcsan
	$(MAKE) SERIES=6.1-kcsan modules selftests loader
	scripts/kq-races --fuzz-seconds $(RACES_FUZZ_SECONDS)

# Benchmarks (bench/): not part of all or check; gnuplot comes on demand.
# ARCH=arm64: the program cross-built into build/arm64/bench/, run in
# qemu-system-aarch64 (kq-bench --arch arm64), on 7.3 unless BENCH_SERIES;
# the machine's own build/bench/kq-bench prints the tables.
bench-prog: shim
	$(NO_WARNINGS) $(XRUN) $(MAKE) -C bench O=$(BUILD)/bench SHIM_O=$(BUILD)/shim $(XARGS)

BENCH_SERIES	?= $(if $(filter arm64,$(KQ_ARCH)),7.3,6.1 6.12)
bench:
	scripts/install-deps --bench $(if $(filter arm64,$(KQ_ARCH)),--arm64)
	$(MAKE) SERIES="$(BENCH_SERIES)" modules loader bench-prog
	$(if $(filter arm64,$(KQ_ARCH)),$(MAKE) ARCH= KQ_ARCH=$(HOST_ARCH) bench-prog)
	scripts/kq-bench --arch $(KQ_ARCH) --series "$(BENCH_SERIES)" $(BENCH_ARGS)

vm-shell: all
	scripts/kq-vm --kernel $(firstword $(SERIES)) --share $(TOP) -- $(or $(CMD),sh -c 'uname -a; lsmod')

# On a real machine: the module for the running kernel (or KVER) into its
# updates/ directory, depmod, the udev rule and the boot-time load, then the
# shim, its headers and kqstat (libkqueue-shim's install, PREFIX=/usr/local).
# The system group kqueue is made (not with DESTDIR) for the administrator's
# choice of a 0660 /dev/kqueue (/etc/kqueue/restrict, packaging/60-kqueue.rules);
# uninstall leaves it.  DESTDIR stages it all elsewhere (then depmod works on
# that tree).  The module is not signed: with Secure Boot, sign it with your
# own MOK key.
INSTALL_KVER	= $(or $(KVER),$(shell uname -r))
PREFIX		?= /usr/local
install:
	$(MAKE) KVER=$(INSTALL_KVER) modules shim
	$(MAKE) -C $(call kdir,$(INSTALL_KVER)) M=$(BUILD)/$(INSTALL_KVER)/kmod-$(call kmod_key,$(INSTALL_KVER)) \
		INSTALL_MOD_DIR=updates $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) \
		DEPMOD=true CONFIG_MODULE_SIG_ALL= modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(INSTALL_KVER)
	$(if $(DESTDIR),,getent group kqueue >/dev/null || groupadd --system kqueue)
	install -D -m 644 packaging/60-kqueue.rules $(DESTDIR)/etc/udev/rules.d/60-kqueue.rules
	install -D -m 644 packaging/kqueue.conf $(DESTDIR)/etc/modules-load.d/kqueue.conf
	$(MAKE) -C libkqueue-shim O=$(BUILD)/shim install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# The module's source as DKMS takes it (/usr/src/kqueue-<version>/):
# Kbuild, kmod/, uapi/ and dkms.conf.  scripts/kq-dkms-check builds it with
# dkms for the cached kernels and runs it in the VM.
VERSION		:= $(shell cat VERSION)
DKMS_SRC	:= $(BUILD)/dkms/kqueue-$(VERSION)
dkms-source:
	rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	cp Kbuild VERSION $(DKMS_SRC)/
	cp kmod/*.c kmod/*.h kmod/Kbuild $(DKMS_SRC)/kmod/
	cp uapi/linux/kqueue.h $(DKMS_SRC)/uapi/linux/
	sed 's/@VERSION@/$(VERSION)/' packaging/dkms.conf.in >$(DKMS_SRC)/dkms.conf

# dpkg-buildpackage in a staging copy of the tree, then lintian; make check
# installs the result in a throwaway root and runs it (scripts/kq-deb-check).
deb:
	scripts/build-deb

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates/kqueue.ko \
		$(DESTDIR)/etc/udev/rules.d/60-kqueue.rules \
		$(DESTDIR)/etc/modules-load.d/kqueue.conf
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(INSTALL_KVER)
	$(MAKE) -C libkqueue-shim uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

clean:
	rm -rf $(BUILD)

# /var/cache/kqueue-linux (scripts/cache-dir): kernels, debug kernel, build
# roots, clients; prints what it frees.
clean-cache:
	scripts/kq-cache clean

FORCE:

# A build step that fails on warnings (CI) must not leave its output looking up to date.
.DELETE_ON_ERROR:
