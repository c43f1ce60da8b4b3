from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import api_tokens, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("agency/switch/", views.switch_agency, name="switch_agency"),
    path("me/", views.profile, name="profile"),
    path("notifications/", views.notifications, name="notifications"),
    path("me/api-tokens/", api_tokens.api_tokens, name="api_tokens"),
    path(
        "me/api-tokens/<int:token_id>/revoke/",
        api_tokens.api_token_revoke,
        name="api_token_revoke",
    ),
    path(
        "me/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "me/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("settings/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("settings/members/<int:membership_id>/unlock/", views.member_unlock, name="member_unlock"),
    path("settings/accounts/", views.platform_accounts, name="platform_accounts"),
    path(
        "settings/accounts/<int:account_id>/status/",
        views.platform_account_status,
        name="platform_account_status",
    ),
    path("settings/audit/", views.audit_log, name="audit_log"),
]
