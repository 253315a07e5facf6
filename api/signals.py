from django.core.signals import setting_changed
from django.dispatch import receiver

from api.schema import forget_schemas


@receiver(setting_changed)
def schema_settings_changed(**kwargs) -> None:
    forget_schemas()
