"""Sign-in, agency switching, personal settings and the agency admin's pages.

Thin views: validate a form, call one service, render or redirect.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.access import role_required
from accounts.forms import (
    AcceptInvitationForm,
    AccountStatusForm,
    InviteForm,
    LanguageForm,
    PlatformAccountForm,
    RoleForm,
    SignInForm,
)
from accounts.middleware import SESSION_AGENCY_KEY
from accounts.models import Role
from accounts.notifications import send_invitation
from accounts.roles import sections_for

PAGE_SIZE = 50


def paginate(request: HttpRequest, queryset, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _errors_to_messages(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # Start in the agency the person used last; the middleware falls back to their first.
        user = form.get_user()
        if user.last_agency_id:
            self.request.session[SESSION_AGENCY_KEY] = user.last_agency_id
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    sections = sections_for(request.membership.role if request.membership else None)
    return redirect(sections[0].url_name)


@require_POST
@login_required
def switch_agency(request: HttpRequest) -> HttpResponse:
    try:
        agency_id = int(request.POST.get("agency", ""))
    except ValueError:
        agency_id = 0
    membership = selectors.membership_for_user_in_agency(user=request.user, agency_id=agency_id)
    if membership is None:
        messages.error(request, _("You are not a member of that agency."))
        return redirect("home")
    services.agency_switch(user=request.user, agency=membership.agency)
    request.session[SESSION_AGENCY_KEY] = membership.agency_id
    messages.success(
        request, _("You are now working in %(agency)s.") % {"agency": membership.agency.name}
    )
    return redirect("home")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        services.user_set_language(user=request.user, language=form.cleaned_data["language"])
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Your language is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_get_by_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, user=invitation.user)
    if request.method == "POST" and form.is_valid():
        membership = services.invitation_accept(
            invitation=invitation,
            password=form.cleaned_data.get("password1", ""),
            full_name=form.cleaned_data.get("full_name", ""),
        )
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_AGENCY_KEY] = membership.agency_id
        messages.success(request, _("Welcome to %(agency)s.") % {"agency": membership.agency.name})
        return redirect("home")
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation}
    )


# --- Agency admin: members ---------------------------------------------------------------


def _locked_emails(emails: list[str]) -> set[str]:
    return set(
        AccessAttempt.objects.filter(
            username__in=emails, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        ).values_list("username", flat=True)
    )


@role_required(section="settings")
def members(request: HttpRequest) -> HttpResponse:
    agency = request.agency
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = services.member_invite(
                agency=agency, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        else:
            link = request.build_absolute_uri(reverse("accounts:accept_invitation", args=[token]))
            send_invitation(invitation=invitation, link=link)
            # Also shown once to the admin, so an invitation works without mail set up.
            messages.success(
                request,
                _(
                    "Invitation for %(email)s created. It was e-mailed; the link, valid for 7 days, is: %(link)s"
                )
                % {"email": invitation.user.email, "link": link},
            )
            return redirect("accounts:members")
    page = paginate(request, selectors.members_for_agency(agency=agency))
    locked = _locked_emails([m.user.email for m in page])
    rows = [(m, m.user.email in locked) for m in page]
    return render(
        request,
        "accounts/members.html",
        {"page": page, "rows": rows, "form": form, "roles": Role.choices},
    )


@require_POST
@role_required(section="settings")
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(agency=request.agency, membership_id=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("accounts:members")
    try:
        services.membership_set_role(
            membership=membership, by=request.user, role=form.cleaned_data["role"]
        )
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(
            request,
            _("%(email)s is now %(role)s.")
            % {"email": membership.user.email, "role": membership.get_role_display()},
        )
    return redirect("accounts:members")


@role_required(section="settings")
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(agency=request.agency, membership_id=membership_id)
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, by=request.user)
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(
                request,
                _("%(email)s was removed from %(agency)s.")
                % {"email": membership.user.email, "agency": request.agency.name},
            )
        return redirect("accounts:members")
    return render(request, "accounts/member_remove.html", {"membership": membership})


@require_POST
@role_required(section="settings")
def member_unlock(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(agency=request.agency, membership_id=membership_id)
    try:
        services.account_unlock(agency=request.agency, by=request.user, user=membership.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("%(email)s can sign in again.") % {"email": membership.user.email}
        )
    return redirect("accounts:members")


# --- Agency admin: connected accounts and audit log ------------------------------------------


@role_required(section="settings")
def platform_accounts(request: HttpRequest) -> HttpResponse:
    form = PlatformAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.platform_account_connect(
                agency=request.agency,
                by=request.user,
                platform=data["platform"],
                handle=data["handle"],
                external_id=data["external_id"],
                display_name=data["display_name"],
                credentials=form.credentials(),
            )
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("%(account)s is connected.") % {"account": account})
            return redirect("accounts:platform_accounts")
    accounts = selectors.platform_accounts_for_agency(agency=request.agency)
    return render(request, "accounts/platform_accounts.html", {"accounts": accounts, "form": form})


@role_required(section="settings")
def platform_account_status(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.platform_account_get(agency=request.agency, account_id=account_id)
    form = AccountStatusForm(request.POST or None, initial={"status": account.status})
    if request.method == "POST" and form.is_valid():
        services.platform_account_set_status(account=account, by=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("%(account)s is now %(status)s.")
            % {"account": account, "status": account.get_status_display()},
        )
        return redirect("accounts:platform_accounts")
    return render(
        request, "accounts/platform_account_status.html", {"account": account, "form": form}
    )


@role_required(section="settings")
def audit_log(request: HttpRequest) -> HttpResponse:
    page = paginate(
        request, selectors.audit_events_for_agency(agency=request.agency).select_related("actor")
    )
    return render(request, "accounts/audit_log.html", {"page": page})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    if request.agency is None:
        return redirect("accounts:login")
    if request.method == "POST":
        services.notifications_mark_read(user=request.user, agency=request.agency)
        return redirect("accounts:notifications")
    page = paginate(request, selectors.notifications_for(user=request.user, agency=request.agency))
    return render(request, "accounts/notifications.html", {"page": page})
