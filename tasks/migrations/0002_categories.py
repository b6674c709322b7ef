from django.db import migrations


def create(apps, schema_editor):
    from tasks.categories import CATEGORIES

    Category = apps.get_model("tasks", "Category")
    for position, (slug, name, minimum, template) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "min_reward_cents": minimum, "proof_template": template,
                      "position": position},
        )


def remove(apps, schema_editor):
    apps.get_model("tasks", "Category").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
