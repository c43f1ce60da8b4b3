from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from accounts import views as account_views
from config.health import healthz

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("accounts.urls")),
    path("posts/", include("posts.urls")),
    path("api/v1/posts/", include("posts.api_urls")),
    path("campaigns/", include("campaigns.urls")),
    path("", include("engagement.urls")),
    path("healthz", healthz, name="healthz"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("django-admin/", admin.site.urls),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
