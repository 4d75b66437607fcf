import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("botapp", "0005_transaction"),
    ]

    operations = [
        migrations.CreateModel(
            name="AIModel",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(unique=True)),
                ("name", models.CharField(max_length=100)),
                ("display_name", models.CharField(max_length=100)),
                ("type", models.CharField(choices=[("image", "Image"), ("video", "Video")], max_length=10)),
                ("provider", models.CharField(max_length=20)),
                ("description", models.TextField(blank=True, default="")),
                ("short_description", models.CharField(blank=True, default="", max_length=255)),
                ("price", models.DecimalField(decimal_places=2, max_digits=6)),
                ("api_endpoint", models.CharField(blank=True, default="", max_length=255)),
                ("api_model_name", models.CharField(blank=True, default="", max_length=100)),
                ("max_prompt_length", models.IntegerField(default=1000)),
                ("supports_image_input", models.BooleanField(default=False)),
                ("max_input_images", models.IntegerField(default=0)),
                ("default_params", models.JSONField(default=dict)),
                ("allowed_params", models.JSONField(default=dict)),
                ("max_quantity", models.IntegerField(default=1)),
                ("cooldown_seconds", models.IntegerField(default=0)),
                ("daily_limit", models.IntegerField(blank=True, null=True)),
                ("is_active", models.BooleanField(default=True)),
                ("is_beta", models.BooleanField(default=False)),
                ("min_user_level", models.IntegerField(default=0)),
                ("order", models.IntegerField(default=0)),
                ("total_generations", models.IntegerField(default=0)),
                ("total_errors", models.IntegerField(default=0)),
                ("average_generation_time", models.FloatField(default=0.0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["order", "id"],
            },
        ),
        migrations.AddField(
            model_name="genrequest",
            name="ai_model",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="gen_requests",
                to="botapp.aimodel",
            ),
        ),
        migrations.AddField(
            model_name="genrequest",
            name="transaction",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="gen_requests",
                to="botapp.transaction",
            ),
        ),
    ]
