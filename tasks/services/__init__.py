"""Every write of the work loop goes through these services."""

from .assignments import (
    assignment_release,
    assignment_submit,
    assignments_expire_due,
    kept_screenshot_forget,
    screenshots_keep,
    verification_code,
)
from .bonuses import bonus_pay
from .campaigns import (
    CampaignSpec,
    campaign_add_positions,
    campaign_cancel,
    campaign_create,
    campaign_launch,
    campaign_moderate,
    campaign_pause,
    campaign_resume,
    campaign_update,
    campaigns_complete_due,
    campaigns_expire_due,
    reward_check,
)
from .reviews import (
    dispute_windows_close_due,
    submission_approve,
    submission_reject,
    submission_request_revision,
    submissions_auto_approve_due,
    submissions_bulk_review,
)

__all__ = [
    "CampaignSpec",
    "assignment_release",
    "assignment_submit",
    "assignments_expire_due",
    "bonus_pay",
    "campaign_add_positions",
    "campaign_cancel",
    "campaign_create",
    "campaign_launch",
    "campaign_moderate",
    "campaign_pause",
    "campaign_resume",
    "campaign_update",
    "campaigns_complete_due",
    "campaigns_expire_due",
    "dispute_windows_close_due",
    "kept_screenshot_forget",
    "reward_check",
    "screenshots_keep",
    "submission_approve",
    "submission_reject",
    "submission_request_revision",
    "submissions_auto_approve_due",
    "submissions_bulk_review",
    "verification_code",
]
