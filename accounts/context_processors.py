from accounts.roles import sections_for
from accounts.selectors import memberships_for_user, unread_notification_count


def navigation(request):
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if membership is None or user is None or not user.is_authenticated:
        return {}
    return {
        "nav_sections": sections_for(membership.role),
        # Only needed to draw the switcher; evaluated lazily by the template.
        "nav_memberships": memberships_for_user(user=user),
        "nav_unread": unread_notification_count(user=user, agency=membership.agency),
    }
