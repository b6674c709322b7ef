from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from payments.selectors import balances_of, transfers_of, wallet_lines

HISTORY_PAGE_SIZE = 25


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    """Balances and the history of every cent, newest first."""
    page = Paginator(transfers_of(request.user), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "payments/wallet.html",
        {
            "balances": balances_of(request.user),
            "page": page,
            "lines": wallet_lines(request.user, page.object_list),
        },
    )


urlpatterns = [
    path("wallet/", wallet, name="wallet"),
]
