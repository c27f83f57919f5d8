"""Delivery reports change a message's status: each email provider's documented webhook
payload through django-anymail, and Twilio's signed status callback. A bounce or a
complaint marks the patient's address, which the desk sees and no email goes to."""

import base64
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from scheduling.models import Reminder
from scheduling.pages.delivery import twilio_signature
from scheduling.reminders.reach import reminder_channel_for
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

SECRET = "hooks:s3cret"
MAILGUN_KEY = "key-mailgun-signing"


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    settings.TWILIO_AUTH_TOKEN = "twilio-token"


def _auth() -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}


def _sent(message_id: str, *, channel="email", email="john@example.com") -> Reminder:
    patient = PatientFactory(email=email, consent_email=True)
    return Reminder.objects.create(
        key=f"confirmation:test:{message_id}",
        kind="confirmation",
        channel=channel,
        status="sent",
        sent_at=timezone.now(),
        patient=patient,
        due_at=timezone.now(),
        provider_message_id=message_id,
    )


def test_postmark_delivery_then_bounce(client):
    row = _sent("883953f4-6105-42a2-a16a-77a8eac79483")
    delivery = {  # Postmark's documented Delivery webhook
        "RecordType": "Delivery", "ServerID": 23, "MessageStream": "outbound",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "Recipient": "john@example.com",
        "Tag": "welcome-email", "DeliveredAt": "2019-11-05T16:33:54.9070259Z",
        "Details": "Test delivery webhook details", "Metadata": {},
    }
    response = client.post("/anymail/postmark/tracking/", json.dumps(delivery), content_type="application/json",
                           **_auth())
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.delivery == "delivered"
    bounce = {  # Postmark's documented Bounce webhook
        "RecordType": "Bounce", "MessageStream": "outbound", "ID": 4323372036854775807, "Type": "HardBounce",
        "TypeCode": 1, "Name": "Hard bounce", "Tag": "Test", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {}, "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "Test bounce details", "Email": "john@example.com", "From": "sender@example.com",
        "BouncedAt": "2019-11-05T16:33:54.9070259Z", "DumpAvailable": True, "Inactive": True,
        "CanActivate": True, "Subject": "Test subject",
    }
    client.post("/anymail/postmark/tracking/", json.dumps(bounce), content_type="application/json", **_auth())
    row.refresh_from_db()
    row.patient.refresh_from_db()
    assert row.delivery == "bounced" and "Postmark" in row.delivery_detail
    assert row.patient.email_bounced_at is not None
    # No more email to a bouncing address: the patient is reached by text instead.
    assert reminder_channel_for(row.patient) == "sms"


def test_a_webhook_without_the_secret_is_refused(client):
    row = _sent("abc")
    payload = {"RecordType": "Delivery", "MessageID": "abc", "Recipient": "john@example.com",
               "DeliveredAt": "2019-11-05T16:33:54Z"}
    response = client.post("/anymail/postmark/tracking/", json.dumps(payload), content_type="application/json")
    assert response.status_code in (400, 401, 403)
    row.refresh_from_db()
    assert row.delivery == ""


