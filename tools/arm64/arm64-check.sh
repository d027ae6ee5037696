#!/usr/bin/env bash
# arm64-check: run Tether on a real arm64 Linux kernel, under qemu-system-aarch64 (TCG).
#
# What it does (README.md beside this file has the why of each choice):
#   1. installs the host tools it lacks with apt-get (qemu-system-arm, cpio, zstd, and
#      gcc-aarch64-linux-gnu when tests run);
#   2. resolves the guest's Debian arm64 packages (kernel, OpenJDK 17 JRE, busybox-static) through a
#      private apt state under the cache, using the host's own apt sources, and builds the guest
#      (kernel + the whole rootfs as one initramfs) unless the cache already holds one with exactly
#      those package versions;
#   3. packs a per-run payload cpio: guest-init.sh as /init, the launcher runtime and the kernel
#      tests of core and trap (bytecode from the host, JNA carries its aarch64 native library), and the C
#      guests of the MiniLinux contract, cross-compiled on the host (aarch64-linux-gnu-gcc);
#   4. boots `qemu-system-aarch64 -M virt -cpu cortex-a72`, streams the serial console, keeps the
#      full log under target/arm64-check/, and judges the GUEST- lines the guest printed.
# Exit status 0 only if the guest is aarch64, the demo exited 0 with dev.tether.arch.arm64 active,
# and every selected test passed. The whole run is bounded by ARM64_TIMEOUT seconds (default 900).
#
# Usage: tools/arm64/arm64-check.sh [--build] [--tests CLASS,CLASS|--no-tests] [--no-demo]
#                                          [--offline] [--rebuild-guest]
# Environment (all optional):
#   ARM64_TIMEOUT   hard limit for the whole run in seconds (default 900)
#   ARM64_CACHE     guest cache directory (default <repo>/target/arm64-cache)
#   ARM64_OUT       logs directory (default <repo>/target/arm64-check)
#   ARM64_TESTS     default test classes, comma-separated (same as --tests)
#   ARM64_JAVA_OPTS extra JVM options inside the guest
#   ARM64_SMP, ARM64_MEM  guest CPUs (default 2) and memory in MiB (default 2048)
#   ARM64_GUEST_INIT  another /init for the guest (experiments; default guest-init.sh here)
#   ARM64_APT_SOURCES     a deb822 .sources or one-line .list file to take guest packages from
#                         instead of the host's apt sources
set -euo pipefail

# Part of the guest cache key: bump it whenever build_guest() changes what it produces.
readonly RECIPE=2
# The guest's packages (arm64). apt adds their dependencies; Recommends are not installed.
# linux-image-arm64 is the metapackage, so a new kernel ABI is picked up (and changes the key).
# busybox-static, not busybox: it is /init's shell and applets as well as the real program the
# MiniLinux contract runs (a static ELF; the two packages conflict, and one /bin/busybox serves both).
readonly GUEST_PACKAGES="linux-image-arm64 openjdk-17-jre-headless busybox-static libc-bin"
# The core kernel tests: stubs and their teardown, the platform lifecycle, the BPF interpreter
# against the kernel's verdicts (AUDIT_ARCH_AARCH64), the stub policy over every arm64 syscall
# number, and the arm64 trampoline's lockdown (no capabilities; the stub page guarded, and sealed
# where the kernel can), guests switched on ptrace (registers, x7, TinyElf) and the MiniLinux
# end-to-end contract (glibc static and static-PIE guests, faults, granted files, interrupt, FP
# across syscalls, busybox-static against native runs), the stubs' names in ps, and the arm64 ptrace round trip (machine code)
# against the call-by-call path; then the trap platform (bundles/trap, docs/trap.md) with the arm64
# SIGSYS handler: the same guest switch contract and MiniLinux contract on trap, and its own promises
# (every syscall number 0..450 from guest code trapped, jumps into the stub and code pages run nothing,
# the thread pointer through the handler). About 150-350 s of guest time together,
# depending on the host's load (each MiniLinux contract ~20-40 s of it, busybox 5-10 s).
readonly DEFAULT_TESTS="dev.tether.core.StubKernelTest,dev.tether.core.PlatformLifecycleKernelTest,dev.tether.core.BpfKernelDifferentialTest,dev.tether.core.SyscallPolicyKernelTest,dev.tether.core.SubprocessKernelTest,dev.tether.core.StubCapabilitiesKernelTest,dev.tether.core.StubPageKernelTest,dev.tether.core.FailurePathsKernelTest,dev.tether.core.StubPlacementTest,dev.tether.core.GuestSwitchKernelTest,dev.tether.core.TinyGuestKernelTest,dev.tether.core.MiniLinuxPtraceKernelTest,dev.tether.core.StubNamesKernelTest,dev.tether.core.RoundTripKernelTest,dev.tether.core.TrapSwitchKernelTest,dev.tether.core.MiniLinuxTrapKernelTest,dev.tether.core.TrapMechanismKernelTest"
# The modules whose test classes the guest runs (each keeps its own test-classes directory; trap's
# tests live in core's test package to reuse core's test-jar).
readonly TEST_MODULES="bundles/core bundles/trap"
readonly JAVA_IN_GUEST=/usr/lib/jvm/java-17-openjdk-arm64/bin/java
# The cross compiler of the contract's C guests (Debian gcc-aarch64-linux-gnu, with its glibc for
# -static and -static-pie: libc6-dev-arm64-cross); the guest has no gcc, and TCG would make one slow.
readonly CROSS_CC=aarch64-linux-gnu-gcc
# EM_AARCH64 (include/uapi/linux/elf-em.h): e_machine of every arm64 program the guest runs.
readonly EM_AARCH64=183

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SELF_DIR/../.." && pwd)
SELF="$SELF_DIR/$(basename "${BASH_SOURCE[0]}")"
# 900 s: the trap tests take about a quarter of the tests' guest time (51 of 224 s), and at loads above ~20 the run
# without them already came near 600 s (tools/arm64/README.md, Timings).
: "${ARM64_TIMEOUT:=900}"
CACHE=${ARM64_CACHE:-$REPO/target/arm64-cache}
OUT=${ARM64_OUT:-$REPO/target/arm64-check}

