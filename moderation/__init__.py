"""The moderators' console: queues, flags, sanctions and the audit log."""
