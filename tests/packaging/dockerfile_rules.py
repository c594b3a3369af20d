#!/usr/bin/env python3
"""Explicit checks of docker/Dockerfile and .dockerignore, without a Docker engine.

Usage: dockerfile_rules.py REPO_ROOT BUILD_DIR

hadolint (packaging.hadolint) lints the Dockerfile in general; these are the project's
own rules:
  - multi-stage; every base image tagged explicitly, none `latest`; all stages on one
    Debian release, the last one `-slim`;
  - the build stage uses the native stack's install script (with BP_DEPS_BUILD_ONLY=1)
    and its CMake build; ARG SERVICE and ARG PORT exist; its PORT check (the `sed` it runs
    on `--print-config`) reads each built daemon's BP_HTTP_PORT;
  - apt-get install with -y and --no-install-recommends, its lists removed in the same RUN;
    no ADD;
  - the runtime stage runs as a non-root USER, EXPOSEs the port, has a HEALTHCHECK on
    /health, and exec-form ENTRYPOINT/CMD (tini as PID 1);
  - every shared library each built daemon needs (readelf NEEDED, BUILD_DIR/services/*)
    comes from a Debian package that the runtime stage installs, or that every Debian
    image has (Essential or `required`, and what those depend on), and the runtime stage
    checks the daemon with ldd (failing the build on a library `not found`);
  - .dockerignore keeps build trees, .stack/, .git and .env out of the context.
Prints one line per check and `N passed, M failed`; exits 1 when a check failed.
"""

import json
import os
import re
import shutil
import subprocess
import sys


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failed += 1
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
        return ok


def instructions(path):
    """[(KEYWORD, arguments)] with continuation lines joined and comments dropped."""
    out, buf = [], ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not buf and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if buf and line.lstrip().startswith("#"):
                continue
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            buf += line
            parts = buf.strip().split(None, 1)
            out.append((parts[0].upper(), parts[1] if len(parts) > 1 else ""))
            buf = ""
    return out


def stages(instrs):
    result = []
    for kw, args in instrs:
        if kw == "FROM":
            result.append({"from": args, "instrs": []})
        elif result:
            result[-1]["instrs"].append((kw, args))
    return result


def image_of(from_args):
    words = [w for w in from_args.split() if not w.startswith("--")]
    return words[0] if words else ""


def exec_form(args):
    try:
        return isinstance(json.loads(args), list)
    except ValueError:
        return False


