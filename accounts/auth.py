def axes_username(request, credentials) -> str:
    """Count failed logins per address, however it was capitalised or padded."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username).strip().lower()
