"""The README's curl walkthrough (sections "Try it with curl", "Purchases on billing" and
"A month end"), rewritten to go through the gateway: each daemon's URL
(http://127.0.0.1:8080 ...) becomes the gateway's /api/<daemon> prefix, the key and the
mail folder those of the caller. Used by test_gateway.py; run alone it prints the script:

    walkthrough.py README.md http://127.0.0.1:8000 KEY MAIL_DIR
"""

import re
import sys

SECTIONS = ("## Try it with curl", "## Purchases on billing", "## A month end")
# The native stack's ports (scripts/stack.sh SERVICES) and the gateway prefix of each.
ROUTES = {
    "8080": "/api/contract",
    "8181": "/api/billing",
    "8282": "/api/payment",
    "8383": "/api/invoice-mailer",
}


def sections(readme):
    """The text of the walkthrough's sections, in order."""
    parts = re.split(r"(?m)^(?=## )", readme)
    found = [p for p in parts if p.startswith(SECTIONS)]
    if len(found) != len(SECTIONS):
        raise ValueError(f"README: expected the sections {SECTIONS}, found "
                         f"{[p.splitlines()[0] for p in found]}")
    return found


def script(readme, gateway, key, mail_dir, between=""):
    """The shell script of the walkthrough, through `gateway` (http://host:port); `between`
    is shell run between two sections (a reader's pause: billing catching up)."""
    text = ("\n" + between + "\n").join(
        "\n".join(re.findall(r"```sh\n(.*?)```", sec, re.S)) for sec in sections(readme))
    if "source .stack/dev/secrets.env" not in text:
        raise ValueError("README: the walkthrough no longer sources .stack/dev/secrets.env")
    text = text.replace("source .stack/dev/secrets.env", f"BP_API_KEY='{key}'")
    text = text.replace("ls .stack/dev/mail/", f"ls '{mail_dir}'")
    left = []
    for port, prefix in ROUTES.items():
        text = text.replace(f"http://127.0.0.1:{port}", gateway + prefix)
    left = re.findall(r"127\.0\.0\.1:\d+", text.replace(gateway, ""))
    if left:
        raise ValueError(f"README: the walkthrough calls {sorted(set(left))}, which the "
                         "gateway does not route")
    return "set -u\n" + text


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        print(script(f.read(), *sys.argv[2:5]))
