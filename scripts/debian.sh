# Sourced by the measurement scripts: installs from Debian the packages whose commands
# are missing, as root or through sudo without a password.
#
#   . scripts/debian.sh && install_missing sysbench fio   # command = package
install_missing() {
  local need=() cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null || need+=("$cmd")
  done
  [ ${#need[@]} -gt 0 ] || return 0
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo -n)
  "${sudo[@]}" apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
}
