"""core.choices.display: the same label as Django's get_<field>_display, quicker."""

import pytest
from django.db.models import Model
from django.utils import translation

from tasks.models import Assignment, AssignmentStatus, Campaign, CampaignStatus


@pytest.mark.parametrize("language", ["en", "bn"])
@pytest.mark.parametrize(
    ("model", "choices"), [(Assignment, AssignmentStatus), (Campaign, CampaignStatus)]
)
def test_status_labels_are_djangos_in_each_language(model, choices, language):
    with translation.override(language):
        for value in [*choices.values, "not-a-status"]:
            row = model(status=value)
            assert row.get_status_display() == Model._get_FIELD_display(
                row, model._meta.get_field("status")
            )