say() { echo "arm64-check: $*"; }
die() {
    say "FAILED ($*)"
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "$SELF" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------------------------------------
# Outer mode: run the real work (inner mode) under a hard timeout that signals its whole process
# group (apt, Maven; QEMU runs under its own shorter timeout and the inner run's TERM trap stops
# it too), and still print a final verdict line.
if [[ -z "${ARM64_CHECK_INNER:-}" ]]; then
    for a in "$@"; do
        case $a in -h | --help) usage; exit 0 ;; esac
    done
    [[ "$ARM64_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "ARM64_TIMEOUT must be a positive number of seconds, got '$ARM64_TIMEOUT'"
    export ARM64_CHECK_INNER=1
    export ARM64_CHECK_DEADLINE=$(($(date +%s) + ARM64_TIMEOUT))
    set +e
    timeout -k 10 "$ARM64_TIMEOUT" bash "$SELF" "$@"
    rc=$?
    set -e
    if [[ $rc == 124 || $rc == 137 ]]; then
        sleep 1 # let the killed processes' last words come out before the verdict
        say "error: the run exceeded ARM64_TIMEOUT=${ARM64_TIMEOUT}s and was killed; logs in $OUT"
        say "FAILED (timeout after ${ARM64_TIMEOUT}s)"
        exit 1
    fi
    exit "$rc"
fi

# ---------------------------------------------------------------------------------------------
# Inner mode.

BUILD=0 RUN_DEMO=1 RUN_TESTS=1 OFFLINE=0 REBUILD_GUEST=0
TESTS=${ARM64_TESTS:-$DEFAULT_TESTS}
while [[ $# -gt 0 ]]; do
    case $1 in
        --build) BUILD=1 ;;
        --tests) [[ $# -ge 2 ]] || die "--tests needs a comma-separated list of test classes"; TESTS=$2; shift ;;
        --tests=*) TESTS=${1#--tests=} ;;
        --no-tests) RUN_TESTS=0 ;;
        --no-demo) RUN_DEMO=0 ;;
        --offline) OFFLINE=1 ;;
        --rebuild-guest) REBUILD_GUEST=1 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ $RUN_TESTS == 0 || -n "$TESTS" ]] || die "--tests: empty list of test classes"

START_MS=$(($(date +%s%N) / 1000000))
elapsed() {
    local ms=$(($(date +%s%N) / 1000000 - START_MS))
    printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}
step() { say "[$(elapsed)s] $*"; }
remaining() { echo $((ARM64_CHECK_DEADLINE - $(date +%s))); }

