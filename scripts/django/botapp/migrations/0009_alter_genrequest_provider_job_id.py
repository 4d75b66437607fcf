# Widening provider_job_id rebuilds the table on SQLite, and Django's rebuild puts an
# altered column last: SQLite order is ..., provider_metadata, source_media,
# provider_job_id while PostgreSQL keeps ..., provider_job_id, provider_metadata,
# source_media (both as in the contract).
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("botapp", "0008_genrequest_provider_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="genrequest",
            name="provider_job_id",
            field=models.CharField(blank=True, default="", max_length=512),
        ),
    ]
