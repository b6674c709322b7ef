"""Template tags for base.html's frame."""

from django import template
from django.utils.html import strip_tags

register = template.Library()

SITE_NAME = "Kaaj"


class TabTitleNode(template.Node):
    child_nodelists = ("nodelist",)  # so that {% block %} inside is found and overridden

    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        page = " ".join(strip_tags(self.nodelist.render(context)).split())
        return f"{page} · {SITE_NAME}" if page else SITE_NAME


@register.tag
def tab_title(parser: template.base.Parser, token: template.base.Token) -> TabTitleNode:
    """``{% tab_title %}{% block head_title %}{% endblock %}{% endtab_title %}``: the page's
    title, a separator and the site's name ("Find work · Kaaj"), or the name alone when the
    page has no title. Django's templates have no ``self.head_title`` to test the block with."""
    nodelist = parser.parse(("endtab_title",))
    parser.delete_first_token()
    return TabTitleNode(nodelist)
