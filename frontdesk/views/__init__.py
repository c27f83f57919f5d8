"""The front-desk pages, one module per part of the desk's day. Each view validates
a form, calls one service (the same ones the API calls) and renders."""
