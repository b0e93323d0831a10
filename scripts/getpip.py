"""Install pip into the running interpreter from PyPI, for venvs made --without-pip.

Debian's python3 ships the venv module without ensurepip (that is the python3-venv
package); this fetches the newest pip wheel from PyPI and runs pip from the wheel to
install itself. Only the standard library is used.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path


def main() -> int:
    with urllib.request.urlopen("https://pypi.org/pypi/pip/json", timeout=60) as resp:
        release = json.load(resp)
    wheel = next(f for f in release["urls"] if f["packagetype"] == "bdist_wheel")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / wheel["filename"]
        with urllib.request.urlopen(wheel["url"], timeout=120) as resp:
            target.write_bytes(resp.read())
        return subprocess.call([sys.executable, str(target / "pip"), "install", "--quiet", str(target)])


if __name__ == "__main__":
    sys.exit(main())
