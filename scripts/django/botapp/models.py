"""The five `botapp` models genworker shares with the Django bot.

Field definitions reproduce /work/shared/contract (Django 5.2, PostgreSQL 15 and SQLite 3).
The migrations in botapp/migrations are split the way the bot's history was, so that
Django's own `migrate` produces the exact contract (constraint names, column order).
"""
from django.db import models


class TgUser(models.Model):
    chat_id = models.BigIntegerField(unique=True)
    username = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    first_name = models.CharField(max_length=255, blank=True, default="")
    is_blocked = models.BooleanField(default=False)
    is_premium = models.BooleanField(default=False)
    language_code = models.CharField(max_length=10, blank=True, default="ru")
    last_name = models.CharField(max_length=255, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.chat_id} @{self.username}" if self.username else str(self.chat_id)


class UserBalance(models.Model):
    balance = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    total_spent = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    total_deposited = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    bonus_balance = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    referral_code = models.CharField(max_length=20, unique=True, null=True, blank=True)
    referral_earnings = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    referred_by = models.ForeignKey(
        TgUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    user = models.OneToOneField(TgUser, on_delete=models.CASCADE, related_name="balance")

    def __str__(self):
        return f"{self.user_id}: {self.balance}"


class Transaction(models.Model):
    TYPE_CHOICES = [
        ("deposit", "Deposit"),
        ("generation", "Generation"),
        ("refund", "Refund"),
        ("bonus", "Bonus"),
        ("referral", "Referral"),
        ("admin", "Admin"),
    ]

    type = models.CharField(max_length=20, choices=TYPE_CHOICES)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    balance_after = models.DecimalField(max_digits=10, decimal_places=2)
    description = models.TextField(blank=True, default="")
    description_en = models.TextField(blank=True, default="")
    payment_method = models.CharField(max_length=20, null=True, blank=True)
    payment_id = models.CharField(max_length=100, null=True, blank=True, db_index=True)
    payment_data = models.JSONField(default=dict, blank=True)
    is_completed = models.BooleanField(default=True)
    is_pending = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    generation_request = models.ForeignKey(
        "GenRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions"
    )
    related_transaction = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="related_transactions"
    )
    user = models.ForeignKey(TgUser, on_delete=models.CASCADE, related_name="transactions")

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="botapp_tran_user_id_491576_idx"),
            models.Index(fields=["type", "-created_at"], name="botapp_tran_type_2986e1_idx"),
        ]

    def __str__(self):
        return f"{self.type} {self.amount} ({self.user_id})"


class AIModel(models.Model):
    TYPE_CHOICES = [("image", "Image"), ("video", "Video")]

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    display_name = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=TYPE_CHOICES)
    provider = models.CharField(max_length=20)
    description = models.TextField(blank=True, default="")
    short_description = models.CharField(max_length=255, blank=True, default="")
    price = models.DecimalField(max_digits=6, decimal_places=2)
    api_endpoint = models.CharField(max_length=255, blank=True, default="")
    api_model_name = models.CharField(max_length=100, blank=True, default="")
    max_prompt_length = models.IntegerField(default=1000)
    supports_image_input = models.BooleanField(default=False)
    max_input_images = models.IntegerField(default=0)
    default_params = models.JSONField(default=dict)
    allowed_params = models.JSONField(default=dict)
    max_quantity = models.IntegerField(default=1)
    cooldown_seconds = models.IntegerField(default=0)
    daily_limit = models.IntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_beta = models.BooleanField(default=False)
    min_user_level = models.IntegerField(default=0)
    order = models.IntegerField(default=0)
    total_generations = models.IntegerField(default=0)
    total_errors = models.IntegerField(default=0)
    average_generation_time = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.display_name


class GenRequest(models.Model):
    STATUS_CHOICES = [
        ("queued", "Queued"),
        ("processing", "Processing"),
        ("done", "Done"),
        ("error", "Error"),
        ("cancelled", "Cancelled"),
    ]

    run_code = models.CharField(max_length=64, unique=True)
    chat_id = models.BigIntegerField(db_index=True)
    prompt = models.TextField()
    quantity = models.PositiveSmallIntegerField(default=1)
    model = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default="queued", db_index=True)
    result_urls = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cost = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    duration = models.IntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    file_sizes = models.JSONField(default=list, blank=True)
    generation_params = models.JSONField(default=dict, blank=True)
    generation_type = models.CharField(max_length=20, default="text2image")
    input_images = models.JSONField(default=list, blank=True)
    processing_time = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        TgUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="gen_requests"
    )
    video_resolution = models.CharField(max_length=20, blank=True, default="")
    ai_model = models.ForeignKey(
        AIModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="gen_requests"
    )
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="gen_requests"
    )
    aspect_ratio = models.CharField(max_length=10, blank=True, default="")
    provider_job_id = models.CharField(max_length=512, blank=True, default="")
    provider_metadata = models.JSONField(default=dict, blank=True)
    source_media = models.JSONField(default=dict, blank=True)
    parent_request = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )

    class Meta:
        indexes = [
            models.Index(fields=["-created_at", "status"], name="botapp_genr_created_3944be_idx"),
            models.Index(fields=["chat_id", "-created_at"], name="botapp_genr_chat_id_7fcab1_idx"),
        ]

    def __str__(self):
        return f"{self.run_code} [{self.status}]"
