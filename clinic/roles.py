"""Staff roles are Django groups, created by a migration."""

CLINIC_ADMIN = "Clinic admin"
FRONT_DESK = "Front desk"
PROVIDER = "Provider"
