#!/usr/bin/python3
# A MIB subtree kept in a JSON file, served to Net-SNMP's snmpd through its `pass` and
# `pass_persist` directives (snmpd.conf(5)). Written for pdud's tests; no upstream origin.
#
#   pass         .1.3.6.1.4.1.534 /usr/bin/python3 snmp_pass.py STATE.json   (-g/-n/-s per call)
#   pass_persist .1.3.6.1.4.1.534 /usr/bin/python3 snmp_pass.py STATE.json   (lines on stdin)
#
# STATE.json is {"objects": {"1.3.6...": ["integer", 0], ...},
#                "writable": {"1.3.6...": {"VALUE": {"1.3.6...": NEW, ...}, ...}, ...}}:
# every object with its type and value, and for each writable object the values it takes and
# what a SET of each changes (the outlet's state and meter columns). The file is read for every
# request and written after every SET, so it always holds the outlets' state and a test can read
# it. A SET of a value not listed is wrong-value; of an object not writable, not-writable.
import json
import os
import sys


def key(oid):
    return tuple(int(arc) for arc in oid.strip(".").split(".") if arc != "")


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, state):
    with open(path + ".new", "w") as f:
        json.dump(state, f, indent=1, sort_keys=True)
    # Atomic: a reader never sees half a file.
    os.replace(path + ".new", path)


def answer(oid, entry):
    kind, value = entry
    return [".%s" % oid.strip("."), kind, str(value)]


def get(state, oid):
    entry = state["objects"].get(oid.strip("."))
    return None if entry is None else answer(oid, entry)


def get_next(state, oid):
    after = key(oid)
    following = sorted((key(o), o) for o in state["objects"] if key(o) > after)
    if not following:
        return None
    found = following[0][1]
    return answer(found, state["objects"][found])


def set_value(path, state, oid, kind, value):
    oid = oid.strip(".")
    if oid not in state["writable"]:
        return "not-writable"
    if kind != "integer":
        return "wrong-type"
    effects = state["writable"][oid].get(str(int(value)))
    if effects is None:
        return "wrong-value"
    for target, new in effects.items():
        state["objects"][target][1] = new
    save(path, state)
    return None


def persist(path):
    lines = iter(sys.stdin.readline, "")
    for line in lines:
        command = line.strip()
        if command == "":
            # snmpd ends a set's value line with an empty one; it expects no answer to it.
            continue
        if command == "PING":
            reply = ["PONG"]
        elif command in ("get", "getnext"):
            oid = next(lines).strip()
            state = load(path)
            found = get(state, oid) if command == "get" else get_next(state, oid)
            reply = found or ["NONE"]
        elif command == "set":
            oid = next(lines).strip()
            kind, _, value = next(lines).strip().partition(" ")
            error = set_value(path, load(path), oid, kind, value)
            reply = [error or "DONE"]
        else:
            reply = ["NONE"]
        sys.stdout.write("\n".join(reply) + "\n")
        sys.stdout.flush()


def once(path, args):
    state = load(path)
    if args[0] == "-g":
        found = get(state, args[1])
    elif args[0] == "-n":
        found = get_next(state, args[1])
    else:
        error = set_value(path, state, args[1], args[2], args[3])
        found = [error] if error else None
    if found:
        sys.stdout.write("\n".join(found) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 2:
        once(sys.argv[1], sys.argv[2:])
    else:
        persist(sys.argv[1])
