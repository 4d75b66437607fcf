from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("botapp", "0006_aimodel"),
    ]

    operations = [
        migrations.AddField(
            model_name="genrequest",
            name="aspect_ratio",
            field=models.CharField(blank=True, default="", max_length=10),
        ),
        migrations.AddIndex(
            model_name="genrequest",
            index=models.Index(fields=["-created_at", "status"], name="botapp_genr_created_3944be_idx"),
        ),
        migrations.AddIndex(
            model_name="genrequest",
            index=models.Index(fields=["chat_id", "-created_at"], name="botapp_genr_chat_id_7fcab1_idx"),
        ),
    ]