RUN=$(mktemp -d "${TMPDIR:-/tmp}/tether-arm64.XXXXXX")
QEMU_PID=
cleanup() {
    if [[ -n "$QEMU_PID" ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
        kill "$QEMU_PID" 2>/dev/null || true
    fi
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

mkdir -p "$CACHE" "$OUT"
# One run at a time per cache: a second one waits (within its own time limit) instead of sharing
# the guest build, the logs and the host's two cores with a second QEMU.
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
    say "another arm64-check holds $CACHE/.lock; waiting for it"
    flock -w "$(($(remaining) - 60))" 9 || die "another arm64-check kept $CACHE/.lock until too little time was left"
fi
rm -f "$OUT"/*.log "$OUT"/PACKAGES "$OUT"/run.env
LOG=$OUT/serial.log
BUILD_LOG=$OUT/build.log
: >"$BUILD_LOG"

# Runs a command with its output in build.log; on failure shows the log's tail and dies.
logged() {
    local what=$1
    shift
    echo "+ $*" >>"$BUILD_LOG"
    if ! "$@" >>"$BUILD_LOG" 2>&1; then
        tail -n 40 "$BUILD_LOG" | sed 's/^/  | /' >&2
        die "$what failed (full log: $BUILD_LOG)"
    fi
}

# ---------------------------------------------------------------------------------------------
# 1. Host tools.
host_tools() {
    local missing=()
    command -v qemu-system-aarch64 >/dev/null || missing+=(qemu-system-arm)
    command -v cpio >/dev/null || missing+=(cpio)
    command -v zstd >/dev/null || missing+=(zstd)
    [[ $RUN_TESTS == 0 ]] || command -v "$CROSS_CC" >/dev/null || missing+=(gcc-aarch64-linux-gnu)
    if ! command -v dpkg-deb >/dev/null || ! command -v apt-get >/dev/null; then
        die "needs a Debian host (dpkg-deb and apt-get)"
    fi
    [[ ${#missing[@]} == 0 ]] && return 0
    if [[ $(id -u) != 0 ]]; then
        die "missing host packages: ${missing[*]} (install them as root: apt-get install --no-install-recommends ${missing[*]})"
    fi
    echo "arm64-check: installing host packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    logged "apt-get update" apt-get update
    logged "apt-get install ${missing[*]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

# ---------------------------------------------------------------------------------------------
# 2. The guest: resolve package versions (the cache key), build kernel + base initramfs if new.
#
# A private apt (own lists, own empty dpkg status, architecture arm64) over the host's own apt
# sources: no `dpkg --add-architecture` on the host, no mirror named here, and the resolved
# "Inst" lines are exactly what gets downloaded, so the key is the content.
APT_DIR=$CACHE/apt
apt_opts() {
    local opts=(
        -o "APT::Architecture=arm64" -o "APT::Architectures=arm64"
        -o "Dir::State=$APT_DIR/state" -o "Dir::State::status=$APT_DIR/state/status"
        -o "Dir::Cache=$APT_DIR/cache" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
        -o "Dir::Etc::Preferences=$APT_DIR/none" -o "Dir::Etc::PreferencesParts=$APT_DIR/none.d"
        -o "APT::Install-Recommends=false" -o "APT::Install-Suggests=false"
        -o "Acquire::Languages=none"
        -o "Debug::NoLocking=true"
    )
    if [[ -n "${ARM64_APT_SOURCES:-}" ]]; then
        case $ARM64_APT_SOURCES in
            *.sources) opts+=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$APT_DIR/sources.d") ;;
            *) opts+=(-o "Dir::Etc::SourceList=$ARM64_APT_SOURCES" -o "Dir::Etc::SourceParts=$APT_DIR/none.d") ;;
        esac
    fi
    printf '%s\n' "${opts[@]}"
}
guest_apt() {
    local opts
    mapfile -t opts < <(apt_opts)
    apt-get "${opts[@]}" "$@"
}

resolve_guest() {
    mkdir -p "$APT_DIR/state/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/none.d" "$APT_DIR/sources.d"
    touch "$APT_DIR/state/status"
    if [[ -n "${ARM64_APT_SOURCES:-}" && $ARM64_APT_SOURCES == *.sources ]]; then
        cp "$ARM64_APT_SOURCES" "$APT_DIR/sources.d/guest.sources"
    fi
    if [[ $OFFLINE == 0 ]]; then
        if ! guest_apt -q update >>"$BUILD_LOG" 2>&1; then
            [[ -f "$CACHE/current/PACKAGES" ]] ||
                die "apt-get update of the arm64 package lists failed and no guest is cached (see $BUILD_LOG)"
            say "warning: apt-get update failed (see $BUILD_LOG); using the cached guest $(readlink "$CACHE/current")"
            OFFLINE=1
        fi
    fi
    if [[ $OFFLINE == 1 ]]; then
        [[ -f "$CACHE/current/PACKAGES" ]] || die "--offline: no cached guest in $CACHE"
        GUEST=$(readlink -f "$CACHE/current")
        return 0
    fi
    # shellcheck disable=SC2086 # the package list is a word list
    guest_apt -s install $GUEST_PACKAGES >"$RUN/resolve.txt" 2>>"$BUILD_LOG" ||
        die "cannot resolve the guest packages ($GUEST_PACKAGES) for arm64 from the host's apt sources (see $BUILD_LOG)"
    # "Inst libc6 (2.36-9+deb12u10 Debian:12.11/oldstable [arm64])" -> "libc6 2.36-9+deb12u10"
    awk '/^Inst /{ v=$3; sub(/^\(/, "", v); print $2, v }' "$RUN/resolve.txt" | LC_ALL=C sort >"$RUN/versions.txt"
    [[ -s "$RUN/versions.txt" ]] || die "apt resolved no packages for the guest (see $BUILD_LOG)"
    grep -q '^openjdk-17-jre-headless ' "$RUN/versions.txt" || die "the guest package set has no openjdk-17-jre-headless"
    local key
    key=$( { echo "recipe=$RECIPE"; echo "packages=$GUEST_PACKAGES"; cat "$RUN/versions.txt"; } | sha256sum | cut -c1-16)
    GUEST=$CACHE/guest-$key
}

# True when FILE starts with the ELF magic and its e_machine (2 bytes, little-endian, at offset 18 of
# Elf64_Ehdr: include/uapi/linux/elf.h) is EM_AARCH64.
is_arm64_elf() { # is_arm64_elf FILE
    [[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" == '177ELF' ]] &&
        [[ "$(od -An -tu2 -j18 -N2 --endian=little "$1" | tr -d ' ')" == "$EM_AARCH64" ]]
}

build_guest() {
    local tree=$RUN/tree work=$GUEST.partial
    rm -rf "$work" "$tree"
    mkdir -p "$work" "$tree"
    local debs=$APT_DIR/cache/archives
    rm -f "$debs"/*.deb
    # shellcheck disable=SC2086
    logged "downloading the arm64 packages" guest_apt -q -y install --download-only $GUEST_PACKAGES
    # Extract only, like `mmdebstrap --variant=extract`: no maintainer script runs, so no
    # qemu-user/binfmt is needed. What the scripts would have done and the guest needs (a java on
    # the PATH, /etc/passwd for user.home) is done by hand below.
    local n=0 f
    for f in "$debs"/*.deb; do
        dpkg-deb -x "$f" "$tree" || die "dpkg-deb -x $f failed"
        n=$((n + 1))
    done
    [[ $n -gt 0 ]] || die "no .deb was downloaded"
    local vmlinuz
    vmlinuz=$(find "$tree/boot" -maxdepth 1 -name 'vmlinuz-*' -print -quit 2>/dev/null || true)
    [[ -f "$vmlinuz" ]] || die "the kernel package left no /boot/vmlinuz-*"
    cp "$vmlinuz" "$work/vmlinuz"
    [[ -x "$tree$JAVA_IN_GUEST" ]] || die "the JRE left no $JAVA_IN_GUEST"
    [[ -x "$tree/bin/busybox" ]] || die "busybox-static left no /bin/busybox"
    is_arm64_elf "$tree/bin/busybox" || die "/bin/busybox of the guest is not an ELF for EM_AARCH64 ($EM_AARCH64)"
    # Kernel modules are useless here (the whole rootfs is the initramfs: no disk, no 9p, see
    # README), and docs only cost unpack time in the guest.
    rm -rf "${tree:?}"/boot "$tree"/lib/modules "$tree"/usr/lib/modules "$tree"/usr/share/doc \
        "$tree"/usr/share/man "$tree"/usr/share/info "$tree"/usr/share/locale "$tree"/usr/share/lintian
    mkdir -p "$tree"/{proc,sys,dev,tmp,run,root,etc,usr/bin}
    chmod 1777 "$tree/tmp"
    ln -sf "$JAVA_IN_GUEST" "$tree/usr/bin/java"
    echo 'root:x:0:0:root:/root:/bin/sh' >"$tree/etc/passwd"
    echo 'root:x:0:' >"$tree/etc/group"
    echo 'arm64-check' >"$tree/etc/hostname"
    # newc, owned by root, in a stable order; cached compressed, decompressed per run on the host
    # (an uncompressed initrd boots seconds faster under TCG than one the guest must inflate).
    (cd "$tree" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
        zstd -q -3 -T0 -o "$work/base.cpio.zst" || die "packing the guest rootfs failed"
    {
        echo "# arm64-check guest, recipe $RECIPE, built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "# kernel $(basename "$vmlinuz"), requested: $GUEST_PACKAGES"
        cat "$RUN/versions.txt"
    } >"$work/PACKAGES"
    rm -rf "$tree" "$debs"/*.deb
    rm -rf "$GUEST"
    mv "$work" "$GUEST"
    # Only the current guest is worth its 120 MB.
    local old
    for old in "$CACHE"/guest-*; do
        [[ "$old" == "$GUEST" ]] || rm -rf "$old"
    done
}

# ---------------------------------------------------------------------------------------------
# 3. The payload: launcher runtime, core's and trap's test classes and their class path, the JUnit console.
MVN=(mvn -B -q -Dstyle.color=never)

mvn_offline_first() {
    # Offline first (the usual case: everything is in the local Maven repository already, after
    # `mvn verify`); online when that fails (a fresh repository: the JUnit console jar, plugins).
    # From the checkout root, so that its .mvn/maven.config (e.g. -Dmaven.repo.local) applies.
    local what=$1
    shift
    echo "+ mvn -o $*" >>"$BUILD_LOG"
    (cd "$REPO" && "${MVN[@]}" -o "$@") >>"$BUILD_LOG" 2>&1 && return 0
    echo "+ (offline failed) mvn $*" >>"$BUILD_LOG"
    (cd "$REPO" && "${MVN[@]}" "$@") >>"$BUILD_LOG" 2>&1 && return 0
    tail -n 40 "$BUILD_LOG" | sed 's/^/  | /' >&2
    die "$what failed (full log: $BUILD_LOG)"
}

junit_console_jar() {
    # The platform version that goes with the parent POM's junit-bom: 5.x.y -> 1.x.y (JUnit 6
    # numbers both alike).
    local jv pv
    jv=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' "$REPO/pom.xml" | head -n 1)
    [[ -n "$jv" ]] || die "no <junit.version> property in $REPO/pom.xml"
    if [[ $jv == 5.* ]]; then pv=1.${jv#5.}; else pv=$jv; fi
    JUNIT_JAR=$CACHE/junit/junit-platform-console-standalone-$pv.jar
    [[ -f "$JUNIT_JAR" ]] && return 0
    mvn_offline_first "fetching junit-platform-console-standalone $pv" -N dependency:copy \
        -Dartifact="org.junit.platform:junit-platform-console-standalone:$pv" -DoutputDirectory="$CACHE/junit"
    [[ -f "$JUNIT_JAR" ]] || die "dependency:copy did not produce $JUNIT_JAR"
}

# Compiles the TEST_MODULES and their tests and writes the union of their test class paths to DEST,
# all inside the reactor (-am): Tether's own modules are their target/classes (and, for test-jars,
# target/test-classes) directories, compiled by this same Maven call, so nothing has to be installed
# in the local Maven repository (a fresh machine has none of dev.tether.* there), and the tests run
# against this checkout's code, never a stale SNAPSHOT. A Maven start costs ~10-30 s on a busy host,
# so the answer is kept, keyed by the POMs that decide it and the module list, and reused while every
# entry still exists, every module's classes are built, and --build was not given.
test_classpath() { # test_classpath DEST
    local dest=$1 key saved=$CACHE/tests.classpath m built=1 pl=""
    for m in $TEST_MODULES; do
        [[ -d "$REPO/$m/target/test-classes/dev" && -d "$REPO/$m/target/classes/dev" ]] || built=0
        pl+=${pl:+,}$m
    done
    key=$( { echo "reactor $TEST_MODULES"; find "$REPO" \( -name target -o -name .git \) -prune -o -name pom.xml -print |
        LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-16)
    if [[ $BUILD == 0 && $built == 1 && -f "$saved" && $(head -n 1 "$saved") == "key=$key" ]]; then
        local e ok=1
        while IFS= read -r -d: e || [[ -n "$e" ]]; do
            e=${e%$'\n'}
            [[ -z "$e" || -e "$e" ]] || ok=0
        done < <(tail -n +2 "$saved")
        if [[ $ok == 1 ]]; then
            tail -n +2 "$saved" >"$dest"
            return 0
        fi
    fi
    # The relative outputFile is each module's own (Maven resolves it against the module's basedir).
    step "compiling $pl and their tests in the reactor: mvn -pl $pl -am test-compile dependency:build-classpath"
    for m in $TEST_MODULES; do rm -f "$REPO/$m/target/arm64-check.classpath"; done
    mvn_offline_first "compiling $pl and resolving their test class paths" -pl "$pl" -am \
        test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/arm64-check.classpath
    local all=""
    for m in $TEST_MODULES; do
        [[ -s "$REPO/$m/target/arm64-check.classpath" ]] || die "Maven wrote no $REPO/$m/target/arm64-check.classpath"
        all+=$(tr -d '\n' <"$REPO/$m/target/arm64-check.classpath"):
    done
    # one entry once, in first-seen order
    tr ':' '\n' <<<"$all" | awk 'NF && !seen[$0]++' | paste -sd: >"$dest"
    { echo "key=$key"; cat "$dest"; } >"$saved"
}

# Warns when a source that went into WHAT is newer than REFERENCE-FILE (like ./tether's rule);
# the remaining arguments are find -path patterns of those sources (pom.xml files always count).
warn_stale() { # warn_stale WHAT REFERENCE-FILE PATTERN...
    local what=$1 ref=$2 expr=(-name pom.xml) n
    shift 2
    for n in "$@"; do expr+=(-o -path "$REPO/$n"); done
    n=$(find "$REPO" \( -name target -o -name .git \) -prune -o -type f \( "${expr[@]}" \) -newer "$ref" -print 2>/dev/null | head -n 1)
    [[ -z "$n" ]] || say "warning: $what is older than ${n#"$REPO"/}; testing it as built (--build rebuilds it)"
}

# The MiniLinux contract's C guests (dev.tether.guest.kernel.e2e.GuestPrograms, in kernel's test
# classes), cross-compiled for aarch64 into DIR by that class's main, on the host's JVM: the guest has
# no gcc. Each one is kept with its source and flags, and the test in the guest
# (-Dtether.guest.prebuilt) refuses a program whose source or flags are not its own.
build_c_guests() { # build_c_guests CLASSPATH-FILE DIR
    local cp dir=$2 f n=0 java=${JAVA_HOME:+$JAVA_HOME/bin/}java
    cp=$(tr -d '\n' <"$1")
    command -v "$java" >/dev/null || die "no $java on the host to run GuestPrograms"
    step "cross-compiling the MiniLinux contract's C guests ($CROSS_CC)"
    logged "cross-compiling the C guests with $CROSS_CC" "$java" -cp "$cp" dev.tether.guest.kernel.e2e.GuestPrograms "$dir" "$CROSS_CC"
    for f in "$dir"/*; do
        case $f in *.c | *.flags) continue ;; esac
        is_arm64_elf "$f" || die "$CROSS_CC built $f, which is not an ELF for EM_AARCH64"
        n=$((n + 1))
    done
    [[ $n -gt 0 ]] || die "GuestPrograms built nothing into $dir"
}

build_payload() {
    local runtime=$REPO/launcher/target/runtime
    local p=$RUN/payload
    mkdir -p "$p/tether/test/lib"
    if [[ $RUN_DEMO == 1 ]]; then
        if [[ $BUILD == 1 || ! -f "$runtime/tether-launcher.jar" ]]; then
            step "building the launcher runtime: mvn -pl launcher -am package -DskipTests"
            mvn_offline_first "building the launcher runtime" -pl launcher -am package -DskipTests
        fi
        [[ -f "$runtime/tether-launcher.jar" && -d "$runtime/bundles" ]] || die "no launcher runtime in $runtime"
        warn_stale "launcher/target/runtime" "$runtime/tether-launcher.jar" '*/src/main/*'
        grep -q . < <(ls "$runtime"/bundles/dev.tether.arch.arm64*.jar 2>/dev/null) ||
            die "$runtime/bundles has no dev.tether.arch.arm64 bundle"
        mkdir -p "$p/tether/runtime"
        # Everything but what a host run of the launcher left behind.
        local e
        for e in "$runtime"/*; do
            case ${e##*/} in felix-cache* | jna-tmp | test-tmp) continue ;; esac
            cp -r "$e" "$p/tether/runtime/"
        done
    fi
    local cp_guest="" selects=""
    if [[ $RUN_TESTS == 1 ]]; then
        test_classpath "$RUN/tests.cp"
        local m first
        for m in $TEST_MODULES; do
            [[ -d "$REPO/$m/target/test-classes" ]] || die "no $REPO/$m/target/test-classes"
            first=$(find "$REPO/$m/target/test-classes" -name '*.class' -print -quit)
            [[ -z "$first" ]] || warn_stale "$m/target/test-classes" "$first" \
                'bundles/*/src/main/*' 'arch-*/src/main/*' "$m/src/test/*"
        done
        junit_console_jar
        cp "$JUNIT_JAR" "$p/tether/test/junit-platform-console-standalone.jar"
        # each module's own classes and tests first (the class path Maven wrote lists only their dependencies)
        local name
        for m in $TEST_MODULES; do
            name=${m##*/}
            cp -r "$REPO/$m/target/test-classes" "$p/tether/test/$name-test-classes"
            cp -r "$REPO/$m/target/classes" "$p/tether/test/$name-classes"
            cp_guest+=${cp_guest:+:}/tether/test/$name-test-classes:/tether/test/$name-classes
        done
        local e i=0
        while IFS= read -r -d: e || [[ -n "$e" ]]; do
            e=${e%$'\n'}
            [[ -n "$e" ]] || continue
            # The standalone console jar brings JUnit itself; a second copy of an engine on the class
            # path makes the launcher refuse to start ("engine registered more than once").
            case $e in */org/junit/* | */org/opentest4j/* | */org/apiguardian/*) continue ;; esac
            # a test module's own directories are already there (core's, on trap's class path)
            for m in $TEST_MODULES; do
                [[ $e != "$REPO/$m/target/classes" && $e != "$REPO/$m/target/test-classes" ]] || continue 2
            done
            i=$((i + 1))
            # Tether's own modules are target/classes directories (reactor), the rest jars.
            if [[ -d "$e" ]]; then
                cp -r "$e" "$p/tether/test/lib/$i"
                cp_guest+=":/tether/test/lib/$i"
            else
                cp "$e" "$p/tether/test/lib/$i-$(basename "$e")"
                cp_guest+=":/tether/test/lib/$i-$(basename "$e")"
            fi
        done <"$RUN/tests.cp"
        build_c_guests "$RUN/tests.cp" "$p/tether/guests"
        local c
        IFS=, read -r -a classes <<<"$TESTS"
        for c in "${classes[@]}"; do
            [[ -n "$c" ]] || continue
            local found=0
            for m in $TEST_MODULES; do
                [[ ! -f "$REPO/$m/target/test-classes/${c//.//}.class" ]] || found=1
            done
            [[ $found == 1 ]] || die "no test class $c in the test classes of $TEST_MODULES"
            selects+=" --select-class=$c"
        done
    fi
    cp "${ARM64_GUEST_INIT:-$SELF_DIR/guest-init.sh}" "$p/init"
    chmod 755 "$p/init"
    cat >"$p/tether/run.env" <<EOF
JAVA=$JAVA_IN_GUEST
JAVA_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djna.tmpdir=/tmp/jna -Duser.home=/root -Dtether.guest.prebuilt=/tether/guests --enable-native-access=ALL-UNNAMED ${ARM64_JAVA_OPTS:-}"
RUN_DEMO=$RUN_DEMO
RUN_TESTS=$RUN_TESTS
TEST_CP="$cp_guest"
TEST_SELECT="${selects# }"
EOF
    cp "$p/tether/run.env" "$OUT/run.env"
    (cd "$p" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) >"$RUN/payload.cpio" ||
        die "packing the payload failed"
}

# ---------------------------------------------------------------------------------------------
# 4. Boot, stream, judge.
boot_guest() {
    local initrd=$RUN/initrd
    zstd -q -dc "$GUEST/base.cpio.zst" >"$initrd" || die "cannot decompress $GUEST/base.cpio.zst"
    # The kernel unpacks concatenated newc archives in order: the payload adds /init and /tether.
    cat "$RUN/payload.cpio" >>"$initrd"
    local budget
    budget=$(($(remaining) - 15))
    [[ $budget -gt 30 ]] || die "only ${budget}s of ARM64_TIMEOUT left to boot the guest"
    : >"$LOG"
    step "booting the arm64 guest (qemu-system-aarch64 -M virt -cpu cortex-a72, up to ${budget}s)"
    # cortex-a72, not max: max emulates pointer authentication and boots several times slower.
    # No disk, no network: all input is in the initrd, all output on the serial console.
    timeout -k 5 "$budget" qemu-system-aarch64 -M virt -cpu cortex-a72 -smp "${ARM64_SMP:-2}" -m "${ARM64_MEM:-2048}" \
        -nodefaults -display none -monitor none -no-reboot -serial "file:$LOG" \
        -kernel "$GUEST/vmlinuz" -initrd "$initrd" \
        -append "console=ttyAMA0 rdinit=/init panic=-1 quiet loglevel=4" </dev/null >>"$BUILD_LOG" 2>&1 &
    QEMU_PID=$!
    # Stream the console while the guest runs (a CI log then shows where a hang happened).
    tail -n +1 -F --pid="$QEMU_PID" "$LOG" 2>/dev/null | tr -d '\r' | sed -u 's/^/  guest| /' &
    local tail_pid=$!
    set +e
    wait "$QEMU_PID"
    QEMU_RC=$?
    set -e
    QEMU_PID=
    wait "$tail_pid" 2>/dev/null || true
    rm -f "$initrd"
}

# Value of key=VALUE in the last GUEST-<tag> line of the log.
field() {
    sed -n "s/^GUEST-$1 \(.* \)\{0,1\}$2=\([^ ]*\).*/\2/p" "$OUT/console.log" | tail -n 1
}
# The rest of the last "GUEST-INFO key=..." line.
info() {
    sed -n "s/^GUEST-INFO $1=//p" "$OUT/console.log" | tail -n 1
}

judge() {
    tr -d '\r' <"$LOG" >"$OUT/console.log"
    local problems=() checks=0
    check() { # check NAME DETAIL COMMAND...: one verdict line; COMMAND's status decides
        local name=$1 detail=$2
        shift 2
        if "$@"; then
            checks=$((checks + 1))
            say "  ok    $name${detail:+: $detail}"
        else
            problems+=("$name")
            say "  FAIL  $name${detail:+: $detail}"
        fi
    }
    local exit_rc machine page
    exit_rc=$(field EXIT rc)
    machine=$(info uname-m)
    page=$(info pagesize)
    say "summary (console log: $OUT/console.log):"
    say "  guest: $(info uname-a)"
    say "  guest: page size ${page:-?}; $(info java-version | sed 's/ *$//')"
    local ended="GUEST-EXIT rc=$exit_rc"
    if [[ -z $exit_rc ]]; then
        ended="no GUEST-EXIT line; qemu exit status $QEMU_RC"
        [[ $QEMU_RC != 124 ]] || ended+=" (killed by the time limit; the console log shows where it stood)"
    fi
    check "guest ran to the end" "$ended" test -n "$exit_rc"
    check "guest machine is aarch64" "uname -m = ${machine:-?}, java os.arch = $(info os.arch)" test "$machine" = aarch64
    if [[ $RUN_DEMO == 1 ]]; then
        local demo_rc demo_out arm amd services
        demo_rc=$(field DEMO-END rc)
        demo_out=$(sed -n '/^GUEST-DEMO-BEGIN/,/^GUEST-DEMO-END/p' "$OUT/console.log")
        # The bundle table: "  dev.tether.arch.arm64  0.1.0.SNAPSHOT   ACTIVE".
        arm=$(grep -m1 -E '^ +dev\.tether\.arch\.arm64 ' <<<"$demo_out" | tr -s ' ' || true)
        amd=$(grep -m1 -E '^ +dev\.tether\.arch\.amd64 ' <<<"$demo_out" | tr -s ' ' || true)
        # The service list: "  arm64  dev.tether.spi.StubProgram   from dev.tether.arch.arm64".
        services=$(grep -cE '^ +arm64 .* from dev\.tether\.arch\.arm64$' <<<"$demo_out" || true)
        check "tether demo exits 0" "rc=${demo_rc:-none}" test "${demo_rc:-none}" = 0
        check "demo: dev.tether.arch.arm64 resolves and starts" "${arm# }" grep -q ' ACTIVE' <<<"$arm"
        # shellcheck disable=SC2016 # evaluated inside check(), where $amd is visible
        check "demo: dev.tether.arch.amd64 does not" "${amd# }" eval '[[ -n $amd && $amd != *" ACTIVE"* ]]'
        check "demo: arm64 arch services registered" "$services" test "${services:-0}" -gt 0
        # The demo's own verdict lines (tether:demo marks each fact it checked "ok").
        grep -E '^(Tether demo on|Gogo:)|  ok( |$)|FAIL|ERROR|[Ee]xception' <<<"$demo_out" |
            sed 's/^/arm64-check:   demo| /' || true
    fi
    if [[ $RUN_TESTS == 1 ]]; then
        local rc found ok failed aborted skipped
        rc=$(field TESTS-END rc) found=$(field TESTS-END found) ok=$(field TESTS-END successful)
        failed=$(field TESTS-END failed) aborted=$(field TESTS-END aborted) skipped=$(field TESTS-END skipped)
        say "  junit: ${TESTS//,/ }"
        say "  junit: found ${found:-?}, successful ${ok:-?}, failed ${failed:-?}, aborted ${aborted:-?}, skipped ${skipped:-?} (console launcher exit ${rc:-none})"
        if [[ $rc == 0 && -n $found && $found -gt 0 && $ok == "$found" ]]; then
            checks=$((checks + ok))
            say "  ok    kernel tests in the guest: all $ok succeeded"
        else
            problems+=("kernel tests")
            say "  FAIL  kernel tests in the guest: ${ok:-0} of ${found:-?} succeeded"
            # The failing tests' lines from the tree (JUnit marks them with a cross).
            grep -E '✘' "$OUT/console.log" | head -n 20 | sed 's/^/arm64-check:         /' || true
        fi
        # The MiniLinux contract times itself and its busybox-static part on each platform (ptrace, trap):
        # their share of the budget.
        local t
        while IFS= read -r t; do
            say "  time: $t"
        done < <(grep -oE '[A-Za-z]*: the MiniLinux contract took [0-9.]* s|busybox: [0-9]* commands .* in [0-9.]* s' "$OUT/console.log" || true)
    fi
    cp "$GUEST/PACKAGES" "$OUT/PACKAGES"
    say "  guest packages: $(grep -vc '^#' "$GUEST/PACKAGES") ($OUT/PACKAGES), among them $(grep -E '^(linux-image-[0-9][^ ]*|openjdk-17-jre-headless) ' "$GUEST/PACKAGES" | tr '\n' ' ')"
    say "  time: $(elapsed)s in all"
    if [[ ${#problems[@]} == 0 ]]; then
        say "OK (aarch64 guest, $checks checks)"
        return 0
    fi
    local list
    list=$(printf '%s; ' "${problems[@]}")
    say "FAILED (aarch64 guest, ${#problems[@]} failed: ${list%; })"
    return 1
}

# ---------------------------------------------------------------------------------------------
step "host tools"
host_tools
step "resolving the arm64 guest packages"
resolve_guest
if [[ $REBUILD_GUEST == 1 || ! -f "$GUEST/PACKAGES" ]]; then
    [[ $OFFLINE == 0 ]] || die "--offline and --rebuild-guest do not go together"
    step "building the guest $(basename "$GUEST") (kernel + rootfs from Debian arm64 packages)"
    build_guest
else
    step "cached guest $(basename "$GUEST")"
fi
ln -sfn "$(basename "$GUEST")" "$CACHE/current"
step "payload"
build_payload
boot_guest
step "guest finished (qemu exit status $QEMU_RC)"
judge
