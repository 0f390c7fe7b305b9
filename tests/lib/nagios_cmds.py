#!/usr/bin/python3
"""Expand Nagios service check commands the way Nagios 4 does.

usage: nagios_cmds.py OSEMON HOSTADDRESS FILE.cfg...

Reads every `define command` and `define service` (templates resolved
through `use`, only as deep as check_command and host_name need) and
prints one line per registered service: DESCRIPTION<TAB>COMMAND_NAME<TAB>
command line with $ARGn$, $HOSTADDRESS$, $HOSTNAME$, $SERVICEDESC$,
$LASTSERVICECHECK$ (as 0) and $USER1$ expanded,
"/usr/bin/osemon" replaced by OSEMON.  A last line "#commands NAME..."
lists every defined command.
"""
import re
import sys


def blocks(text):
    text = re.sub(r"(?m)^\s*[#;].*$", "", text)
    for m in re.finditer(r"define\s+(\w+)\s*\{(.*?)\}", text, re.S):
        attrs = {}
        for line in m.group(2).splitlines():
            line = re.split(r"\s;", line, maxsplit=1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 1)
            attrs[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
        yield m.group(1), attrs


def main():
    osemon, address = sys.argv[1], sys.argv[2]
    commands, services, templates, hosts = {}, [], {}, {}
    for path in sys.argv[3:]:
        with open(path, encoding="utf-8") as f:
            for kind, a in blocks(f.read()):
                if kind == "command":
                    commands[a["command_name"]] = a["command_line"]
                elif kind == "service":
                    if "name" in a:
                        templates[a["name"]] = a
                    if a.get("register") != "0":
                        services.append(a)
                elif kind == "host" and "host_name" in a:
                    hosts[a["host_name"]] = a

    def attr(a, key):
        seen = 0
        while a is not None and seen < 20:
            if key in a:
                return a[key]
            a = templates.get(a.get("use", ""))
            seen += 1
        return None

    for s in services:
        check = attr(s, "check_command")
        host = attr(s, "host_name")
        parts = check.split("!")
        line = commands[parts[0]]
        for i in range(32, 0, -1):
            val = parts[i] if i < len(parts) else ""
            line = line.replace("$ARG%d$" % i, val)
        line = line.replace("$SERVICEDESC$", s["service_description"])
        line = line.replace("$LASTSERVICECHECK$", "0")
        line = line.replace("$HOSTADDRESS$", address)
        line = line.replace("$HOSTNAME$", host or "")
        line = line.replace("$USER1$", "/usr/lib/nagios/plugins")
        line = line.replace("/usr/bin/osemon", osemon)
        print("%s\t%s\t%s" % (s["service_description"], parts[0], line))
    print("#commands " + " ".join(sorted(commands)))


main()
