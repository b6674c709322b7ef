from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .forms import LanguageForm, ProfileForm
from .middleware import remember_language
from .models import ApiToken
from .selectors import standing_sanctions
from .services import token_revoke, user_set_language, user_update_profile


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            user_update_profile(user=user, **form.cleaned_data)
            translation.activate(user.language)
            messages.success(request, _("Your profile is saved."))
            return remember_language(redirect("accounts:profile"), user.language)
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "country": user.country.code or "",
                "language": user.language,
                "time_zone": user.time_zone,
            }
        )
    context = {
        "form": form,
        "api_tokens": ApiToken.objects.filter(user=user).order_by("-created", "-id"),
        "token_ttl_days": settings.API_TOKEN_TTL_DAYS,
        "sanctions": standing_sanctions(user),  # warnings and pauses for rejections
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def token_revoke_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Sign one of the user's API devices out; 404 for anyone else's token."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(token=token)
    messages.success(request, _("That device is signed out."))
    return redirect(reverse("accounts:profile") + "#devices")


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; signed-in users keep the choice on every device."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    if not form.is_valid():
        messages.error(request, _("That language is not available."))
        return redirect(target)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    return remember_language(redirect(target), language)
