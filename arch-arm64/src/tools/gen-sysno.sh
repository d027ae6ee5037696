#!/usr/bin/env bash
# Generates src/main/java/dev/tether/arch/arm64/Arm64Sysno.java: the complete aarch64 syscall table
# of the installed kernel headers (Debian linux-libc-dev). Re-run by hand after a header upgrade:
#
#     bash arch-arm64/src/tools/gen-sysno.sh          (from the repository root, or from anywhere)
#
# arm64 has no table of its own: arch/arm64/include/uapi/asm/unistd.h defines a few
# __ARCH_WANT_* switches and includes include/uapi/asm-generic/unistd.h, whose #if sections and
# __NR3264_* aliases (mmap, fcntl, lseek, statfs, newfstatat, ...) decide what a 64-bit arch
# really has. So instead of parsing the header we let the C preprocessor evaluate it exactly as an
# arm64 user-space build does: the same switches, __BITS_PER_LONG = 64, no __SYSCALL_COMPAT, and
# read back every __NR_* macro with `cpp -dM`, resolving the aliases.
#
# When Debian's linux-libc-dev-arm64-cross is installed, the real arm64 header
# (/usr/aarch64-linux-gnu/include/asm/unistd.h) is evaluated too and must give the same table.
#
# Newer than the installed headers: CSV=<libseccomp>/src/syscalls.csv takes the aarch64 column of
# libseccomp's table instead (its first line names the kernel release it was generated from;
# "PNR" = not on this arch). Every syscall of the header evaluation must then appear in it with the
# same number (checked).
#
#     CSV=/path/to/libseccomp/src/syscalls.csv bash arch-arm64/src/tools/gen-sysno.sh
set -euo pipefail

HEADER=${HEADER:-/usr/include/asm-generic/unistd.h}
CROSS_HEADER=/usr/aarch64-linux-gnu/include/asm/unistd.h
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/../main/java/dev/tether/arch/arm64/Arm64Sysno.java"

[ -r "$HEADER" ] || { echo "gen-sysno: $HEADER not found (install the Debian package linux-libc-dev)" >&2; exit 1; }
command -v cpp >/dev/null || { echo "gen-sysno: cpp not found (install the Debian package cpp)" >&2; exit 1; }
pkgver=$(dpkg-query -W -f='${Version}' linux-libc-dev 2>/dev/null || echo unknown)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/asm"
# include/uapi/asm-generic/bitsperlong.h on a 64-bit arch (arm64's asm/bitsperlong.h says 64).
echo '#define __BITS_PER_LONG 64' > "$work/asm/bitsperlong.h"
# The switches of arch/arm64/include/uapi/asm/unistd.h (Linux 5.14 .. 6.10; since 6.11 the same
# table comes from scripts/syscall.tbl with the abis "common,64,renameat,rlimit,memfd_secret").
# Not wanted on arm64: __ARCH_WANT_SYNC_FILE_RANGE2 (arm/ppc only), __ARCH_NOMMU.
cat > "$work/arm64-unistd.h" <<'H'
#define __ARCH_WANT_RENAMEAT
#define __ARCH_WANT_NEW_STAT
#define __ARCH_WANT_SET_GET_RLIMIT
#define __ARCH_WANT_TIME32_SYSCALLS
#define __ARCH_WANT_SYS_CLONE3
#define __ARCH_WANT_MEMFD_SECRET
#include <asm-generic/unistd.h>
H

# Prints name<TAB>number sorted by number for the given wrapper header and include dirs.
evaluate() {
  local wrapper=$1; shift
  cpp -undef -nostdinc -dM "$@" "$wrapper" | awk '
    $1 == "#define" && $2 ~ /^__NR(3264)?_[a-z0-9_]+$/ { value[$2] = $3 }
    END {
      for (m in value) {
        if (m !~ /^__NR_/) continue
        name = substr(m, 6)
        # Not syscalls: the table size and the start of the unused per-arch range 244..259.
        if (name == "syscalls" || name == "arch_specific_syscall") continue
        v = value[m]
        while (v in value) v = value[v]          # __NR_mmap -> __NR3264_mmap -> 222
        if (v !~ /^[0-9]+$/) { print "unresolved " m " = " value[m] > "/dev/stderr"; exit 1 }
        print name "\t" v
      }
    }' | sort -t$'\t' -k2,2n -k1,1
}

table=$(evaluate "$work/arm64-unistd.h" -I "$work" -I "$(dirname "$(dirname "$HEADER")")")
count=$(printf '%s\n' "$table" | wc -l)
[ "$count" -gt 250 ] || { echo "gen-sysno: only $count syscalls evaluated from $HEADER" >&2; exit 1; }
dups=$(printf '%s\n' "$table" | cut -f2 | uniq -d)
[ -z "$dups" ] || { echo "gen-sysno: duplicate numbers: $dups" >&2; exit 1; }

