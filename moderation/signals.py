"""What the moderators' console announces (notifications connects in its ``AppConfig.ready``).
Sent inside the transaction that made the change."""

from django.dispatch import Signal

# user: the account; suspended: True when suspended, False when reinstated; reason: the
# moderator's reason, shown to the user.
account_sanctioned = Signal()
