import pytest
from django.urls import reverse

from itsm import roles

pytestmark = pytest.mark.django_db

PAGES = ["home", "preferences", "service_list", "password_change", "changes:list",
         "incidents:list", "releases:list", "backups:list"]  # fmt: skip


@pytest.mark.parametrize("name", PAGES)
def test_every_page_needs_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", list(roles.ROLES))
@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "My work"), ("ko", "내 업무"), ("ja", "自分の作業")],
)
def test_each_role_sees_home_in_each_language(client, user_for, role, language, expected):
    user = user_for(role)
    user.language = language
    user.save()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert f'<html lang="{language}">' in response.content.decode()


def test_login_with_password(client, make_user):
    make_user(roles.REQUESTER, username="alice", password="s3cret-pass-word")
    response = client.post(reverse("login"), {"username": "alice", "password": "s3cret-pass-word"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_logout_is_a_post(client, make_user):
    client.force_login(make_user())
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_preferences_change_time_zone_and_language(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("preferences"),
        {
            "first_name": "A",
            "last_name": "B",
            "email": "a@example.com",
            "time_zone": "Asia/Tokyo",
            "language": "ja",
        },  # fmt: skip
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.time_zone, user.language) == ("Asia/Tokyo", "ja")
    page = client.get(reverse("home")).content.decode()
    assert "Asia/Tokyo" in page


def test_unknown_time_zone_is_a_form_error(client, make_user):
    client.force_login(make_user())
    response = client.post(reverse("preferences"), {"time_zone": "Mars/Olympus", "language": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]


def test_language_switcher_remembers_the_choice(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("set_language"), {"language": "ko", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.language == "ko"


def test_login_page_can_switch_language_before_login(client):
    client.post(reverse("set_language"), {"language": "ja", "next": reverse("login")})
    assert "ログイン" in client.get(reverse("login")).content.decode()


def test_services_page_lists_the_catalogue_with_a_bounded_query_count(
    client, make_user, django_assert_max_num_queries
):
    from tests.itsm.factories import ServiceFactory

    base = ServiceFactory()
    for _ in range(20):
        ServiceFactory(owner_team=base.owner_team).depends_on.add(base)
    client.force_login(make_user())
    with django_assert_max_num_queries(8):
        response = client.get(reverse("service_list"))
    assert response.status_code == 200
    assert base.name in response.content.decode()


def test_static_assets_are_self_hosted(client, make_user):
    client.force_login(make_user())
    page = client.get(reverse("home")).content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
    assert "/static/vendor/htmx/htmx.min.js" in page
    assert "cdn" not in page.lower()


def test_pages_name_an_icon_and_favicon_ico_points_at_it(client, make_user):
    """Without an icon Chromium asks for /favicon.ico, and a 404 there is a console error."""
    client.force_login(make_user())
    page = client.get(reverse("home")).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg"' in page
    client.logout()
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
