from django.shortcuts import render


def index(request):
    return render(request, "backups/index.html")
