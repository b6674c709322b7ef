"""What payments announce, for the apps above to react to (notifications connects in its
``AppConfig.ready``). Sent inside the transaction that made the change."""

from django.dispatch import Signal

# payout: the row as saved; paid: True when the money left Kaaj, False when it came back to
# the wallet (failed or rejected); reason: why not, for people.
payout_decided = Signal()
