#!/bin/sh
# Chassis control for OpenIPMI's ipmi_sim in pdud's tests: keeps the simulated server's power in
# the file "power" (1 or 0) of the directory ipmi_sim names as the device, and appends every
# change to "changes" there, so a test can assert what the BMC was told to do. While a file
# "fail" exists there, every call fails with its text (a chassis that cannot be controlled).
#
# Written for pdud after the interface of OpenIPMI's lanserv/ipmi_sim_chassiscontrol, as
# ipmi_lan(5) calls a `chassis_control` program:
#   SCRIPT <device> get [parm ...]         prints "parm:value" per parm
#   SCRIPT <device> set [parm value ...]   prints nothing on success
# where parm is power (1|0), reset (a pulse) or boot (none|pxe|default).
dir=$1
op=$2
if [ -z "$dir" ] || [ -z "$op" ]; then
  echo "usage: $0 <device-directory> get|set ..."
  exit 1
fi
shift 2
# A test makes the chassis fail by writing the complaint to "fail".
if [ -f "$dir/fail" ]; then
  cat "$dir/fail"
  exit 1
fi
case $op in
get)
  for parm in "$@"; do
    case $parm in
    power) echo "power:$(cat "$dir/power" 2>/dev/null || echo 0)" ;;
    boot) echo "boot:default" ;;
    *)
      echo "invalid parameter: $parm"
      exit 1
      ;;
    esac
  done
  ;;
set)
  while [ $# -ge 2 ]; do
    parm=$1
    value=$2
    shift 2
    case $parm in
    power)
      echo "$value" >"$dir/power"
      echo "power $value" >>"$dir/changes"
      ;;
    reset) echo "reset $value" >>"$dir/changes" ;;
    boot) ;;
    *)
      echo "invalid parameter: $parm"
      exit 1
      ;;
    esac
  done
  ;;
*)
  echo "invalid operation: $op"
  exit 1
  ;;
esac
