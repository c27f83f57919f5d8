"""Phone numbers as the desk types and reads them: in the clinic's own national format."""

import phonenumbers
from django.conf import settings

from clinic.models import Location


def phone_region() -> str:
    """The region whose national format the desk types numbers in: the first location's
    phone number's country, else PHONENUMBER_DEFAULT_REGION."""
    location = Location.objects.filter(is_active=True).exclude(phone="").order_by("name").first()
    if location is not None:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(str(location.phone)))
        except phonenumbers.NumberParseException:
            region = None
        if region:
            return region
    return settings.PHONENUMBER_DEFAULT_REGION


def phone_example(region: str) -> str:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+44 7400 123456"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


def phone_as_dialled(number, region: str) -> str:
    """National format for a number in `region`, international for any other."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(str(number), region)
    except phonenumbers.NumberParseException:
        return str(number)
    # By country code, not region: +44 7911 is Guernsey's, dialled from London as 07911.
    same = parsed.country_code == phonenumbers.country_code_for_region(region)
    style = phonenumbers.PhoneNumberFormat.NATIONAL if same else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, style)
