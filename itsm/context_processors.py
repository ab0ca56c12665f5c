from django.conf import settings


def portal(request):
    """Navigation and preferences that every page needs."""
    return {
        "LANGUAGES": settings.LANGUAGES,
        "PORTAL_DEBUG": settings.DEBUG,
        # A placeholder instead while a page shared between users is stored (pagecache).
        "username": request.user.get_username() if hasattr(request, "user") else "",
    }
