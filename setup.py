"""Build configuration that pyproject.toml cannot express: a computed package list.

The bundled rule pack and questionnaire stay at the top level of the repository
(rules/, questionnaires/) and are mapped into the package at build time as
advisor/_bundled/rules and advisor/_bundled/questionnaires, where
advisor.resources finds them with importlib.resources.
"""

from setuptools import find_namespace_packages, find_packages, setup

#: package (inside advisor) -> top-level folder of the repository
BUNDLED = {
    "advisor._bundled.rules": "rules",  # advisor.resources.PACK_FOLDER
    "advisor._bundled.questionnaires": "questionnaires",
}

data_packages = [
    name
    for package, folder in BUNDLED.items()
    for name in (package, *(f"{package}.{sub}" for sub in find_namespace_packages(where=folder)))
]

setup(
    packages=[*find_packages(include=["advisor", "advisor.*"]), *data_packages],
    package_dir=BUNDLED,
    package_data={name: ["*.yaml"] for name in data_packages},
)
