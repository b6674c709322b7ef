"""What the work loop announces, for the apps above it to react to.

Sent by ``tasks.lifecycle`` (and the dispute services) inside the transaction that made the
change, after its history row is written; receivers write their own rows in that same
transaction (notifications and webhook deliveries are outboxes, sent after commit), so a
rolled back change announces nothing. Nothing below listens: notifications and webhooks
connect their receivers in their ``AppConfig.ready`` — the lifecycle never imports them.

Every move of a kind goes through one function that sends one signal, so every path to the
same status (an employer's approval, the clock's, a dispute decided for the worker) has the
same side effects.
"""

from django.dispatch import Signal

# campaign: the row as saved; source, target: CampaignStatus; by: the actor (None for the
# clock); note: the reason given, if any.
campaign_moved = Signal()

# assignments: the moved rows, fresh, with campaign (and its employer) and worker loaded;
# target: AssignmentStatus; by: the actor (None for the clock); reason: the reason given.
assignments_moved = Signal()

# dispute: the row as saved; assignment: its assignment, with campaign (and its employer) and
# worker loaded. ``dispute_decided`` also has by (the moderator, or the employer reversing).
dispute_opened = Signal()
dispute_answered = Signal()
dispute_decided = Signal()

# A worker stopped from a campaign by its check tasks (stopped True), or let back (False):
# stop is the GoldStop row, with campaign loaded (tasks.lifecycle.gold).
gold_stop_changed = Signal()

# bonus: the Bonus row just paid, with assignment (and its campaign), employer and worker.
bonus_paid = Signal()

# rating: the EmployerRating row just written, with campaign and worker; created: its first
# time (False for an edit) — tasks.services.ratings.
employer_rated = Signal()

# rating: the EmployerRating just answered by its employer for the first time (with campaign
# and employer) — tasks.services.ratings.rating_answer.
rating_answered = Signal()
