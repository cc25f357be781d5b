# Sourced by the integration tests after ../helpers/lib.sh (not a test).
#
# lib.sh's ward_cgroups lists every ward-* cgroup on the machine. On a shared
# host (several users or CI jobs running ward at once) that includes runs in
# progress that are not ours, and expect_no_cgroups fails for them. This
# narrows it to what can be ours: a proposal for lib.sh, kept here until
# lib.sh has it.
#
# A ward-* cgroup is skipped when
#  - it is in the memory hierarchy under another process's memory cgroup
#    (ward creates its cgroups under the caller's own), or its name is;
#  - its name is ward-PID-... and PID is a live ward (a run in progress);
# and it must still exist after those checks (a run that ended meanwhile
# removed it).
ward_cgroups() {
  local own d name pid others
  own=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
  own=/sys/fs/cgroup/memory${own%/}
  others=$(find /sys/fs/cgroup/memory -maxdepth 6 -type d -name 'ward-*' 2>/dev/null |
    grep -v "^$own/" | sed 's|.*/||' | sort -u)
  find /sys/fs/cgroup -maxdepth 6 -type d -name 'ward-*' 2>/dev/null | sort | while read -r d; do
    name=${d##*/}
    if printf '%s\n' "$others" | grep -qxF "$name"; then continue; fi
    if [[ $name =~ ^ward-([0-9]+)- ]]; then
      pid=${BASH_REMATCH[1]}
      case $(readlink "/proc/$pid/exe" 2>/dev/null) in */ward | */ward\ \(deleted\)) continue ;; esac
    fi
    [ -d "$d" ] && echo "$d"
  done
}
