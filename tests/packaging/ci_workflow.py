#!/usr/bin/env python3
"""Static checks of .github/workflows/ci.yml (no runner needed).

Usage: ci_workflow.py REPO_ROOT

Checks that the workflow runs on push and pull request, and on v* tags; that every action
is pinned by a full commit SHA with its tag in a comment; that the test job installs the
dependencies, builds and runs the README's test command on Debian bookworm; that the
images job builds the images of every daemon of docker-compose.yml (the list taken from
compose itself, so a new daemon needs no edit here) and pushes them only on v* tags, to
vars.REGISTRY/vars.IMAGE_PREFIX with credentials from secrets (password on stdin); that
permissions are read-only; and that no `run:` script expands a `${{ }}` expression
itself (values reach scripts through `env:`). Prints `N passed, M failed`.
"""

import os
import re
import sys

import yaml


def main():
    if len(sys.argv) != 2:
        print("usage: ci_workflow.py REPO_ROOT", file=sys.stderr)
        return 2
    path = os.path.join(sys.argv[1], ".github", "workflows", "ci.yml")
    text = open(path, encoding="utf-8").read()
    wf = yaml.safe_load(text)
    passed = failed = 0

    def check(ok, what, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok    {what}")
        else:
            failed += 1
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))

    on = wf.get("on", wf.get(True)) or {}  # YAML 1.1 reads a bare `on` as true
    check("push" in on and "pull_request" in on, "runs on push and pull_request", str(on))
    tags = ((on.get("push") or {}).get("tags")) or []
    check("v*" in tags, "runs on v* tags", str(tags))
    check(wf.get("permissions") == {"contents": "read"}, "permissions: contents: read",
          str(wf.get("permissions")))

    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", text, re.M)
    check(bool(uses), "uses actions", "none")
    for action, rest in uses:
        check(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action) is not None
              and re.search(r"#\s*v\d+(\.\d+)*", rest) is not None,
              f"{action.split('@')[0]} pinned by full SHA with its tag in a comment",
              action + rest)

    jobs = wf.get("jobs") or {}

    def runs(job):
        return "\n".join(str(s.get("run", "")) for s in (job.get("steps") or []))

    test = jobs.get("test", {})
    container = test.get("container")
    image = container.get("image") if isinstance(container, dict) else container
    check(str(image).startswith("debian:bookworm"), "test job runs on Debian bookworm", str(image))
    check("scripts/install-deps.sh" in runs(test), "test job installs the dependencies")
    check("cmake --build build" in runs(test), "test job builds")
    check("scripts/test.sh" in runs(test), "test job runs the README's test command")

    images = jobs.get("images", {})
    needs = images.get("needs")
    check(needs == "test" or (isinstance(needs, list) and "test" in needs),
          "images job needs the test job", str(needs))
    check(re.search(r"docker compose .*build", runs(images)) is not None,
          "images job builds the images of docker-compose.yml")
    check(re.search(r"docker compose .*config --format json", runs(images)) is not None
          and "select(.value.build != null)" in runs(images),
          "images job lists the daemons from docker-compose.yml (services with a build)")
    check(re.search(r"\bboissipay/(contract|billing|payment|invoice-mailer)\b", text) is None,
          "no daemon image named by hand in the workflow")
    pushes = [s for s in images.get("steps") or [] if "docker push" in str(s.get("run", ""))]
    check(len(pushes) == 1, "one push step", str(len(pushes)))
    for s in pushes:
        check("refs/tags/v" in str(s.get("if", "")), "pushes only on v* tags", str(s.get("if")))
        env = s.get("env") or {}
        values = " ".join(map(str, env.values()))
        check("vars.REGISTRY" in values and "vars.IMAGE_PREFIX" in values,
              "registry named by vars.REGISTRY and vars.IMAGE_PREFIX")
        check(all("secrets." in str(v) for k, v in env.items() if re.search("USER|PASS", k))
              and any("secrets." in str(v) for v in env.values()),
              "registry credentials come from secrets")
        check("--password-stdin" in str(s.get("run")), "docker login reads the password on stdin")

    for name, job in jobs.items():
        for s in job.get("steps") or []:
            if "${{" in str(s.get("run", "")):
                check(False, f"{name}: `run:` expands no ${{{{ }}}} expression",
                      str(s.get("name")))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
