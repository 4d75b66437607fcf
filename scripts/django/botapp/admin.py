from django.contrib import admin

from .models import AIModel, GenRequest, TgUser, Transaction, UserBalance


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    list_display = ("slug", "display_name", "type", "provider", "is_active", "is_beta", "price", "order")
    list_filter = ("type", "provider", "is_active", "is_beta")
    search_fields = ("slug", "name", "display_name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(GenRequest)
class GenRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "run_code", "status", "ai_model", "chat_id", "cost", "created_at")
    list_filter = ("status", "generation_type")
    search_fields = ("run_code", "prompt", "provider_job_id")
    raw_id_fields = ("user", "ai_model", "transaction", "parent_request")


@admin.register(TgUser)
class TgUserAdmin(admin.ModelAdmin):
    list_display = ("id", "chat_id", "username", "first_name", "is_blocked", "created_at")
    search_fields = ("chat_id", "username")


@admin.register(UserBalance)
class UserBalanceAdmin(admin.ModelAdmin):
    list_display = ("user", "balance", "bonus_balance", "total_spent", "referral_code")
    raw_id_fields = ("user", "referred_by")


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "type", "amount", "balance_after", "is_completed", "created_at")
    list_filter = ("type", "is_completed", "is_pending")
    raw_id_fields = ("user", "generation_request", "related_transaction")
