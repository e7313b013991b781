"""Two weeks of a shop, hour by hour, through the real services and jobs: nobody waiting ever
sees a date that has passed, every slip is told before the date it replaces passes, and the
notice budget holds: no order gets more than three proactive emails (95 % of them two at
most), nor one a day, nor two within a week more than once."""

import pytest

from tests.simulation import simulate

pytestmark = pytest.mark.django_db


def test_two_weeks_of_orders_slips_and_deliveries_keep_every_promise_true():
    figures = simulate(days=14, orders_per_day=12, seed=7)

    print("\n", figures)
    assert figures["orders"] > 100 and figures["slips"] > 0  # the fortnight did happen, with slips
    assert figures["past_dates_seen"] == 0
    assert figures["told_dates_passed_untold"] == 0 and figures["told_before_date_passed"] == 1.0
    assert figures["most_proactive_emails_one_customer_one_day"] <= 1
    assert figures["proactive_per_order_max"] <= 3 and figures["proactive_per_order_median"] <= 1
    assert figures["proactive_per_order_p95"] <= 2
    # A week between two proactive emails, but for the one date about to pass the budget gives way to
    assert figures["most_pairs_within_a_week_one_order"] <= 1
