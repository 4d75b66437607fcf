from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("botapp", "0007_genrequest_aspect_ratio_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="genrequest",
            name="provider_job_id",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="provider_metadata",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="source_media",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
