"""Records and privacy: keep what the rules require, delete what they do not.

- retention periods per data class: core/retention.py (settings BOT_RETAIN_*_DAYS)
- purge.py: deletes or anonymises what is past its period, in batches
- subject.py: one client's data on request (export) and erasure
- notices.py: the append-only risk-reminder and suitability record
- audit.py: verification of the audit log's hash chain
- schedule.py: the pages server's daily purge (start()/stop())

CLI: python -m services.records {purge [--dry-run] | export ID OUT | erase ID | audit-verify}
"""