def needed_libs(binary):
    out = subprocess.run(["readelf", "-d", binary], check=True, capture_output=True,
                         text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def lib_package(soname):
    """Debian package that ships SONAME on this machine, or None."""
    ldc = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in ldc.splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and m.group(1) == soname and ("x86-64" in m.group(2) or "64" in m.group(2)
                                           or "," not in m.group(2)):
            real = os.path.realpath(m.group(3))
            for candidate in (m.group(3), real, real.replace("/usr/lib/", "/lib/", 1),
                              real.replace("/lib/", "/usr/lib/", 1)):
                r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
                if r.returncode == 0:
                    return r.stdout.split(":", 1)[0].strip()
    return None


def debian_base_packages():
    """Packages every Debian image has: the Essential and `required` ones installed here,
    and what they depend on (libc6 is `optional` but coreutils pre-depends on it)."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Essential}\t${Priority}\t${Pre-Depends}, ${Depends}\n"],
        capture_output=True, text=True).stdout
    deps, todo = {}, []
    for line in out.splitlines():
        name, essential, priority, rest = (line.split("\t") + ["", "", ""])[:4]
        name = name.split(":")[0]
        deps[name] = [re.split(r"[\s(:]", d.strip())[0] for d in re.split(r"[,|]", rest)
                      if d.strip()]
        if essential == "yes" or priority == "required":
            todo.append(name)
    base = set()
    while todo:
        pkg = todo.pop()
        if pkg in base:
            continue
        base.add(pkg)
        todo.extend(d for d in deps.get(pkg, []) if d in deps)
    return base


def main():
    if len(sys.argv) != 3:
        print("usage: dockerfile_rules.py REPO_ROOT BUILD_DIR", file=sys.stderr)
        return 2
    root, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    c = Checks()
    st = stages(instructions(os.path.join(root, "docker", "Dockerfile")))

    c.check(len(st) >= 2, "multi-stage build", f"{len(st)} stage(s)")
    releases = set()
    for s in st:
        image = image_of(s["from"])
        name, _, tag = image.partition(":")
        pinned = bool(tag) or "@sha256:" in image
        c.check(pinned and tag != "latest" and not tag.startswith("latest"),
                f"base image {image} has an explicit tag, not latest")
        if name in ("debian", "docker.io/library/debian"):
            releases.add(tag.split("-")[0].split("@")[0])
    c.check(len(releases) == 1, "every stage on one Debian release", str(sorted(releases)))
    final = st[-1] if st else {"from": "", "instrs": []}
    c.check(image_of(final["from"]).endswith("-slim"), "runtime stage on a -slim image",
            image_of(final["from"]))

    all_instrs = [i for s in st for i in s["instrs"]]
    build_runs = " ".join(a for s in st[:-1] for k, a in s["instrs"] if k == "RUN")
    c.check(re.search(r"BP_DEPS_BUILD_ONLY=1\s+scripts/install-deps\.sh", build_runs) is not None,
            "build stage runs scripts/install-deps.sh with BP_DEPS_BUILD_ONLY=1")
    c.check("cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo" in build_runs,
            "build stage configures like the native stack (RelWithDebInfo in build/)")
    c.check(re.search(r'cmake --build build --target "?boissipay-\$\{?SERVICE', build_runs)
            is not None, "build stage builds the target boissipay-$SERVICE")
    args = [a.split("=")[0].strip() for k, a in all_instrs if k == "ARG"]
    c.check("SERVICE" in args and "PORT" in args, "ARG SERVICE and ARG PORT", str(args))
    c.check(not any(k == "ADD" for k, _ in all_instrs), "no ADD (COPY only)")

    for k, a in all_instrs:
        if k == "RUN" and re.search(r"apt-get\s+install", a):
            c.check("--no-install-recommends" in a and re.search(r"\s-y\b", a) is not None,
                    "apt-get install -y --no-install-recommends", a[:80])
            c.check("rm -rf /var/lib/apt/lists" in a,
                    "apt lists removed in the RUN that installs", a[:80])

    fin = final["instrs"]
    users = [a.strip() for k, a in fin if k == "USER"]
    c.check(bool(users) and users[-1].split(":")[0] not in ("root", "0"),
            "runtime stage runs as a non-root USER", str(users))
    c.check(any(k == "EXPOSE" for k, _ in fin), "runtime stage EXPOSEs the port")
    hc = [a for k, a in fin if k == "HEALTHCHECK"]
    c.check(len(hc) == 1 and "/health" in hc[0], "runtime stage HEALTHCHECK on /health", str(hc))
    eps = [a for k, a in fin if k == "ENTRYPOINT"]
    c.check(bool(eps) and "tini" in eps[-1], "ENTRYPOINT starts tini as PID 1", str(eps))
    for k, a in all_instrs:
        if k in ("ENTRYPOINT", "CMD"):
            c.check(exec_form(a), f"{k} in exec form", a)

    final_runs = " ".join(a for k, a in fin if k == "RUN")
    c.check(re.search(r'ldd "?/usr/local/bin/boissipay-\$\{?SERVICE', final_runs) is not None
            and "not found" in final_runs,
            "runtime stage fails the build when ldd finds a library missing")

    runtime_pkgs = set()
    for k, a in fin:
        if k == "RUN":
            for m in re.finditer(r"apt-get\s+install\s+(.*?)(?:&&|;|$)", a):
                runtime_pkgs |= {w for w in m.group(1).split() if not w.startswith("-")}
    c.check(bool(runtime_pkgs), "runtime stage installs packages", "none found")

    daemons = sorted(d for d in os.listdir(os.path.join(root, "services"))
                     if os.path.isfile(os.path.join(root, "services", d, "main.c")))
    have_dpkg = shutil.which("dpkg") and shutil.which("readelf")
    base = debian_base_packages() if have_dpkg else set()
    # The build stage's PORT check: the sed it runs on `boissipay-$SERVICE --print-config`.
    port_sed = re.search(r"--print-config\s*\|\s*sed -n '([^']*)'", build_runs)
    c.check(port_sed is not None, "build stage reads BP_HTTP_PORT from --print-config (sed)")
    for d in daemons:
        binary = os.path.join(build, "services", d, f"boissipay-{d}")
        if not c.check(os.access(binary, os.X_OK), f"{d}: {binary} is built", "missing"):
            continue
        if port_sed is not None:
            conf = subprocess.run([binary, "--print-config"], capture_output=True, text=True,
                                  timeout=30, env={"PATH": "/usr/bin:/bin"}).stdout
            want = re.search(r"^BP_HTTP_PORT=(\d+) ", conf, re.M)
            got = subprocess.run(["sed", "-n", port_sed.group(1)], input=conf,
                                 capture_output=True, text=True).stdout.strip()
            c.check(want is not None and got == want.group(1),
                    f"{d}: the build's PORT check reads its BP_HTTP_PORT "
                    f"({want.group(1) if want else '?'})", f"sed printed {got!r}")
        if not have_dpkg:
            c.check(False, f"{d}: runtime libraries", "dpkg or readelf missing on this machine")
            continue
        for so in needed_libs(binary):
            pkg = lib_package(so)
            if pkg is None:
                c.check(False, f"{d}: {so} comes from a Debian package", "not found with dpkg -S")
                continue
            c.check(pkg in runtime_pkgs or pkg in base,
                    f"{d}: {so} ({pkg}) is installed in the runtime stage",
                    f"add {pkg} to the runtime apt-get install")

    ignore_path = os.path.join(root, ".dockerignore")
    patterns = []
    if os.path.isfile(ignore_path):
        with open(ignore_path, encoding="utf-8") as f:
            patterns = [p.strip().rstrip("/").lstrip("/") for p in f
                        if p.strip() and not p.startswith("#")]
    for want in ("build*", ".stack", ".git", ".env"):
        c.check(want in patterns, f".dockerignore excludes {want}", str(patterns))

    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
