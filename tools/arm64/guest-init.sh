#!/bin/busybox sh
# PID 1 of the arm64-check guest (arm64-check.sh packs this file as /init of the per-run payload
# cpio, appended to the cached Debian arm64 base image; see README.md beside this file).
#
# It mounts the kernel file systems, proves where it runs (uname -m, page size, java -version),
# runs `tether-launcher.jar demo` and the selected JUnit classes, reports every result on the
# serial console as a line starting with "GUEST-", and powers the machine off. The host reads
# nothing but those lines and the demo's bundle table; everything else is for the human reading
# the log.
#
# The rootfs is an extract-only Debian tree (no maintainer scripts ran), so this script calls
# busybox applets through a private applet directory appended to PATH (Debian's binaries win
# where both exist) and starts java by its full path (no alternatives symlink is guaranteed).
# No `set -e`: PID 1 must reach the power-off whatever fails; a PID 1 that exits panics the
# kernel, and `panic=-1 -no-reboot` then ends QEMU (the host reports "no GUEST-EXIT").

bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
# Only devtmpfs is sure to have /dev/console (the initramfs may not); reopen stdio on it.
exec </dev/console >/dev/console 2>&1
$bb mkdir -p /dev/pts /dev/shm /run /tmp /.bb
$bb mount -t devpts devpts /dev/pts
$bb mount -t tmpfs -o mode=1777 tmpfs /dev/shm
$bb chmod 1777 /tmp
$bb --install -s /.bb
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/.bb
export HOME=/root LANG=C.UTF-8 TERM=dumb

# shellcheck disable=SC1091 # run.env is written by the host, per run
# run.env (written by the host): JAVA, JAVA_OPTS, RUN_DEMO, RUN_TESTS, TEST_CP, TEST_SELECT.
. /tether/run.env

say() {
    echo "GUEST-$*"
}
uptime_s() {
    cut -d' ' -f1 /proc/uptime
}

say "INFO boot-uptime=$(uptime_s)s"
say "INFO uname-m=$(uname -m)"
say "INFO uname-a=$(uname -a)"
say "INFO pagesize=$(getconf PAGESIZE 2>/dev/null || echo unknown)"
say "INFO nproc=$(nproc) memtotal=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2-)"
say "INFO ptrace_scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo absent)"
say "INFO seccomp-actions=$(cat /proc/sys/kernel/seccomp/actions_avail 2>/dev/null || echo absent)"
jv=$("$JAVA" -version 2>&1 | tr '\n' ' ')
say "INFO java-version=$jv"
say "INFO os.arch=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *os\.arch = //p')"

overall=0

if [ "$RUN_DEMO" = 1 ]; then
    say "DEMO-BEGIN"
    t0=$(uptime_s)
    # shellcheck disable=SC2086 # JAVA_OPTS is a word list on purpose
    (cd /tether/runtime && "$JAVA" $JAVA_OPTS -jar tether-launcher.jar demo)
    rc=$?
    say "DEMO-END rc=$rc started=${t0}s ended=$(uptime_s)s"
    [ "$rc" = 0 ] || overall=1
fi

if [ "$RUN_TESTS" = 1 ]; then
    say "TESTS-BEGIN"
    t0=$(uptime_s)
    # Tee keeps the tree streaming to the console (a hang shows where it hung) and a copy to count
    # from; the JVM's exit status travels through a file because busybox sh has no PIPESTATUS.
    # shellcheck disable=SC2086 # JAVA_OPTS and TEST_SELECT are word lists on purpose
    { "$JAVA" $JAVA_OPTS -jar /tether/test/junit-platform-console-standalone.jar execute \
        --class-path "$TEST_CP" $TEST_SELECT \
        --details=tree --disable-banner --disable-ansi-colors --fail-if-no-tests 2>&1
      echo $? >/tmp/junit.rc; } | tee /tmp/junit.out
    rc=$(cat /tmp/junit.rc 2>/dev/null || echo none)
    # The console launcher's summary lines look like "[        23 tests successful      ]".
    count() {
        sed -n "s/^\[ *\([0-9][0-9]*\) tests $1 *\]\$/\1/p" /tmp/junit.out | tail -n 1
    }
    say "TESTS-END rc=$rc found=$(count found) successful=$(count successful) failed=$(count failed)" \
        "aborted=$(count aborted) skipped=$(count skipped) started=${t0}s ended=$(uptime_s)s"
    [ "$rc" = 0 ] || overall=1
fi

# Anything still alive besides PID 1 after both JVMs exited (kernel threads have an empty cmdline):
# a stub that outlived its JVM would show here. Informational; the tests assert it themselves.
left=""
for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = 1 ] && continue
    cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)
    [ -n "$cmd" ] && left="$left [$p $(cut -d' ' -f3 "$d/stat" 2>/dev/null) $cmd]"
done
say "INFO processes-left=${left:- none}"
say "EXIT rc=$overall uptime=$(uptime_s)s"
sync
poweroff -f
# Not reached unless the power-off failed; exiting PID 1 panics the kernel and QEMU exits.
sleep 5
exit 1
