from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from config.api import NotFoundView
from config.health import healthz

# The REST API, version 1: each app's api_urls.py, all under /api/v1/ (see config/api.py).
api_v1 = [
    path("", include("posts.api_urls")),  # posts/, posts/preview, calendar/
    path("", include("engagement.api_urls")),  # inbox/, dashboards/
    path("", include("campaigns.api_urls")),  # campaigns/, monitor/columns/
    path("", include("accounts.api_urls")),  # me/, platform-accounts/
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("accounts.urls")),
    path("posts/", include("posts.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Swagger UI from drf-spectacular-sidecar's static files. (Not Redoc: its page loads web
    # fonts from Google.)
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    # Anything else under /api/: a 404 in the API's error shape, not the HTML page.
    re_path(r"^api/", NotFoundView.as_view(), name="api_not_found"),
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
