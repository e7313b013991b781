"""The supplier's answers through its personal link (supplier_links): confirm the order as
asked, give dates, deliver fewer units, announce a shipment; the same lines as CSV.

Rules:
- Every answer is the same event as purchasing typing it: dates go through
  lifecycle.record_dates (lines re-dated, pegged customers' ETAs moved at once, etas_changed
  announced, so the message rules tell customers within their budget); units that will not
  come release their backorders as a cancelled purchase order does (lifecycle.unpeg), so the
  next batch orders them.
- An answer is a compare-and-set: the page carries the order's version (`version_of`: its
  status, its lines' dates and quantities and the answers so far) it was rendered from; the
  link and its order are locked, the version compared, and a form rendered from anything else
  (purchasing changed a line, a second tab, a replayed request) changes nothing and says
  "changed meanwhile" (Conflict). Purchasing's own form compares its lines' dates the same way.
- Each answer is appended as a SupplierAnswer: the link it came through, when, what changed
  (SKU, field, was, now) and how many days it moved a date later (the daily job "Supplier
  answers to review" lists those above ReorderPolicy.answer_review_days).
- Dates are today or later (and within two years); a smaller quantity is at least what was
  received and less than what was ordered; the rest comes by a later date
  (PurchaseOrderLine.rest_expected_date: its customers are told that date now, receiving
  switches the line to it once the first part is in) or not at all (the line shrinks; its
  backorders that no longer fit, youngest in fill order first, go back to the batch; a line
  left with nothing goes, an order left with no line is cancelled).
- An announced shipment records per line units, arrival, carrier and tracking number for
  goods in; where it carries all a line still waits for, its arrival is the line's new date.
- CSV: the lines as the page shows them; the same file back (SKU, quantity, expected date)
  is checked whole first: every bad row is named by its line in the file and nothing changes;
  a dry run shows what would change and writes nothing.
Bad input is InvalidInput naming the line (SKU) and field; one transaction per answer."""

import csv
import datetime
import hashlib
import io
from dataclasses import dataclass

from django.db import transaction
from django.db.models import DateField, Value

from kernel import clock
from kernel.errors import Conflict, InvalidInput, Problem
from kernel.parsers import DIGITS, case_key
from orders.allocation import FILL_ORDER
from orders.etas import set_etas
from orders.models import Backorder, EtaChange

from . import dates
from .lifecycle import record_dates, unpeg
from .models import AnnouncedShipment, PurchaseOrder, PurchaseOrderLine, SupplierAnswer
from .pegging import pegged_to
from .signals import announce
from .supplier_links import link_for_token

FURTHEST_DAYS = 730
CSV_COLUMNS = ["sku", "supplier_sku", "name", "quantity", "received", "expected_date"]


def _lines(po):
    return list(po.lines.select_related("product").order_by("product__sku"))


