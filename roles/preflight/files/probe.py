"""Read-only host probe of the preflight role.

Run as ``python3 -c <this file's text> <json request>``; prints one JSON
document. It only reads the filesystem and /proc: nothing is changed.
Request: {"paths": [...], "commands": [...], "ports": [...], "own_names": [...],
"own_configs": [...]}. A port holder is this node's own service only when its
name is one of own_names and, when own_configs is given, its command line
names one of those config files: another cluster's ollama-distributed on the
same machine is not ours.
"""
import json
import os
import sys


def disk(paths):
    """Free space of the filesystem of each path's nearest existing ancestor."""
    result = []
    for path in paths:
        checked = os.path.abspath(path)
        while not os.path.exists(checked):
            checked = os.path.dirname(checked)
        stat = os.statvfs(checked)
        result.append({
            "path": path,
            "checked": checked,
            "device": os.stat(checked).st_dev,
            "free_mb": stat.f_bavail * stat.f_frsize // (1024 * 1024),
        })
    return result


def commands(names):
    """Where each command is found on PATH (empty string when missing)."""
    search = os.environ.get("PATH", "").split(os.pathsep)
    search += ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    found = {}
    for name in names:
        found[name] = ""
        for folder in search:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                found[name] = candidate
                break
    return found


def listening_inodes(ports):
    """{port: [socket inode]} of the TCP sockets in LISTEN state on the ports."""
    wanted = set(ports)
    inodes = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as stream:
                lines = stream.readlines()[1:]
        except (IOError, OSError):
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != "0A":
                continue
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if port in wanted:
                inodes.setdefault(port, []).append(fields[9])
    return inodes


def process(pid, own_names, own_configs=()):
    """A process holding a port: its names (executable, comm and argv[0]
    basenames), command line, and whether it is this node's own service."""
    info = {"pid": int(pid), "names": []}
    try:
        info["names"].append(os.path.basename(os.readlink("/proc/%s/exe" % pid)).replace(" (deleted)", ""))
    except (IOError, OSError):
        pass
    try:
        with open("/proc/%s/comm" % pid) as stream:
            info["names"].append(stream.read().strip())
    except (IOError, OSError):
        pass
    argv = []
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as stream:
            argv = stream.read().split(b"\0")
        info["cmdline"] = " ".join(a.decode("utf-8", "replace") for a in argv if a)[:200]
        if argv and argv[0]:
            info["names"].append(os.path.basename(argv[0].decode("utf-8", "replace")))
    except (IOError, OSError):
        info["cmdline"] = ""
    name = info["names"][0] if info["names"] else "?"
    args = [a.decode("utf-8", "replace") for a in argv if a]
    named = bool(set(info["names"]) & set(own_names))
    config = [a.split("=", 1)[-1] for i, a in enumerate(args)
              if a.startswith("--config=") or (i > 0 and args[i - 1] == "--config")]
    info["own"] = named and (not own_configs or bool(set(config) & set(own_configs)))
    info["label"] = "%s (pid %s: %s)" % (name, pid, info["cmdline"] or "?")
    if named and not info["own"]:
        info["label"] += " - another node's service (config %s), not this node's" % (
            ", ".join(config) or "not given")
    return info


def ports(numbers, own_names, own_configs=()):
    """For each port: whether something listens on it, and which processes."""
    inodes = listening_inodes(numbers)
    owners = {}
    wanted = set(inode for found in inodes.values() for inode in found)
    if wanted:
        for pid in (entry for entry in os.listdir("/proc") if entry.isdigit()):
            try:
                fds = os.listdir("/proc/%s/fd" % pid)
            except (IOError, OSError):
                continue
            for fd in fds:
                try:
                    target = os.readlink("/proc/%s/fd/%s" % (pid, fd))
                except (IOError, OSError):
                    continue
                if target.startswith("socket:[") and target[8:-1] in wanted:
                    owners.setdefault(target[8:-1], {})[pid] = True
    result = []
    for port in numbers:
        pids = sorted(set(pid for inode in inodes.get(port, []) for pid in owners.get(inode, {})), key=int)
        result.append({
            "port": port,
            "listening": port in inodes,
            "holders": [process(pid, own_names, own_configs) for pid in pids],
        })
    return result


def main():
    request = json.loads(sys.argv[1])
    print(json.dumps({
        "disk": disk(request.get("paths", [])),
        "commands": commands(request.get("commands", [])),
        "ports": ports([int(port) for port in request.get("ports", [])], request.get("own_names", []),
                       request.get("own_configs", [])),
    }))


main()
