"""``whatsapp-templates lint PATH...``: the sync's checks on template files, before a commit.

Meta refuses a bad template only after a sync and a review; this runs the very rules the
sync operator runs (``load_template_files``: the definition models and the duplicate
check), on the same files, with no network and no Airflow import, so that a pre-commit
hook or CI step catches the problem first. One line per problem::

    templates/order.yaml:order_update(en_US): components[0](BODY).text: must not start ...

Exit status: 0 when every file is clean, 1 on any problem, 2 on a usage error (a PATH
that does not exist is one: nothing is linted then).
Also ``python -m airflow_provider_whatsapp.message_templates.cli lint PATH...``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from .loading import LoadResult, load_template_files


def lint(paths: Sequence[str], *, recursive: bool = False) -> tuple[LoadResult, list[str]]:
    """Load ``paths`` as the sync does; the result and one lint line per problem."""
    result = load_template_files(list(paths), recursive=recursive)
    return result, [line for error in result.errors for line in error.lines()]


def _parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The command's parser and its ``lint`` sub-command's (whose usage a path error shows)."""
    parser = argparse.ArgumentParser(
        prog="whatsapp-templates",
        description="Check WhatsApp template files the way the sync operator does.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "lint",
        help="check YAML/JSON template files or folders; exit 1 on any problem",
        description="Check YAML/JSON template files or folders (the files directly in a "
        "folder, or all below it with --recursive), including duplicate name + language "
        "across every file given. One line per problem: file:template(language): field: "
        "message.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="template file or folder")
    check.add_argument(
        "-r", "--recursive", action="store_true", help="descend into sub-folders of a folder"
    )
    check.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    return parser, check


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Console entry point; returns the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    parser, check = _parsers()
    args = parser.parse_args(argv)
    missing = [path for path in args.paths if not os.path.exists(path)]
    if missing:  # a usage error (a mistyped path), not a problem in a template: exit 2
        check.print_usage(err)
        for path in missing:
            print(f"{check.prog}: error: no such file or folder: {path}", file=err)
        return 2
    result, lines = lint(args.paths, recursive=args.recursive)
    for line in lines:
        print(line, file=out)
    if not args.quiet:
        files = len(result.files)
        if lines:
            print(f"{len(lines)} problem(s) in {files} file(s)", file=err)
        else:
            print(f"{len(result.templates)} template(s) in {files} file(s): OK", file=err)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