def version_of(po, lines=None):
    """What the page was rendered from: a change by anyone (or a second answer) changes it."""
    lines = _lines(po) if lines is None else lines
    parts = [po.status, str(po.supplier_answers.count())]
    parts += [
        f"{line.pk}:{line.expected_date}:{line.quantity}:{line.received}:{line.rest_expected_date}" for line in lines
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def page(token):
    """What the supplier's page shows: the order, its lines with what is announced, the
    answers so far, and the version the forms carry."""
    link = link_for_token(token)
    po = link.purchase_order
    lines = _lines(po)
    announced = {}
    for shipment in AnnouncedShipment.objects.filter(line__in=lines).order_by("arrival_date", "id"):
        announced.setdefault(shipment.line_id, []).append(shipment)
    for line in lines:
        line.announced = announced.get(line.pk, [])
    return {
        "link": link,
        "po": po,
        "lines": lines,
        "answers": list(po.supplier_answers.order_by("answered_at", "id")),
        "version": version_of(po, lines),
    }


@dataclass
class _Answer:
    """The locked link, its order and lines, for one answer's transaction."""

    link: object
    po: object
    lines: dict  # line id -> line

    def line(self, line_id):
        line = self.lines.get(line_id)
        if line is None:
            raise InvalidInput.one(
                f"Purchase order {self.po.number} has no line {line_id}.", field="line", code="unknown_line"
            )
        return line


def _locked(token, version):
    """Lock the link and its order, then compare the version the form was rendered from."""
    link = link_for_token(token, lock=True)
    po = link.purchase_order
    lines = _lines(po)
    if version != version_of(po, lines):
        raise Conflict.one(
            f"Purchase order {po.number} changed meanwhile; nothing was changed. Please look at it again.",
            field="version",
            code="changed_meanwhile",
        )
    return _Answer(link, po, {line.pk: line for line in lines})


def _check_date(value, line, field="expected_date", after=None):
    today = clock.today()
    earliest = max(today, after + datetime.timedelta(days=1)) if after else today
    if not isinstance(value, datetime.date) or not earliest <= value <= today + datetime.timedelta(FURTHEST_DAYS):
        raise InvalidInput.one(
            f"SKU {line.product.sku}: give a date from {earliest.isoformat()} "
            f"to {(today + datetime.timedelta(FURTHEST_DAYS)).isoformat()}.",
            field=field,
            sku=line.product.sku,
            code="invalid_date",
        )


def _record(answer, kind, changes):
    moved = [
        (datetime.date.fromisoformat(change["now"]) - datetime.date.fromisoformat(change["was"])).days
        for change in changes
        if change["field"] in ("expected_date", "rest_expected_date") and change["was"] and change["now"]
    ]
    return SupplierAnswer.objects.create(
        purchase_order=answer.po,
        link=answer.link,
        kind=kind,
        answered_at=clock.now(),
        changes=changes,
        days_moved=max(moved, default=0),
    )


def _change(line, field, was, now):
    text = lambda value: value.isoformat() if isinstance(value, datetime.date) else value  # noqa: E731
    return {"sku": line.product.sku, "field": field, "was": text(was), "now": text(now)}


def _redate(answer, new_dates):
    """{line: date} through the one re-date event; the changes as recorded."""
    changes = [
        _change(line, "expected_date", line.expected_date, date)
        for line, date in new_dates.items()
        if date != line.expected_date
    ]
    record_dates(answer.po, new_dates)
    return changes


def confirm(token, version):
    """The whole order as asked, in one click: sent becomes confirmed, no date moves."""
    with transaction.atomic():
        answer = _locked(token, version)
        record_dates(answer.po, {})
        return _record(answer, SupplierAnswer.Kind.CONFIRMED, [])


def redate(token, version, new_dates):
    """New expected dates: {line id: date} (one for all: the caller gives each line the same)."""
    with transaction.atomic():
        answer = _locked(token, version)
        chosen = {answer.line(line_id): date for line_id, date in new_dates.items()}
        for line, date in chosen.items():
            _check_date(date, line)
        if not chosen:
            raise InvalidInput.one("Give a date for at least one line.", field="expected_date", code="required")
        changes = _redate(answer, chosen)
        return _record(answer, SupplierAnswer.Kind.REDATED, changes)


def short_delivery(token, version, line_id, quantity, rest_date=None):
    """The supplier can deliver only `quantity` of the line (in all, counting what was received):
    the rest by `rest_date`, or, without one, not at all."""
    with transaction.atomic():
        answer = _locked(token, version)
        line = answer.line(line_id)
        record_dates(answer.po, {})  # an answer confirms a sent order
        changes = _short(answer.po, line, quantity, rest_date)
        return _record(answer, SupplierAnswer.Kind.SHORT, changes)


def _short(po, line, quantity, rest_date):
    sku = line.product.sku
    if not isinstance(quantity, int) or not line.received <= quantity < line.quantity:
        raise InvalidInput.one(
            f"SKU {sku}: give a quantity from {line.received} (received) to {line.quantity - 1} "
            f"(one less than the {line.quantity} ordered).",
            field="quantity",
            sku=sku,
            code="invalid_quantity",
        )
    _keep, beyond = _split_pegged(line, quantity - line.received)
    if rest_date is not None:
        _check_date(rest_date, line, "rest_expected_date", after=line.expected_date)
        changes = [_change(line, "rest_expected_date", line.expected_date, rest_date)]
        line.rest_expected_date = rest_date
        line.save(update_fields=["rest_expected_date"])
        # The customers beyond the first part wait for the later date: the line's customer
        # date rule (dates.customer_date) with the rest's date in place of the line's.
        offset = (
            PurchaseOrderLine.objects.filter(pk=line.pk).values_list(dates.customer_date(), flat=True).get()
            - line.expected_date
        )
        moved = set_etas(
            Backorder.objects.filter(pk__in=beyond),
            Value(rest_date + offset, output_field=DateField()),
            EtaChange.Cause.REDATED,
        )
        announce(moved, EtaChange.Cause.REDATED)
        return changes
    changes = [_change(line, "quantity", line.quantity, quantity)]
    unpeg(Backorder.objects.filter(pk__in=beyond))
    if quantity == 0:
        line.delete()
    else:
        line.quantity, line.stock_units = quantity, min(line.stock_units, quantity)
        if line.received >= line.quantity:
            line.received_at, line.late = line.received_at or clock.now(), False
        line.save(update_fields=["quantity", "stock_units", "received_at", "late"])
    remaining = list(po.lines.all())
    if not remaining:
        po.status = PurchaseOrder.Status.CANCELLED
    elif all(other.received >= other.quantity for other in remaining):
        po.status = PurchaseOrder.Status.RECEIVED
    po.save(update_fields=["status"])
    return changes


def _split_pegged(line, units):
    """The pegged backorders that `units` still fill (in the fill order receiving uses), and
    the ids of the rest: whole backorders, a backorder that does not fit entirely is not kept."""
    keep, beyond = [], []
    for backorder in pegged_to([line]).order_by(*FILL_ORDER):
        if not beyond and backorder.waiting <= units:
            units -= backorder.waiting
            keep.append(backorder.pk)
        else:
            beyond.append(backorder.pk)
    return keep, beyond


def announce_shipment(token, version, quantities, arrival, carrier="", tracking_number=""):
    """Units on their way: {line id: units} arriving on `arrival`. A line whose whole rest is
    announced is re-dated to the arrival."""
    with transaction.atomic():
        answer = _locked(token, version)
        chosen = {answer.line(line_id): units for line_id, units in quantities.items() if units}
        if not chosen:
            raise InvalidInput.one("Give the units shipped for at least one line.", field="quantity", code="required")
        for line, units in chosen.items():
            if not isinstance(units, int) or not 0 < units <= line.outstanding:
                raise InvalidInput.one(
                    f"SKU {line.product.sku}: give from 1 to {line.outstanding} units (still to deliver).",
                    field="quantity",
                    sku=line.product.sku,
                    code="invalid_quantity",
                )
            _check_date(arrival, line, "arrival_date")
        for field, value in (("carrier", carrier), ("tracking_number", tracking_number)):
            if len(value) > 100 or "\x00" in value:
                raise InvalidInput.one(f"The {field.replace('_', ' ')} is at most 100 characters.", field=field)
        whole = {line: arrival for line, units in chosen.items() if units == line.outstanding}
        changes = _redate(answer, whole)
        record = _record(
            answer,
            SupplierAnswer.Kind.SHIPMENT,
            changes + [_change(line, "shipped", None, units) for line, units in chosen.items()],
        )
        AnnouncedShipment.objects.bulk_create(
            AnnouncedShipment(
                line=line,
                answer=record,
                quantity=units,
                arrival_date=arrival,
                carrier=carrier.strip(),
                tracking_number=tracking_number.strip(),
            )
            for line, units in chosen.items()
        )
        return record


def lines_csv(token):
    """The order's lines as CSV, for suppliers who prefer files."""
    data = page(token)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in data["lines"]:
        writer.writerow(
            [
                line.product.sku,
                line.supplier_sku,
                line.product.name,
                line.quantity,
                line.received,
                line.expected_date.isoformat(),
            ]
        )
    return out.getvalue()


def _read_csv(po, lines, text):
    """{line: (quantity, date)} for the rows that change something, and every problem, each
    naming its line in the file."""
    by_sku = {case_key(line.product.sku): line for line in lines}
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in ("sku", "quantity", "expected_date") if column not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput.one(
            f"Line 1: the file needs the columns sku, quantity and expected_date (missing: {', '.join(missing)}).",
            field="file",
            line=1,
            code="columns",
        )
    wanted, problems, seen = {}, [], set()
    today = clock.today()
    for row in reader:
        number = reader.line_num
        sku = (row.get("sku") or "").strip()
        line = by_sku.get(case_key(sku))

        def problem(message, field, sku=sku, number=number):
            problems.append(Problem(f"Line {number} (SKU {sku or '-'}): {message}", field=field, line=number, sku=sku))

        if line is None:
            problem(f"purchase order {po.number} has no line for this SKU.", "sku")
            continue
        if line.pk in seen:
            problem("this SKU appears more than once.", "sku")
            continue
        seen.add(line.pk)
        quantity_text = (row.get("quantity") or "").strip()
        quantity = int(quantity_text) if DIGITS.fullmatch(quantity_text) else None
        if quantity is None or not line.received <= quantity <= line.quantity:
            problem(f"quantity must be a whole number from {line.received} to {line.quantity}.", "quantity")
            continue
        try:
            date = datetime.date.fromisoformat((row.get("expected_date") or "").strip())
        except ValueError:
            problem("expected_date must be a date written YYYY-MM-DD.", "expected_date")
            continue
        if not today <= date <= today + datetime.timedelta(FURTHEST_DAYS):
            problem(f"expected_date must be from {today.isoformat()} on.", "expected_date")
            continue
        if quantity != line.quantity or date != line.expected_date:
            wanted[line] = (quantity, date)
    return wanted, problems


def upload_csv(token, version, text, dry_run=True):
    """The lines back as CSV: a smaller quantity means the rest will not come, a date is the
    line's new date. Every bad row refuses the whole file (InvalidInput, each row by its
    line); a dry run returns what would change and writes nothing. Returns the changes."""
    with transaction.atomic():
        answer = _locked(token, version)
        wanted, problems = _read_csv(answer.po, list(answer.lines.values()), text)
        if problems:
            raise InvalidInput(problems)
        changes = [
            change
            for line, (quantity, date) in wanted.items()
            for change in (
                [_change(line, "expected_date", line.expected_date, date)] if date != line.expected_date else []
            )
            + ([_change(line, "quantity", line.quantity, quantity)] if quantity != line.quantity else [])
        ]
        if dry_run or not changes:
            return changes
        redated = {line: date for line, (_quantity, date) in wanted.items() if date != line.expected_date}
        if redated:
            _record(answer, SupplierAnswer.Kind.REDATED, _redate(answer, redated))
        for line, (quantity, _date) in wanted.items():
            if quantity != line.quantity:
                _record(answer, SupplierAnswer.Kind.SHORT, _short(answer.po, line, quantity, None))
        return changes


def mark_reviewed(answer_ids, by):
    """Purchasing has looked at these answers: they leave "Supplier answers to review"
    (the one thing written on an answer after it was given). Returns how many."""
    return SupplierAnswer.objects.filter(pk__in=answer_ids, reviewed_at__isnull=True).update(
        reviewed_at=clock.now(), reviewed_by=by
    )
