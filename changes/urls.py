from django.urls import path

from .views import board, calendar, catalogue, pages

app_name = "changes"
urlpatterns = [
    path("", pages.change_list, name="list"),
    path("new/", pages.change_create, name="create"),
    path("approvals/", pages.inbox, name="inbox"),
    path("calendar/", calendar.change_calendar, name="calendar"),
    path("calendar/<str:kind>/new/", calendar.calendar_entry, name="calendar_entry_new"),
    path("calendar/<str:kind>/<int:pk>/", calendar.calendar_entry, name="calendar_entry"),
    path(
        "calendar/<str:kind>/<int:pk>/delete/",
        calendar.calendar_entry_delete,
        name="calendar_entry_delete",
    ),
    path("policies/", calendar.policy_list, name="policies"),
    path("policies/<int:pk>/", calendar.policy_edit, name="policy_edit"),
    path("templates/", catalogue.template_list, name="templates"),
    path("templates/new/", catalogue.template_form, name="template_new"),
    path("templates/<int:pk>/", catalogue.template_detail, name="template_detail"),
    path("templates/<int:pk>/edit/", catalogue.template_form, name="template_edit"),
    path("templates/<int:pk>/use/", catalogue.template_use, name="template_use"),
    path("templates/<int:pk>/<str:verb>/", catalogue.template_action, name="template_action"),
    path("cab/", board.cab_list, name="cab"),
    path("cab/new/", board.cab_create, name="cab_new"),
    path("cab/<int:pk>/", board.cab_detail, name="cab_detail"),
    path("cab/<int:pk>/<str:verb>/", board.cab_action, name="cab_action"),
    path("<int:pk>/", pages.change_detail, name="detail"),
    path("<int:pk>/edit/", pages.change_edit, name="edit"),
    path("<int:pk>/delete/", pages.change_delete, name="delete"),
    path("<int:pk>/do/<str:verb>/", pages.change_transition, name="transition"),
    path("<int:pk>/check/<int:item_pk>/", pages.change_check, name="check"),
    path("<int:pk>/backup/", pages.change_backup, name="backup"),
    path("<int:pk>/work-log/", pages.change_work_log, name="work_log"),
    path("<int:pk>/comment/", pages.change_comment, name="comment"),
]
