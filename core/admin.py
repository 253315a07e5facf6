from axes.models import AccessAttempt
from django.contrib import admin

from core.lockout import AccessAttemptAdmin

# axes (listed before core in INSTALLED_APPS) has registered its own by now.
admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
