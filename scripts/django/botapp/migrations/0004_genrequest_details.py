import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("botapp", "0003_userbalance"),
    ]

    operations = [
        migrations.AddField(
            model_name="genrequest",
            name="cost",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=6),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="duration",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="error_message",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="file_sizes",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="generation_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="generation_type",
            field=models.CharField(default="text2image", max_length=20),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="input_images",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="processing_time",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="gen_requests",
                to="botapp.tguser",
            ),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="video_resolution",
            field=models.CharField(blank=True, default="", max_length=20),
        ),
    ]