if [ -r "$CROSS_HEADER" ]; then
  cross=$(evaluate "$CROSS_HEADER" -I /usr/aarch64-linux-gnu/include)
  if [ "$cross" != "$table" ]; then
    echo "gen-sysno: $CROSS_HEADER disagrees with the evaluation of $HEADER:" >&2
    diff <(printf '%s\n' "$table") <(printf '%s\n' "$cross") >&2 || true
    exit 1
  fi
  crossver=$(dpkg-query -W -f='${Version}' linux-libc-dev-arm64-cross 2>/dev/null || echo unknown)
  check="Cross-checked: $CROSS_HEADER (linux-libc-dev-arm64-cross $crossver) gives the same table."
else
  check="Not cross-checked ($CROSS_HEADER absent)."
fi

source="$HEADER (Debian linux-libc-dev $pkgver) evaluated with cpp under the switches of
// arch/arm64/include/uapi/asm/unistd.h"
short="$HEADER with the arm64 switches (linux-libc-dev $pkgver)"
if [ -n "${CSV:-}" ]; then
  [ -r "$CSV" ] || { echo "gen-sysno: $CSV not readable" >&2; exit 1; }
  kernel=$(head -n 1 "$CSV" | sed -n 's/^#syscall (\([^)]*\)).*/\1/p')
  [ -n "$kernel" ] || { echo "gen-sysno: $CSV does not start with libseccomp's '#syscall (<kernel>)' header" >&2; exit 1; }
  csvtable=$(awk -F, -v want=aarch64 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) col = i; if (!col) exit 2; next }
      $col ~ /^[0-9]+$/ { print $1 "\t" $col }' "$CSV" | sort -t$'\t' -k2,2n -k1,1)
  missing=$(comm -23 <(printf '%s\n' "$table" | sort) <(printf '%s\n' "$csvtable" | sort))
  [ -z "$missing" ] || { echo "gen-sysno: $CSV lacks or renumbers these syscalls of $HEADER:" >&2; echo "$missing" >&2; exit 1; }
  dups=$(printf '%s\n' "$csvtable" | cut -f2 | uniq -d)
  [ -z "$dups" ] || { echo "gen-sysno: duplicate numbers in $CSV: $dups" >&2; exit 1; }
  table=$csvtable
  count=$(printf '%s\n' "$table" | wc -l)
  source="libseccomp src/syscalls.csv, column aarch64 (kernel $kernel); a superset of
// $HEADER (Debian linux-libc-dev $pkgver) evaluated with cpp under the switches of arch/arm64/include/uapi/asm/unistd.h"
  short="libseccomp src/syscalls.csv, column aarch64 (kernel $kernel); a superset of $HEADER with the arm64 switches (linux-libc-dev $pkgver)"
fi

tmp="$work/out.java"
{
  echo "// Code generated by arch-arm64/src/tools/gen-sysno.sh; DO NOT EDIT."
  echo "// Source: $source, $count syscalls. $check"
  echo "// Command: ${CSV:+CSV=<libseccomp>/src/syscalls.csv }bash arch-arm64/src/tools/gen-sysno.sh"
  echo "package dev.tether.arch.arm64;"
  echo
  echo "/** The aarch64 syscall numbers ({@code __NR_*}), complete, ordered by number. */"
  echo "final class Arm64Sysno {"
  echo "    /** Where this table came from. */"
  echo "    static final String SOURCE = \"$short\";"
  echo
  printf '%s\n' "$table" | awk -F'\t' '{ printf "    static final int SYS_%s = %s;\n", toupper($1), $2 }'
  echo
  echo "    /** Every syscall name, in number order; {@link #NUMBERS} holds the numbers at the same index. */"
  echo "    static final String[] NAMES = {"
  printf '%s\n' "$table" | awk -F'\t' '{ printf "        \"%s\",\n", $1 }'
  echo "    };"
  echo
  echo "    /** The numbers of {@link #NAMES}, ascending. */"
  echo "    static final int[] NUMBERS = {"
  printf '%s\n' "$table" | awk -F'\t' '{ printf "        SYS_%s,\n", toupper($1) }'
  echo "    };"
  echo
  echo "    private Arm64Sysno() {"
  echo "    }"
  echo "}"
} > "$tmp"
mkdir -p "$(dirname "$out")"
mv "$tmp" "$out"
echo "gen-sysno: wrote $count syscalls to $out"
