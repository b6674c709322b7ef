"""The payout-method form offers first the method people in the worker's country use."""

import re

import pytest
from django.urls import reverse

from payments.models import PayoutMethodKind, payout_kinds_for

K = PayoutMethodKind


@pytest.mark.parametrize(
    ("country", "first"),
    [
        ("BD", [K.BKASH, K.PAYPAL, K.SKRILL, K.STRIPE]),  # a mobile wallet first, Stripe last
        ("US", [K.STRIPE, K.PAYPAL, K.SKRILL, K.BKASH]),  # Stripe Connect pays out there
        ("DE", [K.STRIPE, K.PAYPAL, K.SKRILL, K.BKASH]),
        ("IN", [K.PAYPAL, K.SKRILL, K.STRIPE, K.BKASH]),  # Connect by invitation only
        ("", [K.PAYPAL, K.SKRILL, K.STRIPE, K.BKASH]),  # no country given
    ],
)
def test_methods_are_ordered_for_the_workers_country(country, first):
    assert payout_kinds_for(country) == first


def test_every_method_is_offered_once_in_every_country():
    for country in ("BD", "US", "IN", "NG", ""):
        assert sorted(payout_kinds_for(country)) == sorted(PayoutMethodKind)


@pytest.mark.django_db
def test_the_form_lists_bkash_first_for_a_worker_in_bangladesh(client, worker):
    worker.country = "BD"
    worker.save(update_fields=["country"])
    client.force_login(worker)
    html = client.get(reverse("payments:payout_methods")).content.decode()
    select = html.split('name="kind"')[1].split("</select>")[0]
    assert re.findall(r'value="(\w+)"', select) == ["bkash", "paypal", "skrill", "stripe"]
