"""Web-form leads (the seed's ActOn and Web2Text leads): idempotent intake, open-lead rules,
durable forwarding and SMS conversations between a customer and a dealer location."""
