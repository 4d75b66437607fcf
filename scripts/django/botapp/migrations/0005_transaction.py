# Transaction: `user` is added after CreateModel. On SQLite that AddField (NOT NULL)
# rebuilds the table, and Django's rebuild clones self-referential foreign keys
# (related_transaction), which puts them last: SQLite column order is
# ..., generation_request_id, user_id, related_transaction_id while PostgreSQL keeps
# ..., generation_request_id, related_transaction_id, user_id (as in the contract).
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("botapp", "0004_genrequest_details"),
    ]

    operations = [
        migrations.CreateModel(
            name="Transaction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("deposit", "Deposit"),
                            ("generation", "Generation"),
                            ("refund", "Refund"),
                            ("bonus", "Bonus"),
                            ("referral", "Referral"),
                            ("admin", "Admin"),
                        ],
                        max_length=20,
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=10)),
                ("balance_after", models.DecimalField(decimal_places=2, max_digits=10)),
                ("description", models.TextField(blank=True, default="")),
                ("description_en", models.TextField(blank=True, default="")),
                ("payment_method", models.CharField(blank=True, max_length=20, null=True)),
                ("payment_id", models.CharField(blank=True, db_index=True, max_length=100, null=True)),
                ("payment_data", models.JSONField(blank=True, default=dict)),
                ("is_completed", models.BooleanField(default=True)),
                ("is_pending", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "generation_request",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="transactions",
                        to="botapp.genrequest",
                    ),
                ),
                (
                    "related_transaction",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="related_transactions",
                        to="botapp.transaction",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="transaction",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="transactions",
                to="botapp.tguser",
            ),
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(fields=["user", "-created_at"], name="botapp_tran_user_id_491576_idx"),
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(fields=["type", "-created_at"], name="botapp_tran_type_2986e1_idx"),
        ),
    ]
