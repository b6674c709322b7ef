"""Codes stored as plain strings (a history row's statuses, a proof field's kind) as the
translated words their TextChoices give them, for pages that show them."""

from __future__ import annotations

from django import template

from tasks.models import AssignmentStatus, ProofKind

register = template.Library()


@register.filter
def assignment_status(code: str) -> str:
    """``{{ event.to_status|assignment_status }}``: "submitted" → "Submitted", translated."""
    return AssignmentStatus(code).label if code in AssignmentStatus.values else code


@register.filter
def proof_kind(kind: str) -> str:
    """``{{ proof.kind|proof_kind }}``: "text", "url", "screenshot" as translated words."""
    return ProofKind(kind).label if kind in ProofKind.values else kind
