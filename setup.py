"""Package discovery: simrl/* plus the data folders envs/ and conf/ mapped into the package.

`envs/` becomes `simrl.assets` and `conf/` becomes `simrl.conf` (each sub-folder a sub-package), so
importlib.resources and Hydra's `pkg://simrl.conf` find them after a non-editable install as well as
from a checkout.
"""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
DATA = {"simrl.assets": "envs", "simrl.conf": "conf"}


def data_packages() -> dict[str, str]:
    """Map every folder under the data roots to a dotted package name."""
    mapping: dict[str, str] = {}
    for package, root in DATA.items():
        for folder in [HERE / root, *sorted(p for p in (HERE / root).rglob("*") if p.is_dir())]:
            if folder.name == "__pycache__":
                continue
            rel = folder.relative_to(HERE / root)
            name = ".".join([package, *rel.parts]) if rel.parts else package
            mapping[name] = str(folder.relative_to(HERE))
    return mapping


MAPPING = data_packages()

setup(
    packages=find_packages(include=["simrl", "simrl.*"]) + sorted(MAPPING),
    package_dir=MAPPING,
    package_data={name: ["*.xml", "*.yaml", "*.png", "*.stl", "*.obj"] for name in MAPPING},
)
