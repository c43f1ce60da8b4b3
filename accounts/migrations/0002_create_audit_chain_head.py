from django.db import migrations


def create_head(apps, schema_editor):
    # Created once here so concurrent first writers lock an existing row instead of racing
    # to insert it.
    AuditChainHead = apps.get_model("accounts", "AuditChainHead")
    AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_create_agencies_people_and_audit")]

    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
