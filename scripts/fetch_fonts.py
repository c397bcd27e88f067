"""Fetch the handwriting fonts (mnist_core/fonts.py) from the npm registry, checked against their pinned integrity.

    python scripts/fetch_fonts.py                    # into artifacts/fonts (or $DIGIT_FONTS_DIR)
    python scripts/fetch_fonts.py --out /tmp/fonts

Only scripts that train on or judge with other people's handwriting need them
(train.py, evaluate_drawn.py --source fonts, make_fixtures.py); the app and
the tests never do. Fonts already there are left alone.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mnist_core.fonts import FONT_PACKAGES, FontPackage, fonts_dir_from_env


def fetch(package: FontPackage, folder: Path) -> str:
    """Download one package's tarball, check its sha512, write its one font file into folder."""
    target = folder / package.file
    if target.is_file():
        return "there"
    with urllib.request.urlopen(package.tarball_url, timeout=60) as response:
        tarball = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if digest != package.integrity:
        raise ValueError(f"{package.name}@{package.version}: the tarball's sha512 is not the pinned one")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile(f"package/files/{package.file}")
        if member is None:
            raise ValueError(f"{package.name}@{package.version} holds no files/{package.file}")
        target.write_bytes(member.read())
    return "fetched"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="folder for the font files (default: $DIGIT_FONTS_DIR or artifacts/fonts)")
    args = parser.parse_args(argv)
    folder = Path(args.out) if args.out else fonts_dir_from_env()
    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda package: fetch(package, folder), FONT_PACKAGES))
    print(f"{outcomes.count('fetched')} fonts fetched, {outcomes.count('there')} already there, in {folder}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as error:  # no network, a changed package: a message, not a traceback
        sys.exit(f"{Path(__file__).name}: {error}")
