import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("botapp", "0002_tguser_profile_genrequest_run_code_unique"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserBalance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("balance", models.DecimalField(decimal_places=2, default=0, max_digits=10)),
                ("total_spent", models.DecimalField(decimal_places=2, default=0, max_digits=10)),
                ("total_deposited", models.DecimalField(decimal_places=2, default=0, max_digits=10)),
                ("bonus_balance", models.DecimalField(decimal_places=2, default=0, max_digits=10)),
                ("referral_code", models.CharField(blank=True, max_length=20, null=True, unique=True)),
                ("referral_earnings", models.DecimalField(decimal_places=2, default=0, max_digits=10)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "referred_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="referrals",
                        to="botapp.tguser",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="balance",
                        to="botapp.tguser",
                    ),
                ),
            ],
        ),
    ]
