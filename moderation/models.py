"""The moderators' console keeps no rows of its own: the audit log and suspensions are
accounts' (``accounts.models``), so that every app below the console can ask about them."""
