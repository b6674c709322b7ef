"""How campaigns, tasks and assignments change status: one public module per thing.

Each module moves its rows only along the transition map beside the model
(``CAMPAIGN_TRANSITIONS``, ``TASK_TRANSITIONS``, ``ASSIGNMENT_TRANSITIONS``), writes the
history row of every move, and announces it (``tasks.signals``). The services in
``tasks.services`` decide *whether* a change may happen (who asks, with what input); these
functions are *how* it happens, the same way for every caller.

Locking order, everywhere: campaign (``FOR KEY SHARE`` for readers of its status, ``FOR
UPDATE`` for its own moves) → assignment → task → the ledger's accounts (locked last by the
ledger, in id order). The clock's sweepers are the one exception, and cannot wait on it:
they take their assignment rows first with ``SKIP LOCKED`` (never waiting for anybody),
then, before any task or refund, all their campaigns in id order
(:func:`tasks.lifecycle.tasks.campaigns_share_lock`). Approving takes no campaign lock: paying
does not depend on the campaign's status.
"""
