"""Import products, suppliers or supplier items from a CSV or XLSX file. Every bad row is
reported (row number, column, reason) and nothing is imported when any row is bad."""

from pathlib import Path

import tablib
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from purchasing.resources import RESOURCES, guess_kind


def read(path):
    if path.suffix.lower() == ".xlsx":
        return tablib.Dataset().load(path.read_bytes(), format="xlsx")
    if path.suffix.lower() == ".csv":
        return tablib.Dataset().load(path.read_text(encoding="utf-8-sig"), format="csv")
    raise CommandError(f"{path.name}: use a .csv or .xlsx file")


def problems(resource, result):
    """(row number as in the file, column, reason) for every bad row; the header is row 1."""
    found = []
    for row in result.invalid_rows:
        for attribute, messages in row.error_dict.items():
            for message in messages:
                found.append((row.number + 1, resource.column_of(attribute), message))
    for number, errors in result.row_errors():
        for error in errors:
            found.append((number + 1, getattr(error.error, "column", "-"), str(error.error)))
    return sorted(found)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--kind", choices=sorted(RESOURCES), help="What the file holds (default: guessed from its columns)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check every row, import nothing.")

    def handle(self, *args, file, kind, dry_run, **options):
        if not file.exists():
            raise CommandError(f"{file}: no such file")
        dataset = read(file)
        kind = kind or guess_kind(dataset.headers or [])
        if kind is None:
            raise CommandError(
                f"{file.name}: cannot tell what it holds from its columns {dataset.headers}; pass --kind"
            )
        resource = RESOURCES[kind]()
        checked = resource.import_data(dataset, dry_run=True, raise_errors=False, collect_failed_rows=True)
        bad = problems(resource, checked)
        for row, column, reason in bad:
            self.stderr.write(f"row {row}, column {column}: {reason}")
        if bad:
            raise CommandError(f"{len(bad)} problems in {file.name}; nothing was imported.")
        if dry_run:
            self.stdout.write(f"{file.name}: {len(dataset)} {kind} rows are fine (dry run, nothing imported).")
            return
        with transaction.atomic():
            done = resource.import_data(dataset, dry_run=False, raise_errors=True)
        totals = done.totals
        self.stdout.write(
            self.style.SUCCESS(
                f"{file.name}: {totals.get('new', 0)} new, {totals.get('update', 0)} updated, "
                f"{totals.get('skip', 0)} unchanged {kind}."
            )
        )
