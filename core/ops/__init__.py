"""Operations: metrics, readiness, structured logs, the admins' status, alerts and reconcile.

Nothing here is on the ack path except a counter increment; everything that reads Redis
for operators (backlog age, memory) runs at scrape or check time.
"""
