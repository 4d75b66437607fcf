#!/usr/bin/env python3
"""Django-side steps of scripts/test-django.sh (run with the venv's python, DATABASE_URL set).

  djcheck.py superuser            create the admin superuser (admin / admin-pass) if missing
  djcheck.py admin-edit           log in with django.test.Client, list AIModel, open kling-v1's
                                  change form and POST it back with is_active off, price 79.50
  djcheck.py read-kling           read kling-v1 through the ORM (genworker wrote it): check the
                                  seed values of DESIGN.md section 4 as Django sees them
  djcheck.py create-kling         create kling-v1 through the ORM (price 99.00, inactive)
  djcheck.py check-kling-untouched  assert that row is still what create-kling wrote
  djcheck.py orm-roundtrip        insert and read back a row of every botapp model
"""
import datetime
import decimal
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gwdjango.settings")

import django  # noqa: E402

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

USERNAME, PASSWORD = "admin", "admin-pass"

SEED = {
    "slug": "kling-v1",
    "name": "Kling Video",
    "display_name": "🎥 Kling (Kuaishou)",
    "type": "video",
    "provider": "kling",
    "description": "Премиальная модель генерации видео от Kuaishou. Поддерживает режимы text2video и image2video, "
    "работает с длительностью до 30 секунд, умеет синтезировать аудио дорожку и сохраняет стиль референсных кадров.",
    "short_description": "Видео до 30 сек в 720p/1080p + режим Remix",
    "price": decimal.Decimal("69.00"),
    "api_endpoint": "",
    "api_model_name": "kling-v1",
    "max_prompt_length": 2000,
    "supports_image_input": True,
    "max_input_images": 1,
    "default_params": {"duration": 10, "resolution": "1080p", "aspect_ratio": "16:9", "enable_audio": True},
    "allowed_params": {
        "duration": {"min": 4, "max": 30},
        "resolution": ["720p", "1080p"],
        "aspect_ratio": ["16:9", "9:16", "1:1"],
        "enable_audio": [True, False],
        "fps": {"min": 16, "max": 30},
    },
    "max_quantity": 1,
    "cooldown_seconds": 45,
    "daily_limit": 6,
    "is_active": True,
    "is_beta": True,
    "min_user_level": 2,
    "order": 35,
    "total_generations": 0,
    "total_errors": 0,
    "average_generation_time": 0.0,
}


def fail(msg):
    print("    FAILED: " + msg.replace("\n", "\n    "), file=sys.stderr)
    sys.exit(1)


def superuser():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if not User.objects.filter(username=USERNAME).exists():
        User.objects.create_superuser(USERNAME, "admin@example.com", PASSWORD)
        print(f"created superuser {USERNAME}")


def form_post_data(form):
    """The POST body a browser would send for an unchanged admin form."""
    from django import forms

    data = {}
    for bf in form:
        value = bf.value()
        if isinstance(bf.field, forms.BooleanField):
            if value:
                data[bf.html_name] = "on"
            continue
        if value is None:
            value = ""
        data[bf.html_name] = str(value)
    return data


def admin_edit():
    from django.test import Client

    from botapp.models import AIModel

    setup_test_environment()  # lets the test Client capture template contexts
    client = Client()
    if not client.login(username=USERNAME, password=PASSWORD):
        fail("admin login failed")

    url = "/admin/botapp/aimodel/"
    r = client.get(url)
    if r.status_code != 200:
        fail(f"GET {url} -> {r.status_code}")
    body = r.content.decode()
    if "kling-v1" not in body:
        fail(f"kling-v1 not listed on {url}")
    if SEED["display_name"] not in body:
        fail(f"display name {SEED['display_name']!r} not on {url}")
    print(f"GET {url}: 200, kling-v1 listed")

    obj = AIModel.objects.get(slug="kling-v1")
    change_url = f"/admin/botapp/aimodel/{obj.pk}/change/"
    r = client.get(change_url)
    if r.status_code != 200:
        fail(f"GET {change_url} -> {r.status_code}")
    form = r.context["adminform"].form
    data = form_post_data(form)
    print(f"GET {change_url}: 200, form fields: {', '.join(sorted(data))}")
    data.pop("is_active", None)  # untick
    data["price"] = "79.50"
    data["_save"] = "Save"

    r = client.post(change_url, data)
    if r.status_code != 302:
        if r.status_code == 200 and r.context and "adminform" in r.context:
            errors = r.context["adminform"].form.errors.get_json_data()
            print("form errors:", json.dumps(errors, ensure_ascii=False, indent=1), file=sys.stderr)
        fail(f"POST {change_url} -> {r.status_code}, expected a 302 redirect")
    location = r.headers.get("Location", "")
    if location.split("?")[0] != url:
        fail(f"POST {change_url} redirected to {location!r}, expected {url}")
    print(f"POST {change_url}: 302 -> {location}")

    obj.refresh_from_db()
    if obj.is_active is not False or obj.price != decimal.Decimal("79.50"):
        fail(f"after POST the ORM reads is_active={obj.is_active} price={obj.price}")
    print("ORM after POST: is_active=False price=79.50")


