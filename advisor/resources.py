"""Where the bundled rule pack and questionnaire are, in any installation.

The repository keeps them at its top level (:data:`PACK_FOLDER`, ``rules/``: the
format-2 pack with its evidence catalogue, and ``questionnaires/``: the layout users
see and copy). The build maps them into the package as ``advisor/_bundled/<folder>``
(``-`` written ``_``; ``package_dir`` in setup.py), so a wheel, ``pip install .`` and
``pipx install .`` carry them, and they are found here with :mod:`importlib.resources`.
An editable install of a checkout imports ``advisor`` from the checkout itself, where
the data sit beside the package instead; that is the second place looked at.

A missing bundled folder is an incomplete installation, never the user's mistake: the
error says so and how to repair it.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

from advisor.errors import DataError, Location

__all__ = ["BUNDLED", "EXTRAS", "PACK_FOLDER", "Bundled", "bundled_dir", "bundled_file", "install_command", "require",
           "require_extra"]

Bundled = Literal["rules", "questionnaires"]

#: The folder of the default rule pack (format 2), at the top of the repository. Everything
#: that reads the pack (commands, docs, tests) goes through this one name.
PACK_FOLDER: Bundled = "rules"

#: The folder inside the installed package that the build maps the data into.
BUNDLED = "_bundled"

#: A file that must exist in each bundled folder (how a complete folder is recognised).
_MARKER: dict[Bundled, str] = {"rules": "pack.yaml", "questionnaires": "default.yaml"}


def _package_dir() -> Path:
    return Path(str(files("advisor")))


def bundled_dir(name: Bundled) -> Path:
    """The folder of the bundled ``name``: in the installed package, else beside an editable checkout.

    Returns the installed location when neither holds it (:func:`require` then explains).
    """
    package = _package_dir()
    installed = package / BUNDLED / name.replace("-", "_")  # a package name has no '-'; setup.py maps it
    if (installed / _MARKER[name]).is_file():
        return installed
    checkout = package.parent / name
    if (checkout / _MARKER[name]).is_file() and (package.parent / "pyproject.toml").is_file():
        return checkout
    return installed


def bundled_file(name: Bundled, relative: str) -> Path:
    """A file of the bundled ``name`` folder, e.g. ``bundled_file("questionnaires", "default.yaml")``."""
    return bundled_dir(name) / relative


def require(path: Path, what: str) -> Path:
    """``path`` when it exists; otherwise a DataError that names the installation, not the user, as the cause."""
    if path.exists():
        return path
    raise DataError(
        f"the bundled {what} is missing from this installation",
        "the advisor package is incomplete; reinstall it (pip install --force-reinstall advisor, or "
        "pipx reinstall advisor) and report it if that does not help",
        Location(str(path)),
    )


#: extra -> (module it provides, what needs it). The quickstart installs every extra.
EXTRAS: dict[str, tuple[str, str]] = {
    "kubernetes": ("kubernetes", "the kubernetes runner (runner: kubernetes in a targets file)"),
}


def install_command(extra: str) -> str:
    """How to add ``extra`` to the installation, for pip and for pipx."""
    return f"pip install 'advisor[{extra}]' (pipx: pipx install --force 'advisor[{extra}]')"


def require_extra(extra: str) -> None:
    """Raise a UsageError naming ``extra`` and its install command when its module is not installed."""
    from importlib.util import find_spec

    module, needed_by = EXTRAS[extra]
    if find_spec(module) is None:
        from advisor.errors import UsageError

        raise UsageError(f"{needed_by} needs the '{extra}' extra, which is not installed",
                         f"install it: {install_command(extra)}")
