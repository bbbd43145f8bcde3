"""What an import proposes for a key an office's list leaves out: a code from an
organisation's name and a login from an e-mail, in Latin letters, short, the same for the same
name, and made unique with a number when taken."""

from __future__ import annotations

import pytest

from workflow.core import limits
from workflow.imports.proposals import code_for, latin, login_for

pytestmark = pytest.mark.unit


def test_a_code_is_the_names_whole_words_in_latin_within_24_characters():
    free = lambda _code: False  # noqa: E731
    assert code_for("Отдел образования Алмалинского района", free) == "OTDEL-OBRAZOVANIYA"
    assert code_for("Акимат Уйгурского района", free) == "AKIMAT-UIGURSKOGO-RAIONA"
    assert code_for("Қарасай ауданының білім бөлімі", free) == "KARASAI-AUDANYNYN-BILIM"
    assert code_for("«Жетісу» АҚ", free) == "ZHETISU-AK"
    assert code_for("Отдел образования Алмалинского района", free) == code_for(
        "отдел  образования, алмалинского района", free)  # the same name, the same code
    assert len(code_for("Департамент" * 10, free)) <= limits.ORG_CODE


def test_a_taken_code_or_login_gets_the_smallest_number_free():
    taken = {"OTDEL-OBRAZOVANIYA", "OTDEL-OBRAZOVANIYA-2"}
    assert code_for("Отдел образования", taken.__contains__) == "OTDEL-OBRAZOVANIYA-3"
    assert login_for("A.Seitkali@ili.gov.kz", lambda _l: False) == "a.seitkali"
    assert login_for("a.seitkali@other.kz", {"a.seitkali"}.__contains__) == "a.seitkali2"
    assert login_for("Әсел.Нұрова@gov.kz", lambda _l: False) == "asel.nurova"
    assert login_for("+++@gov.kz", lambda _l: False) == "user"


def test_latin_transliterates_russian_and_kazakh_letters():
    assert latin("Щучинск Өскемен Ғылым Үміт Һ") == "shchuchinsk oskemen gylym umit h"