def read_kling():
    from botapp.models import AIModel

    obj = AIModel.objects.get(slug="kling-v1")
    bad = []
    for field, want in SEED.items():
        got = getattr(obj, field)
        if got != want or type(got) is not type(want):
            bad.append(f"{field}: Django reads {got!r}, seed says {want!r}")
    for field in ("created_at", "updated_at"):
        got = getattr(obj, field)
        if not isinstance(got, datetime.datetime) or got.tzinfo is None:
            bad.append(f"{field}: Django reads {got!r}, expected an aware datetime")
        elif abs((datetime.datetime.now(datetime.timezone.utc) - got).total_seconds()) > 3600:
            bad.append(f"{field}: {got.isoformat()} is not 'now'")
    if bad:
        fail("kling-v1 as read by the Django ORM:\n  " + "\n  ".join(bad))
    print(f"ORM reads kling-v1 (id {obj.pk}) with the seed values of DESIGN.md section 4")


KLING_BY_DJANGO = dict(SEED, price=decimal.Decimal("99.00"), is_active=False, order=7, daily_limit=None)


def create_kling():
    from botapp.models import AIModel

    obj = AIModel.objects.create(**KLING_BY_DJANGO)
    print(f"ORM created kling-v1 (id {obj.pk}, price 99.00, inactive)")


def check_kling_untouched():
    from botapp.models import AIModel

    objs = list(AIModel.objects.filter(slug="kling-v1"))
    if len(objs) != 1:
        fail(f"{len(objs)} kling-v1 rows")
    obj = objs[0]
    bad = [f"{k}: {getattr(obj, k)!r} != {v!r}" for k, v in KLING_BY_DJANGO.items() if getattr(obj, k) != v]
    if bad:
        fail("kling-v1 changed:\n  " + "\n  ".join(bad))
    print("ORM: the Django-created kling-v1 row is unchanged (price 99.00, inactive)")


def orm_roundtrip():
    """Insert and read back one row of every botapp model through the ORM (ids, defaults,
    decimals, JSON, datetimes) next to the kling-v1 row genworker seeded."""
    from django.db import transaction as db_transaction

    from botapp.models import AIModel, GenRequest, TgUser, Transaction, UserBalance

    kling = AIModel.objects.get(slug="kling-v1")
    with db_transaction.atomic():
        other = AIModel.objects.create(
            slug="roundtrip-model", name="Roundtrip", display_name="Roundtrip", type="image",
            provider="other", price=decimal.Decimal("1.25"), default_params={"a": 1}, allowed_params={"a": [1]},
        )
        if other.pk == kling.pk:
            fail("new AIModel got kling-v1's id")
        user = TgUser.objects.create(chat_id=987654321, username="roundtrip")
        UserBalance.objects.create(user=user, balance=decimal.Decimal("100.00"), referral_code="RT1")
        tx = Transaction.objects.create(
            user=user, type="generation", amount=decimal.Decimal("-69.00"), balance_after=decimal.Decimal("31.00"),
            description="Kling",
        )
        req = GenRequest.objects.create(
            run_code="roundtrip-1", chat_id=user.chat_id, prompt="a cat", model=kling.slug, user=user,
            ai_model=kling, transaction=tx, cost=kling.price, generation_type="text2video",
            generation_params={"mode": "text2video"}, source_media={}, duration=10, video_resolution="1080p",
            aspect_ratio="16:9",
        )
        tx.generation_request = req
        tx.save()
    req = GenRequest.objects.select_related("ai_model", "user", "transaction").get(run_code="roundtrip-1")
    if (req.ai_model.slug, req.user.username, req.transaction.amount, req.quantity) != (
        "kling-v1", "roundtrip", decimal.Decimal("-69.00"), 1
    ):
        fail(f"read back {req.ai_model.slug} {req.user.username} {req.transaction.amount} {req.quantity}")
    if UserBalance.objects.get(user=user).balance != decimal.Decimal("100.00"):
        fail("UserBalance read back differently")
    print(f"ORM round trip: AIModel {other.pk}, TgUser, UserBalance, Transaction, GenRequest {req.pk} inserted and read back")


COMMANDS = {
    "superuser": superuser,
    "admin-edit": admin_edit,
    "read-kling": read_kling,
    "create-kling": create_kling,
    "check-kling-untouched": check_kling_untouched,
    "orm-roundtrip": orm_roundtrip,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    COMMANDS[sys.argv[1]]()
