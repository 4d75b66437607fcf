from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("botapp", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="tguser",
            name="first_name",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.AddField(
            model_name="tguser",
            name="is_blocked",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="tguser",
            name="is_premium",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="tguser",
            name="language_code",
            field=models.CharField(blank=True, default="ru", max_length=10),
        ),
        migrations.AddField(
            model_name="tguser",
            name="last_name",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.AddField(
            model_name="tguser",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        # Uniqueness added after creation: PostgreSQL constraint
        # botapp_genrequest_run_code_ae3f2d21_uniq + index ..._ae3f2d21_like.
        migrations.AlterField(
            model_name="genrequest",
            name="run_code",
            field=models.CharField(max_length=64, unique=True),
        ),
    ]
