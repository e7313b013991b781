"""Customer service's worklist: orders at risk of an unhappy customer (its filters are
worklist_filters.py, its CSV worklist_csv.py, its "send an update" form update_form.py).

Rules: an order is at risk while anything of it waits, or while its customer is to be
called; it needs a personal word when its date moved after the notice budget was spent
(rules.needs_personal_word). The dates and counts come from a summary (WorklistEntry) that
refresh_worklist rebuilds in one transaction from set-based SQL: by the beat job every
SUMMARY_REFRESH_MINUTES, and when the page finds it older than that; the page says "as of".
What decides whether an order is listed, and its units waiting, are read live: an order that
shipped or stopped waiting leaves the list at once, whatever the summary's age. Each row
says why it is at risk (_risks, most urgent first) and the list is sorted by the most urgent
reason, then the soonest date."""

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from kernel import clock
from kernel.locks import advisory_lock
from orders.models import Backorder, Customer, Order

from .models import CustomerMessage, MessagePolicy, WorklistEntry, WorklistRefresh
from .rules import needs_personal_word


def _at_risk():
    """The summary's rows, as the ORM writes them (set-based, on SQLite and PostgreSQL alike):
    one per order with anything waiting, then the orders of customers to call that wait for
    nothing. Columns: order_id, customer, units, next_eta, latest_eta, promised, since,
    slipped, late (1 or 0)."""
    waiting = Backorder.objects.waiting().order_by()

    def any_of(condition):
        return Max(Case(When(condition, then=Value(1)), default=Value(0)))

    by_order = waiting.units_waiting_by("order_id", customer=F("order__customer_id")).annotate(
        next_eta=Min("eta"),
        latest_eta=Max("eta"),
        promised=Min("promised_date"),
        since=Min("created_at"),
        slipped=any_of(Q(eta__gt=F("promised_date"))),
        late=any_of(Q(po_line__late=True)),
    )
    no_date, no_time = Value(None, output_field=DateField()), Value(None, output_field=DateTimeField())
    to_call = (
        Order.objects.exclude(customer__call_reason="")
        .exclude(Exists(waiting.filter(order=OuterRef("pk"))))
        .order_by()
        .values(
            "id",
            "customer_id",
            units=Value(0),
            next_eta=no_date,
            latest_eta=no_date,
            promised=no_date,
            since=no_time,
            slipped=Value(0),
            late=Value(0),
        )
    )
    return by_order.union(to_call, all=True)


def refresh_worklist():
    """Rebuild the summary in one transaction (readers see the old one until it commits);
    two refreshes at once take turns. Returns the number of orders at risk."""
    rows, row_params = _at_risk().query.sql_with_params()
    messages, message_params = (
        CustomerMessage.objects.order_by()
        .values("order_id")
        .annotate(n=Count("id"), last_at=Max("created_at"))
        .query.sql_with_params()
    )
    personal, personal_params = needs_personal_word(MessagePolicy.current()).query.sql_with_params()
    with transaction.atomic():
        advisory_lock("refresh-worklist")
        WorklistEntry.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {WorklistEntry._meta.db_table} (order_id, customer_id, waiting_units, next_eta, latest_eta, "
                "promised, waiting_since, eta_slipped, po_late, message_count, last_message_at, needs_personal_word, urgency) "
                "SELECT w.order_id, w.customer, w.units, w.next_eta, w.latest_eta, w.promised, w.since, w.slipped = 1, "
                f"w.late = 1, COALESCE(m.n, 0), m.last_at, w.order_id IN ({personal}), 0 "
                f"FROM ({rows}) w LEFT JOIN ({messages}) m ON m.order_id = w.order_id",
                [*personal_params, *row_params, *message_params],
            )
        WorklistEntry.objects.update(urgency=_urgency())
        count = WorklistEntry.objects.count()
        WorklistRefresh.objects.update_or_create(pk=1, defaults={"refreshed_at": clock.now(), "orders": count})
    return count


def worklist_as_of():
    """When the summary was refreshed; refreshed now if it is older than SUMMARY_REFRESH_MINUTES."""
    last = WorklistRefresh.objects.filter(pk=1).first()
    if clock.stale(last and last.refreshed_at, settings.SUMMARY_REFRESH_MINUTES):
        refresh_worklist()
        last = WorklistRefresh.objects.get(pk=1)
    return last.refreshed_at


def _risks():
    """Why an order is at risk, most urgent first: (name, words, condition on the entry; no
    join, so that the refresh's UPDATE can state it too)."""
    to_call = Customer.objects.filter(pk=OuterRef("customer_id")).exclude(call_reason="")
    return [
        ("call", _("customer to call"), Q(Exists(to_call))),
        ("personal_word", _("needs a personal word"), Q(needs_personal_word=True)),
        ("past_promised", _("past the promised date"), Q(promised__lt=clock.today())),
        ("po_late", _("purchase order late"), Q(po_late=True)),
        ("eta_slipped", _("ETA later than promised"), Q(eta_slipped=True)),
    ]


def risks(entry):
    """The words for why this entry (from at_risk_orders) is at risk, most urgent first."""
    return [words for name, words, _condition in _risks() if getattr(entry, f"risk_{name}")] or [_("waiting")]


def _urgency():
    """The rank of an entry's most urgent reason (0 first), len(_risks()) when only waiting."""
    reasons = _risks()
    return Case(
        *(When(condition, then=Value(rank)) for rank, (_n, _w, condition) in enumerate(reasons)),
        default=Value(len(reasons)),
        output_field=IntegerField(),
    )


def at_risk_orders():
    """The orders at risk now, most urgent first: by the most urgent reason as of the refresh
    (`urgency`, from _risks), then the soonest date a waiting unit is due (a passed one first),
    then the oldest promise: the summary's index. Listed only while something of the order
    still waits or its customer is to be called (read live, as are the units waiting,
    `units_now`, and the reasons the row says, `risk_<name>`)."""
    waiting = Backorder.objects.waiting().filter(order=OuterRef("order_id")).order_by()
    flags = {
        f"risk_{name}": ExpressionWrapper(condition, output_field=BooleanField())
        for name, _words, condition in _risks()
    }
    return (
        WorklistEntry.objects.filter(Exists(waiting) | ~Q(order__customer__call_reason=""))
        .select_related("order__customer")
        .annotate(
            units_now=Subquery(waiting.units_waiting_by("order_id").values("units")[:1], output_field=IntegerField()),
            **flags,
        )
        .order_by(
            "urgency",
            F("next_eta").asc(nulls_last=True),
            F("promised").asc(nulls_last=True),
            "waiting_since",
            "order_id",
        )
    )
