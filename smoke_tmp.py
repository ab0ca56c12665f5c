import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE","itsm.settings")
django.setup()
from django.test import Client
from django.contrib.auth import get_user_model
from releases.models import Release
c = Client()
u = get_user_model().objects.get(username="leader")
c.force_login(u)
for url in ["/releases/", "/releases/?state=in_flight&kind=minor", "/releases/new/", "/releases/calendar/", "/releases/calendar.ics", "/releases/dora/", "/releases/dora/?format=csv", "/"]:
    r = c.get(url, HTTP_HOST="localhost")
    print(url, r.status_code, len(r.content))
for rel in Release.objects.all()[:13]:
    for suffix in ["", "edit/", "notes/", "notes.md"]:
        r = c.get(f"/releases/{rel.pk}/{suffix}", HTTP_HOST="localhost")
        if r.status_code not in (200, 302): print(rel, suffix, r.status_code)
r = c.get("/api/v1/releases/", HTTP_HOST="localhost"); print("api list", r.status_code, r.json()["count"])
r = c.get(f"/api/v1/releases/{Release.objects.get(version='shop-3.10.2').pk}/", HTTP_HOST="localhost"); print(r.status_code, r.json()["next_promotions"], r.json()["allowed_actions"])
r = c.get("/api/v1/releases/dora/", HTTP_HOST="localhost"); print(r.status_code, r.json()[:2])
r = c.get("/api/schema/", HTTP_HOST="localhost"); print("schema", r.status_code)
