from django.conf import settings


def portal(request):
    """Navigation and preferences that every page needs."""
    return {
        "LANGUAGES": settings.LANGUAGES,
        "PORTAL_DEBUG": settings.DEBUG,
    }
