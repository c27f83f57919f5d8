"""The public pages a patient reaches from a message, without logging in: the visit link
page (confirm or cancel one visit), the message itself, and the unsubscribe page. The
signed token in the address is the only key; each page calls the same services as the
API and the front desk."""
