"""`make messages`: the code's new sentences into each language's catalogue.

Extracts every `_()`, `ngettext()`, `N_()` and template `gettext`/`pgettext` from the code
(storage/locales/babel.cfg) into storage/locales/messages.pot, then, for each language folder, adds the
msgids that none of its .po files has yet to its messages.po (empty msgstr: to translate), and lists the
msgids its files have that the code no longer uses (delete them by hand). A msgid stays in the one area
file (messages.po, workspace.po, transfer.po, ...) where it already is.
"""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
LOCALES = REPO / "storage" / "locales"
TEMPLATE = LOCALES / "messages.pot"


def extract() -> Catalog:
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract",
                    "-F", str(LOCALES / "babel.cfg"), "-k", "N_", "-k", "ngettext:1,2", "--no-location",
                    "--sort-output", "--project", "Dealpane", "-o", str(TEMPLATE), "."], cwd=REPO, check=True)
    with TEMPLATE.open("rb") as pot:
        return read_po(pot)


def key(message) -> tuple:
    return (message.id if isinstance(message.id, str) else tuple(message.id), message.context)


def update(language_dir: Path, template: Catalog) -> tuple[int, list]:
    files = sorted((language_dir / "LC_MESSAGES").glob("*.po"))
    catalogues = {}
    for path in files:
        with path.open("rb") as po:
            catalogues[path] = read_po(po, locale=language_dir.name)
    have = {key(m) for catalogue in catalogues.values() for m in catalogue if m.id}
    wanted = {key(m) for m in template if m.id}
    main = language_dir / "LC_MESSAGES" / "messages.po"
    new = Catalog(locale=language_dir.name)
    for message in template:
        if message.id and key(message) not in have:
            new.add(message.id, "" if isinstance(message.id, str) else ("", ""),
                    context=message.context, flags=message.flags)
    added = len([m for m in new if m.id])
    if added:
        # Appended as they are: the file's header, order and wrapping stay the translators'.
        text = io.BytesIO()
        write_po(text, new, width=0, omit_header=True, no_location=True)
        with main.open("ab") as po:
            po.write(b"\n" + text.getvalue())
    unused = sorted(f"{path.name}: {m.id!r}" for path, c in catalogues.items() for m in c
                    if m.id and key(m) not in wanted)
    return added, unused


def main() -> int:
    template = extract()
    for language_dir in sorted(p for p in LOCALES.iterdir() if (p / "LC_MESSAGES" / "messages.po").is_file()):
        added, unused = update(language_dir, template)
        print(f"{language_dir.name}: {added} new msgid(s) added to messages.po")
        for line in unused:
            print(f"  not used by the code any more: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
