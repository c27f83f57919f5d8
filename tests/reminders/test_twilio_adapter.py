"""The Twilio adapter's HTTP calls, against a fake Messages API on 127.0.0.1."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from scheduling.reminders.errors import PermanentDeliveryError, TransientDeliveryError
from scheduling.reminders.sms import TwilioSmsBackend


class FakeTwilio(BaseHTTPRequestHandler):
    requests: list[dict] = []
    answers: list[tuple[int, dict]] = []

    def do_POST(self):  # noqa: N802 - the name http.server calls
        length = int(self.headers["Content-Length"])
        type(self).requests.append(
            {
                "path": self.path,
                "auth": self.headers["Authorization"],
                "type": self.headers["Content-Type"],
                "form": {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()},
            }
        )
        status, body = type(self).answers.pop(0) if type(self).answers else (201, {"sid": "SM123"})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio():
    FakeTwilio.requests, FakeTwilio.answers = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def backend(base_url: str) -> TwilioSmsBackend:
    return TwilioSmsBackend(
        account_sid="AC0001", auth_token="secret", from_number="+447700900000", base_url=base_url, timeout=2
    )


def test_posts_the_message_form_with_basic_auth_and_returns_the_sid(fake_twilio):
    sid = backend(fake_twilio).send(to="+447700900123", body="Hi Ada, reminder", key="pre_visit:1:24h:0")
    assert sid == "SM123"
    [request] = FakeTwilio.requests
    assert request["path"] == "/2010-04-01/Accounts/AC0001/Messages.json"
    assert request["type"] == "application/x-www-form-urlencoded"
    assert base64.b64decode(request["auth"].split()[1]).decode() == "AC0001:secret"
    assert request["form"] == {
        "To": "+447700900123",
        "From": "+447700900000",
        "Body": "Hi Ada, reminder",
        # Twilio reports delivery to the signed status callback at the public address.
        "StatusCallback": "http://127.0.0.1:8000/reminders/sms/twilio/status/",
    }


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_or_failing_provider_is_transient(fake_twilio, status):
    FakeTwilio.answers = [(status, {"code": 20429, "message": "Too Many Requests"})]
    with pytest.raises(TransientDeliveryError, match=str(status)):
        backend(fake_twilio).send(to="+447700900123", body="Hi", key="k")


def test_refused_number_is_permanent_with_the_providers_reason(fake_twilio):
    FakeTwilio.answers = [(400, {"code": 21211, "message": "The 'To' number is not a valid phone number."})]
    with pytest.raises(PermanentDeliveryError, match="21211 The 'To' number is not a valid phone number"):
        backend(fake_twilio).send(to="+4400", body="Hi", key="k")


def test_unreachable_provider_is_transient():
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        backend("http://127.0.0.1:9").send(to="+447700900123", body="Hi", key="k")
