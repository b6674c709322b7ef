"""The worker's forms: the feed's filters."""

from django import forms

from .selectors import FEED_SORTS


class FeedQueryForm(forms.Form):
    """The feed page's filters, held to what the API's FeedQuerySerializer accepts."""

    category = forms.SlugField(required=False)
    sort = forms.ChoiceField(choices=[(s, s) for s in FEED_SORTS], required=False)
