"""organisation_name_forms: the grammatical forms of an organisation's name a document needs

Revision ID: 0035
Revises: 0034
Create Date: 2026-11-27 14:00:00

`organisation.name_ru_genitive` and `organisation.name_kk_genitive` hold its name in the
genitive, in Russian ("в деятельности Департамента государственных доходов") and in Kazakh
("Мемлекеттік кірістер департаментінің қызметінде"), as the documents' sentences need them
(D-4): proposed when the organisation is added (workflow/core/name_forms.py), corrected by an
administrator. Existing organisations have none: the documents use the same proposal.
"""
from workflow.storage.migrations.ops import columns_added, string

revision = '0035'
down_revision = '0034'


upgrade, downgrade = columns_added('organisation', lambda: [
    string('name_ru_genitive', 300, null=True), string('name_kk_genitive', 300, null=True)])
