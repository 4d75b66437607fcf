"""Minimal Django settings: the bot's `botapp` models + the admin, over DATABASE_URL.

DATABASE_URL:
  postgres://user:pass@host:port/db or postgresql://...  -> django.db.backends.postgresql (psycopg 3)
  sqlite://PATH, sqlite:///abs/path or a bare path        -> django.db.backends.sqlite3
"""
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit, parse_qs

BASE_DIR = Path(__file__).resolve().parent.parent


def database_from_url(url):
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "postgres",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
        }
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):]
    elif url.startswith("sqlite:"):
        path = url[len("sqlite:"):]
    else:
        path = url
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path or "genworker.sqlite3"}


DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", "sqlite://genworker.sqlite3"))}

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "genworker-django-compat-test-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "botapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gwdjango.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
STATIC_URL = "static/"