def test_amazon_ses_bounce_through_sns(client):
    row = _sent("EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000", email="recipient@example.com")
    ses_event = {  # SES's documented Bounce event (event publishing), as SNS delivers it
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": "recipient@example.com", "action": "failed", "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2017-08-05T00:41:02.669Z", "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96",
            "reportingMTA": "dsn; mta.example.com",
        },
        "mail": {
            "timestamp": "2017-08-05T00:40:02.012Z", "source": "Sender Name <sender@example.com>",
            "sendingAccountId": "123456789012",
            "messageId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
            "destination": ["recipient@example.com"], "headersTruncated": False,
            "commonHeaders": {"from": ["Sender Name <sender@example.com>"], "to": ["recipient@example.com"],
                              "messageId": "EXAMPLE7c191be45", "subject": "Message sent from Amazon SES"},
            "tags": {},
        },
    }
    sns = {
        "Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events", "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(ses_event), "Timestamp": "2017-08-05T00:41:02.669Z", "SignatureVersion": "1",
        "Signature": "EXAMPLE", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
    response = client.post(
        "/anymail/amazon_ses/tracking/", json.dumps(sns), content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification", HTTP_X_AMZ_SNS_MESSAGE_ID=sns["MessageId"], **_auth(),
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.delivery == "bounced"


def _mailgun_signature(timestamp: str, token: str) -> str:
    return hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def test_mailgun_delivered_and_a_forged_signature_refused(client):
    row = _sent("<20130503182626.18666.16540@sandbox.mailgun.org>", email="alice@example.com")
    token, timestamp = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0", "1529006854"
    payload = {  # Mailgun's documented "delivered" webhook (event-data with its signature)
        "signature": {"timestamp": timestamp, "token": token, "signature": _mailgun_signature(timestamp, token)},
        "event-data": {
            "event": "delivered", "timestamp": 1521472262.908181, "id": "CPgfbmQMTCKtHW6uIWtuVe",
            "recipient": "alice@example.com", "recipient-domain": "example.com", "log-level": "info",
            "envelope": {"sender": "bob@sandbox.mailgun.org", "transport": "smtp", "targets": "alice@example.com"},
            "message": {"headers": {"to": "Alice <alice@example.com>", "from": "Bob <bob@sandbox.mailgun.org>",
                                    "message-id": "20130503182626.18666.16540@sandbox.mailgun.org",
                                    "subject": "Test delivered webhook"}, "attachments": [], "size": 111},
            "delivery-status": {"code": 250, "message": "OK", "description": "", "attempt-no": 1},
        },
    }
    forged = {**payload, "signature": {**payload["signature"], "signature": "0" * 64}}
    refused = client.post("/anymail/mailgun/tracking/", json.dumps(forged), content_type="application/json",
                          **_auth())
    assert refused.status_code == 400
    row.refresh_from_db()
    assert row.delivery == ""
    response = client.post("/anymail/mailgun/tracking/", json.dumps(payload), content_type="application/json",
                           **_auth())
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.delivery == "delivered"


# anymail still parses SendGrid events but warns that it no longer supports SendGrid officially.
@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
def test_sendgrid_spam_report(client):
    row = _sent("0a1e3c5e-4f8f-4b36-a7b0-dadbe9a3f0a7", email="example@test.com")
    events = [{  # SendGrid's documented spamreport event, with the anymail_id anymail sends
        "email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": "spamreport", "category": "cat facts", "sg_event_id": "37nvH5QBz858KGVYCM3wA",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "anymail_id": "0a1e3c5e-4f8f-4b36-a7b0-dadbe9a3f0a7",
    }]
    response = client.post("/anymail/sendgrid/tracking/", json.dumps(events), content_type="application/json",
                           **_auth())
    assert response.status_code == 200
    row.refresh_from_db()
    row.patient.refresh_from_db()
    assert row.delivery == "complained" and row.patient.email_bounce_reason == "Marked as spam"


def test_a_later_open_never_hides_a_bounce(client):
    row = _sent("m-1")
    for record in ({"RecordType": "Bounce", "Type": "HardBounce", "MessageID": "m-1", "Email": "john@example.com",
                    "BouncedAt": "2019-11-05T16:33:54Z", "Description": "Unknown user", "Details": ""},
                   {"RecordType": "Open", "MessageID": "m-1", "Recipient": "john@example.com",
                    "ReceivedAt": "2019-11-05T16:40:00Z"}):
        client.post("/anymail/postmark/tracking/", json.dumps(record), content_type="application/json", **_auth())
    row.refresh_from_db()
    assert row.delivery == "bounced"


def test_twilio_status_callback_is_verified_by_its_signature(client):
    row = _sent("SM1234567890abcdef", channel="sms")
    params = {"MessageSid": "SM1234567890abcdef", "MessageStatus": "undelivered", "ErrorCode": "30003",
              "To": "+447700900123", "AccountSid": "AC0001"}
    url = "http://127.0.0.1:8000/reminders/sms/twilio/status/"
    forged = client.post("/reminders/sms/twilio/status/", params, HTTP_X_TWILIO_SIGNATURE="bm90LWl0")
    assert forged.status_code == 403
    signature = twilio_signature(url=url, params=params, auth_token="twilio-token")
    response = client.post("/reminders/sms/twilio/status/", params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 204
    row.refresh_from_db()
    assert row.delivery == "undelivered" and row.delivery_detail == "Twilio error 30003"


def test_twilio_signature_matches_twilios_documented_example():
    """The example in Twilio's security documentation."""
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
              "To": "+18005551212"}
    signature = twilio_signature(url="https://mycompany.com/myapp.php?foo=1&bar=2", params=params,
                                 auth_token="12345")
    assert signature == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_the_desk_sees_a_bounced_address_on_the_patients_page(desk):
    patient = PatientFactory(email="gone@example.com", email_bounced_at=timezone.now(), email_bounce_reason="Bounced")
    page = desk.get(f"/patients/{patient.pk}/")
    assert page.status_code == 200 and b"Emails to this address are not arriving" in page.content
