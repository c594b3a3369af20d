"""What a newcomer meets in the README's walkthrough, checked against the scripts it
describes (issue: output running into the prompt, an unexplained file, a missing topic):

- every `curl` of a shell block whose JSON answer reaches the terminal ends it with a
  newline (`-w '\\n'`, or its output piped or followed by `echo`);
- the stack table lists every topic scripts/stack.sh creates;
- the mail catcher of the native stack writes only mails (no `ready` file unless the tests
  ask for one with --ready-file).

Usage: readme_check.py ROOT
"""

import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
failed = 0


def check(ok, what, detail=""):
    global failed
    print(f"{'ok  ' if ok else 'FAIL'}  {what}{(': ' + detail) if detail and not ok else ''}")
    failed += not ok


readme = open(f"{ROOT}/README.md", encoding="utf-8").read()
blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
# Join continued lines, then look at each command line that runs curl.
commands = []
for block in blocks:
    joined = re.sub(r"\\\n\s*", " ", block)
    commands += [c for c in joined.split("\n") if re.search(r"(^|[;&|(]\s*)curl\s", c)]
bare = []
for c in commands:
    piped = re.search(r"curl[^|#]*\|", c) is not None
    newline = "-w '\\n'" in c or '-w "\\n"' in c or "; echo" in c or "-o " in c or "-I" in c
    quiet = re.search(r"-o /dev/null|--output /dev/null", c) is not None
    if not (piped or newline or quiet):
        bare.append(c.strip()[:90])
check(not bare, f"every curl of the walkthrough ends its answer with a newline ({len(commands)} curls)",
      "; ".join(bare))

stack = open(f"{ROOT}/scripts/stack.sh", encoding="utf-8").read()
m = re.search(r"^TOPICS=\(([^)]*)\)", stack, re.M)
topics = m.group(1).split() if m else []
row = next((line for line in readme.split("\n") if line.startswith("| Apache Kafka")), "")
missing = [t for t in topics if f"`{t}`" not in row]
check(bool(topics) and not missing, "the stack table lists every topic scripts/stack.sh creates",
      "missing " + ", ".join(missing))

sink = open(f"{ROOT}/tests/support/smtp_sink.py", encoding="utf-8").read()
check("--ready-file" in sink and "--ready-file" not in stack,
      "the native stack's mail catcher writes only mails (the ready file is the tests' own)")

print(f"{'FAILED' if failed else 'passed'}: {failed} of 3 checks failed")
sys.exit(1 if failed else 0)
