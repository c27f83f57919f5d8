
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0007_seed_intake'),
    ]

    operations = [
        migrations.AddField(
            model_name='patient',
            name='link_version',
            field=models.PositiveIntegerField(default=0, editable=False, help_text="Named in the links to the patient's own page; raising it retires every link sent before."),
        ),
        migrations.AddField(
            model_name='patient',
            name='maintenance_prompts_stopped_at',
            field=models.DateTimeField(blank=True, help_text='The patient asked for no more maintenance prompts.', null=True),
        ),
    ]
